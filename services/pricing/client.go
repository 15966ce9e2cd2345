// Package pricing is the typed client of the pricing service.
package pricing

import (
	"context"
	"errors"
	"net/url"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// Client calls the pricing service.
type Client struct{ c *upstream.Client }

// New returns a client over c, which must be configured for "pricing".
func New(c *upstream.Client) *Client { return &Client{c: c} }

// Prices returns the prices in currency (ISO-4217; empty means the
// service's default, USD) of the products among ids that pricing knows.
// An unknown currency fails every id with a non-transient error.
func (cl *Client) Prices(ctx context.Context, currency string, ids []string) ([]Price, upstream.Failures) {
	req := upstream.BatchRequest{Endpoint: "prices", Path: "/prices", Param: "productIds", Require: "prices"}
	if currency != "" {
		req.Query = url.Values{"currency": {currency}}
	}
	return upstream.GetBatch(ctx, cl.c, req, ids, func(l *PriceList) []Price { return l.Prices })
}

// Len implements upstream.Lener.
func (l *PriceList) Len() int { return len(l.Prices) }

// Validate implements upstream.Validator.
func (l *PriceList) Validate() error {
	for _, p := range l.Prices {
		if p.ProductId == "" || p.Currency == "" {
			return errors.New("price without productId or currency")
		}
	}
	return nil
}
