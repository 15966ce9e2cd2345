// Package catalog is the typed client of the catalog service: products by
// id, a product page of the catalog, one product.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// Client calls the catalog service.
type Client struct{ c *upstream.Client }

// New returns a client over c, which must be configured for "catalog".
func New(c *upstream.Client) *Client { return &Client{c: c} }

// Products returns the products among ids that exist, in no particular
// order; unknown ids are absent. More than 100 ids are fetched in concurrent
// chunks; Failures says which ids' chunks failed.
func (cl *Client) Products(ctx context.Context, ids []string) ([]Product, upstream.Failures) {
	return upstream.GetBatch(ctx, cl.c, upstream.BatchRequest{
		Endpoint: "products.byIds", Path: "/products", Param: "ids", Require: "products",
	}, ids, func(l *ProductList) []Product { return l.Products })
}

// ListParams selects a page of the catalog.
type ListParams struct {
	Category string // empty for all categories
	First    int    // 1..100
	After    string // cursor from a previous page, empty for the first
}

// Page is one page of the catalog; NextCursor is empty on the last page.
type Page struct {
	Products   []Product
	NextCursor string
}

// List returns one page of products in the catalog's stable order.
func (cl *Client) List(ctx context.Context, p ListParams) (Page, error) {
	q := url.Values{"first": {strconv.Itoa(p.First)}}
	if p.After != "" {
		q.Set("after", p.After)
	}
	if p.Category != "" {
		q.Set("category", p.Category)
	}
	var out ProductList
	if err := cl.c.Get(ctx, upstream.Request{Endpoint: "products.list", Path: "/products", Query: q, Require: "products"}, &out); err != nil {
		return Page{}, err
	}
	pg := Page{Products: out.Products}
	if out.NextCursor != nil {
		pg.NextCursor = *out.NextCursor
	}
	return pg, nil
}

// Product returns one product, or nil without an error when it does not
// exist.
func (cl *Client) Product(ctx context.Context, id string) (*Product, error) {
	var out Product
	err := cl.c.Get(ctx, upstream.Request{Endpoint: "products.get", Path: "/products/" + url.PathEscape(id), IDs: 1, Single: true}, &out)
	if errors.Is(err, upstream.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Len implements upstream.Lener.
func (l *ProductList) Len() int { return len(l.Products) }

// Validate implements upstream.Validator.
func (l *ProductList) Validate() error {
	for i := range l.Products {
		if err := l.Products[i].Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Validate implements upstream.Validator: a product must have an id.
func (p *Product) Validate() error {
	if p.Id == "" {
		return fmt.Errorf("product without id")
	}
	return nil
}
