package resolvers

import (
	"context"

	"github.com/tributary-gw/tributary/graph/model"
	"github.com/tributary-gw/tributary/internal/auth"
	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/services/loaders"
)

// dashboardFor is a user's dashboard, or nil when the user does not exist.
// The fetch plan sends the dashboard's look-ups alongside the users call.
func dashboardFor(ctx context.Context, userID string) (*model.Dashboard, error) {
	planDashboardByUserID(ctx, []string{userID})
	u, err := loadOne(ctx, loaders.For(ctx).UsersUsersByIds, connect.Key{ID: userID}, same)
	if err != nil || u == nil {
		return nil, err
	}
	return &model.Dashboard{UserID: userID, User: u}, nil
}

// Subject returns the authenticated caller's user id: the subject of the
// request's auth.Principal, the one identity carrier (set by the
// authentication middleware; none for anonymous callers).
func Subject(ctx context.Context) (string, bool) {
	p, _ := auth.PrincipalFrom(ctx)
	return p.Subject, p.Subject != ""
}
