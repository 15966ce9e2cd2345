// Package model holds the graph's Go types. Most are generated from the
// schema (models_gen.go), including the contract properties that connectors
// and computed fields read; the JSON decoding of backend answers fills them
// directly. The hand-written ones here are the types with Go of their own:
// money, orders (whose items share the order's currency) and the computed
// fields' methods (price.go).
package model

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"
)

// Order is a user's order, as the orders service answers it.
type Order struct {
	ID         string       `json:"id"`
	UserID     string       `json:"userId"`
	Status     OrderStatus  `json:"status"`
	CreatedAt  time.Time    `json:"createdAt"`
	Currency   string       `json:"currency"`
	TotalCents int64        `json:"totalCents"`
	Items      []*OrderItem `json:"items"`
}

// UnmarshalJSON decodes an order and hands its currency to its items,
// whose prices are in it.
func (o *Order) UnmarshalJSON(b []byte) error {
	type plain Order
	if err := gojson.Unmarshal(b, (*plain)(o)); err != nil {
		return err
	}
	for i, it := range o.Items {
		if it == nil {
			return fmt.Errorf("order %s: items[%d] is null", o.ID, i)
		}
		it.Currency = o.Currency
	}
	return nil
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
	ProductID      string `json:"productId"`
	Quantity       int    `json:"quantity"`
	UnitPriceCents int64  `json:"unitPriceCents"`
	// Currency is the order's.
	Currency string `json:"-"`
}

// UnitPrice is the price of one unit.
func (i *OrderItem) UnitPrice() *Money {
	return &Money{AmountCents: i.UnitPriceCents, Currency: i.Currency}
}

// LineTotal is quantity × unit price.
func (i *OrderItem) LineTotal() *Money {
	return &Money{AmountCents: int64(i.Quantity) * i.UnitPriceCents, Currency: i.Currency}
}

// OrderStatus is an order's state. The orders service names it in lower
// case; the schema's enum in upper case.
type OrderStatus string

// The order states.
const (
	OrderStatusPending   OrderStatus = "PENDING"
	OrderStatusPaid      OrderStatus = "PAID"
	OrderStatusShipped   OrderStatus = "SHIPPED"
	OrderStatusDelivered OrderStatus = "DELIVERED"
	OrderStatusCancelled OrderStatus = "CANCELLED"
)

// IsValid reports whether s is a known state.
func (s OrderStatus) IsValid() bool {
	switch s {
	case OrderStatusPending, OrderStatusPaid, OrderStatusShipped, OrderStatusDelivered, OrderStatusCancelled:
		return true
	}
	return false
}

// Open reports whether the order is neither delivered nor cancelled.
func (s OrderStatus) Open() bool {
	return s == OrderStatusPending || s == OrderStatusPaid || s == OrderStatusShipped
}

// UnmarshalJSON reads the service's name of the state; an unknown one is
// an error (the backend broke the contract), not a made-up value.
func (s *OrderStatus) UnmarshalJSON(b []byte) error {
	str, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("order status: %w", err)
	}
	*s = OrderStatus(strings.ToUpper(str))
	if !s.IsValid() {
		return fmt.Errorf("unknown order status %q", str)
	}
	return nil
}

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *OrderStatus) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("enums must be strings")
	}
	*s = OrderStatus(str)
	if !s.IsValid() {
		return fmt.Errorf("%s is not a valid OrderStatus", str)
	}
	return nil
}

// MarshalGQL implements graphql.Marshaler.
func (s OrderStatus) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// Dashboard, Viewer and the connector types are generated (models_gen.go).
