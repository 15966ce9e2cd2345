package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tributary-gw/tributary/services/loaders"
)

// prefetchUserFields starts the orders and reviews look-ups for userID when
// the query selects them under the current field (user or dashboard), so
// they run in parallel with the users call instead of after it. The loaders
// memoize the answers for the child resolvers; nothing is fetched that the
// query did not ask for.
func prefetchUserFields(ctx context.Context, userID string) {
	l := loaders.For(ctx)
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		switch f.Name {
		case "orders", "recentOrders", "summary":
			l.OrdersByUser.Load(ctx, userID)
		case "reviews":
			l.ReviewsByAuthor.Load(ctx, userID)
		}
	}
}
