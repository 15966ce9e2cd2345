// Package reviews is the typed client of the reviews service.
package reviews

import (
	"context"
	"errors"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// Client calls the reviews service.
type Client struct{ c *upstream.Client }

// New returns a client over c, which must be configured for "reviews".
func New(c *upstream.Client) *Client { return &Client{c: c} }

// ByProducts returns all reviews of the products among ids.
func (cl *Client) ByProducts(ctx context.Context, ids []string) ([]Review, upstream.Failures) {
	return cl.batch(ctx, "reviews.byProduct", "productIds", ids)
}

// ByAuthors returns all reviews written by the users among ids.
func (cl *Client) ByAuthors(ctx context.Context, ids []string) ([]Review, upstream.Failures) {
	return cl.batch(ctx, "reviews.byAuthor", "authorIds", ids)
}

func (cl *Client) batch(ctx context.Context, endpoint, param string, ids []string) ([]Review, upstream.Failures) {
	return upstream.GetBatch(ctx, cl.c, upstream.BatchRequest{
		Endpoint: endpoint, Path: "/reviews", Param: param, Require: "reviews",
	}, ids, func(l *ReviewList) []Review { return l.Reviews })
}

// Len implements upstream.Lener.
func (l *ReviewList) Len() int { return len(l.Reviews) }

// Validate implements upstream.Validator.
func (l *ReviewList) Validate() error {
	for _, r := range l.Reviews {
		if r.Id == "" || r.ProductId == "" || r.AuthorId == "" {
			return errors.New("review without id, productId or authorId")
		}
	}
	return nil
}
