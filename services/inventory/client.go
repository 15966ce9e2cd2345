// Package inventory is the typed client of the inventory service.
package inventory

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// Client calls the inventory service.
type Client struct{ c *upstream.Client }

// New returns a client over c, which must be configured for "inventory".
func New(c *upstream.Client) *Client { return &Client{c: c} }

// Stock returns the stock of the products among ids that inventory tracks.
func (cl *Client) Stock(ctx context.Context, ids []string) ([]Stock, upstream.Failures) {
	return upstream.Batch(ctx, ids, upstream.MaxBatch, func(ctx context.Context, chunk []string) ([]Stock, error) {
		var out StockList
		err := cl.c.Get(ctx, upstream.Request{
			Endpoint: "inventory", Path: "/inventory",
			Query: url.Values{"productIds": {strings.Join(chunk, ",")}},
			IDs:   len(chunk), Require: "items",
		}, &out)
		return out.Items, err
	})
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
