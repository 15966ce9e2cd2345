package resolvers

import (
	"context"

	"github.com/tributary-gw/tributary/graph/model"
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
