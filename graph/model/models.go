// Package model holds the graph's Go types. Hand-written types here carry the
// ids that lazily resolved fields need (a Review knows its AuthorID, not its
// author); gqlgen generates the rest into models_gen.go.
package model

import "time"

// Product is a catalog product. Price, stock, reviews and related products
// are resolved from other services, keyed by ID and RelatedIDs.
type Product struct {
	ID          string
	Name        string
	Description string
	Category    string
	ImageURL    string
	RelatedIDs  []string
}

// Price is a product's price in one currency, in minor units.
type Price struct {
	ProductID       string
	Currency        string
	AmountCents     int64
	ListAmountCents int64
}

// Amount is the current price.
func (p *Price) Amount() *Money { return &Money{AmountCents: p.AmountCents, Currency: p.Currency} }

// ListAmount is the undiscounted price.
func (p *Price) ListAmount() *Money {
	return &Money{AmountCents: p.ListAmountCents, Currency: p.Currency}
}

// OnSale reports whether the current price is below the list price.
func (p *Price) OnSale() bool { return p.AmountCents < p.ListAmountCents }

// DiscountPercent is the discount off the list price, rounded down.
func (p *Price) DiscountPercent() int {
	if !p.OnSale() || p.ListAmountCents <= 0 {
		return 0
	}
	return int((p.ListAmountCents - p.AmountCents) * 100 / p.ListAmountCents)
}

// Stock is a product's stock level.
type Stock struct {
	ProductID   string
	Available   int
	Warehouse   string
	RestockDate *time.Time
}

// InStock reports whether at least one unit is available.
func (s *Stock) InStock() bool { return s.Available > 0 }

// Review is a product review; Author and Product are resolved by id.
type Review struct {
	ID        string
	ProductID string
	AuthorID  string
	Rating    int
	Body      string
	CreatedAt time.Time
}

// User is a customer; orders and reviews are resolved by ID.
type User struct {
	ID          string
	Name        string
	Email       string
	Tier        string
	MemberSince time.Time
}

// Order is a user's order.
type Order struct {
	ID         string
	UserID     string
	Status     OrderStatus
	CreatedAt  time.Time
	Currency   string
	TotalCents int64
	Items      []*OrderItem
}

// Total is the order total.
func (o *Order) Total() *Money { return &Money{AmountCents: o.TotalCents, Currency: o.Currency} }

// ItemCount is the sum of the items' quantities.
func (o *Order) ItemCount() int {
	n := 0
	for _, it := range o.Items {
		n += it.Quantity
	}
	return n
}

// OrderItem is one line of an order; Product is resolved by ProductID.
type OrderItem struct {
	ProductID      string
	Quantity       int
	UnitPriceCents int64
	Currency       string
}

// UnitPrice is the price of one unit.
func (i *OrderItem) UnitPrice() *Money {
	return &Money{AmountCents: i.UnitPriceCents, Currency: i.Currency}
}

// LineTotal is quantity × unit price.
func (i *OrderItem) LineTotal() *Money {
	return &Money{AmountCents: int64(i.Quantity) * i.UnitPriceCents, Currency: i.Currency}
}

// Dashboard is a user's home page; everything but the user is resolved from
// UserID.
type Dashboard struct {
	UserID string
	User   *User
}

// Viewer is the authenticated caller, by user id (the token's subject).
type Viewer struct {
	UserID string
}
