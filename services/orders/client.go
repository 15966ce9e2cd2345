// Package orders is the typed client of the orders service.
package orders

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// Client calls the orders service.
type Client struct{ c *upstream.Client }

// New returns a client over c, which must be configured for "orders".
func New(c *upstream.Client) *Client { return &Client{c: c} }

// ByUsers returns the orders of the users among ids, newest first per user.
func (cl *Client) ByUsers(ctx context.Context, ids []string) ([]Order, upstream.Failures) {
	return upstream.GetBatch(ctx, cl.c, upstream.BatchRequest{
		Endpoint: "orders.byUser", Path: "/orders", Param: "userIds", Require: "orders",
	}, ids, func(l *OrderList) []Order { return l.Orders })
}

// Order returns one order, or nil without an error when it does not exist.
func (cl *Client) Order(ctx context.Context, id string) (*Order, error) {
	var out Order
	err := cl.c.Get(ctx, upstream.Request{Endpoint: "orders.get", Path: "/orders/" + url.PathEscape(id), IDs: 1, Single: true}, &out)
	if errors.Is(err, upstream.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Len implements upstream.Lener.
func (l *OrderList) Len() int { return len(l.Orders) }

// Validate implements upstream.Validator.
func (l *OrderList) Validate() error {
	for i := range l.Orders {
		if err := l.Orders[i].Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Validate implements upstream.Validator: ids present, status one of the
// contract's values.
func (o *Order) Validate() error {
	if o.Id == "" || o.UserId == "" {
		return errors.New("order without id or userId")
	}
	switch o.Status {
	case Pending, Paid, Shipped, Delivered, Cancelled:
	default:
		return fmt.Errorf("order %s: unknown status %q", o.Id, o.Status)
	}
	for _, it := range o.Items {
		if it.ProductId == "" {
			return fmt.Errorf("order %s: item without productId", o.Id)
		}
	}
	return nil
}
