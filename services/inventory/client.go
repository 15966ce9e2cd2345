// Package inventory is the typed client of the inventory service.
package inventory

import (
	"context"
	"errors"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// Client calls the inventory service.
type Client struct{ c *upstream.Client }

// New returns a client over c, which must be configured for "inventory".
func New(c *upstream.Client) *Client { return &Client{c: c} }

// Stock returns the stock of the products among ids that inventory tracks.
func (cl *Client) Stock(ctx context.Context, ids []string) ([]Stock, upstream.Failures) {
	return upstream.GetBatch(ctx, cl.c, upstream.BatchRequest{
		Endpoint: "inventory", Path: "/inventory", Param: "productIds", Require: "items",
	}, ids, func(l *StockList) []Stock { return l.Items })
}

// Len implements upstream.Lener.
func (l *StockList) Len() int { return len(l.Items) }

// Validate implements upstream.Validator.
func (l *StockList) Validate() error {
	for _, s := range l.Items {
		if s.ProductId == "" {
			return errors.New("stock without productId")
		}
	}
	return nil
}
