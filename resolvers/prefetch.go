package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tributary-gw/tributary/graph/model"

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
		if f.Definition != nil && f.Definition.Directives.ForName("auth") != nil {
			// Fetched only once authorized, when it resolves: a prefetch
			// would call the backend for a field the caller may not read.
			continue
		}
		switch f.Name {
		case "orders", "recentOrders", "summary":
			l.OrdersByUser.Load(ctx, userID)
		case "reviews":
			l.ReviewsByAuthor.Load(ctx, userID)
		}
	}
}

// dashboardFor is a user's dashboard, or nil when the user does not exist;
// the orders and reviews it shows are fetched alongside the user.
func dashboardFor(ctx context.Context, userID string) (*model.Dashboard, error) {
	prefetchUserFields(ctx, userID)
	u, err := loadOne(ctx, loaders.For(ctx).User, userID, toUser)
	if err != nil || u == nil {
		return nil, err
	}
	return &model.Dashboard{UserID: userID, User: u}, nil
}

type subjectKey struct{}

// WithSubject returns ctx for a caller authenticated as subject (a user id).
func WithSubject(ctx context.Context, subject string) context.Context {
	return context.WithValue(ctx, subjectKey{}, subject)
}

// Subject returns the authenticated caller's user id.
func Subject(ctx context.Context) (string, bool) {
	s, ok := ctx.Value(subjectKey{}).(string)
	return s, ok && s != ""
}

// prefetchProductFields starts, for products whose ids are known before
// the catalog answers (an order item's product, a review's product, related
// products, a product asked for by id), the look-ups of their fields that
// need only the id: price, stock, reviews. They then go out in parallel
// with the catalog call instead of one round trip after it. Only fields
// the query selects under the current field are fetched.
func prefetchProductFields(ctx context.Context, ids []string) {
	if len(ids) == 0 {
		return
	}
	l := loaders.For(ctx)
	vars := graphql.GetOperationContext(ctx).Variables
	for _, f := range graphql.CollectFieldsCtx(ctx, []string{"Product"}) {
		if f.Definition != nil && f.Definition.Directives.ForName("auth") != nil {
			continue
		}
		switch f.Name {
		case "price":
			cur, _ := f.ArgumentMap(vars)["currency"].(string)
			if checkCurrency(cur) != nil {
				continue // the resolver reports it
			}
			for _, id := range ids {
				l.Price.Load(ctx, loaders.PriceKey{ProductID: id, Currency: cur})
			}
		case "stock":
			for _, id := range ids {
				l.Stock.Load(ctx, id)
			}
		case "reviews", "ratingSummary":
			for _, id := range ids {
				l.ReviewsByProduct.Load(ctx, id)
			}
		}
	}
}
