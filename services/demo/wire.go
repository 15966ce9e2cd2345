package demo

import (
	"slices"
	"time"
)

// The wire structs below are this package's own, as a separate service would
// have; they are deliberately not shared with the gateway's client packages.

// ProductRecord is a catalog product on the wire.
type ProductRecord struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Category    string   `json:"category"`
	ImageURL    string   `json:"imageUrl"`
	RelatedIDs  []string `json:"relatedIds"` // never nil: encodes as [] when empty
}

// PriceRecord is the price of one product in one currency. Amounts are in
// minor units of the currency (cents; yen for JPY).
type PriceRecord struct {
	ProductID       string `json:"productId"`
	Currency        string `json:"currency"`
	AmountCents     int64  `json:"amountCents"`
	ListAmountCents int64  `json:"listAmountCents"`
}

// StockRecord is the stock of one product. RestockDate is nil when unknown and
// is then omitted from the JSON.
type StockRecord struct {
	ProductID   string     `json:"productId"`
	Available   int        `json:"available"`
	Warehouse   string     `json:"warehouse"`
	RestockDate *time.Time `json:"restockDate,omitempty"`
}

// ReviewRecord is one review of a product by a user.
type ReviewRecord struct {
	ID        string    `json:"id"`
	ProductID string    `json:"productId"`
	AuthorID  string    `json:"authorId"`
	Rating    int       `json:"rating"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"createdAt"`
}

// UserRecord is one user.
type UserRecord struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Email       string    `json:"email"`
	Tier        string    `json:"tier"`
	MemberSince time.Time `json:"memberSince"`
}

// OrderRecord is one order. TotalCents is the sum of Quantity*UnitPriceCents
// over Items, in Currency.
type OrderRecord struct {
	ID         string            `json:"id"`
	UserID     string            `json:"userId"`
	Status     string            `json:"status"`
	CreatedAt  time.Time         `json:"createdAt"`
	Currency   string            `json:"currency"`
	TotalCents int64             `json:"totalCents"`
	Items      []OrderItemRecord `json:"items"`
}

// OrderItemRecord is one line of an order.
type OrderItemRecord struct {
	ProductID      string `json:"productId"`
	Quantity       int    `json:"quantity"`
	UnitPriceCents int64  `json:"unitPriceCents"`
}

// Response envelopes, exported so tests can decode answers. The servers
// encode the same shapes.

// ProductList is the answer of GET /products. NextCursor is present only in the
// listing form ("" when there is no further page).
type ProductList struct {
	Products   []ProductRecord `json:"products"`
	NextCursor *string         `json:"nextCursor,omitempty"`
}

// PriceList is the answer of GET /prices.
type PriceList struct {
	Prices []PriceRecord `json:"prices"`
}

// StockList is the answer of GET /inventory.
type StockList struct {
	Items []StockRecord `json:"items"`
}

// ReviewList is the answer of GET /reviews.
type ReviewList struct {
	Reviews []ReviewRecord `json:"reviews"`
}

// UserList is the answer of GET /users.
type UserList struct {
	Users []UserRecord `json:"users"`
}

// OrderList is the answer of GET /orders.
type OrderList struct {
	Orders []OrderRecord `json:"orders"`
}

// ErrorBody is the body of every non-2xx answer.
type ErrorBody struct {
	Error string `json:"error"`
}

// Order statuses allowed by the contract.
const (
	StatusPending   = "pending"
	StatusPaid      = "paid"
	StatusShipped   = "shipped"
	StatusDelivered = "delivered"
	StatusCancelled = "cancelled"
)

// Deep copies, so that accessors never hand out the dataset's own slices.

func (p ProductRecord) clone() ProductRecord {
	p.RelatedIDs = slices.Clone(p.RelatedIDs)
	if p.RelatedIDs == nil {
		p.RelatedIDs = []string{}
	}
	return p
}

func (s StockRecord) clone() StockRecord {
	if s.RestockDate != nil {
		t := *s.RestockDate
		s.RestockDate = &t
	}
	return s
}

func (o OrderRecord) clone() OrderRecord {
	o.Items = slices.Clone(o.Items)
	return o
}
