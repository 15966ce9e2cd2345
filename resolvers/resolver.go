// Package resolvers implements the graph: resolvers take loaders from the
// context, map backend DTOs to graph models and return errors as they come;
// the error presenter turns them into GraphQL errors.
package resolvers

import (
	"context"

	"github.com/tributary-gw/tributary/services/catalog"
)

// Catalog is what the resolvers need beyond the loaders: the listing, which
// is not a look-up by key.
type Catalog interface {
	List(ctx context.Context, p catalog.ListParams) (catalog.Page, error)
}

// Resolver holds the long-lived dependencies; everything per request (the
// loaders) travels in the context.
type Resolver struct {
	Catalog Catalog
}
