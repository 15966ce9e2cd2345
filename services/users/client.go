// Package users is the typed client of the users service.
package users

import (
	"context"
	"errors"
	"net/url"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// Client calls the users service.
type Client struct{ c *upstream.Client }

// New returns a client over c, which must be configured for "users".
func New(c *upstream.Client) *Client { return &Client{c: c} }

// Users returns the users among ids that exist.
func (cl *Client) Users(ctx context.Context, ids []string) ([]User, upstream.Failures) {
	return upstream.GetBatch(ctx, cl.c, upstream.BatchRequest{
		Endpoint: "users.byIds", Path: "/users", Param: "ids", Require: "users",
	}, ids, func(l *UserList) []User { return l.Users })
}

// User returns one user, or nil without an error when it does not exist.
func (cl *Client) User(ctx context.Context, id string) (*User, error) {
	var out User
	err := cl.c.Get(ctx, upstream.Request{Endpoint: "users.get", Path: "/users/" + url.PathEscape(id), IDs: 1, Single: true}, &out)
	if errors.Is(err, upstream.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Len implements upstream.Lener.
func (l *UserList) Len() int { return len(l.Users) }

// Validate implements upstream.Validator.
func (l *UserList) Validate() error {
	for i := range l.Users {
		if err := l.Users[i].Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Validate implements upstream.Validator.
func (u *User) Validate() error {
	if u.Id == "" {
		return errors.New("user without id")
	}
	return nil
}
