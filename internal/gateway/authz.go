package gateway

import (
	"context"
	"fmt"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/auth"
)

// Authorization codes.
const (
	CodeForbidden       = "FORBIDDEN"
	CodeUnauthenticated = "UNAUTHENTICATED"
)

// authorizer enforces the schema's @auth rules in one place, before a field
// resolves: a caller who may not read it gets null and an error, and the
// resolver — so any backend call — never runs.
type authorizer struct {
	staffRole string
}

var (
	_ graphql.HandlerExtension = authorizer{}
	_ graphql.FieldInterceptor = authorizer{}
)

func (authorizer) ExtensionName() string                   { return "Authorization" }
func (authorizer) Validate(graphql.ExecutableSchema) error { return nil }

func (a authorizer) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return next(ctx)
	}
	d := registry.Lookup(fc.Object, fc.Field.Name)
	if d == nil || d.Auth == "" {
		return next(ctx)
	}
	if err := a.check(ctx, fc.Object, fc.Field.Name, d.Auth, d.Owner.Of(fc.Args, parentOf(fc))); err != nil {
		return nil, err
	}
	return next(ctx)
}

// check decides rule on object.field for the caller of ctx, the data being
// owned by owner: nil when allowed, else the error the field gets (the
// plan engine asks it too).
func (a authorizer) check(ctx context.Context, object, field, rule, owner string) error {
	p, _ := auth.PrincipalFrom(ctx)
	if p.Subject == "" {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("%s.%s needs an authenticated caller", object, field),
			Extensions: map[string]any{"code": CodeUnauthenticated},
		}
	}
	if d := registry.Lookup(object, field); d != nil && d.OwnerRead {
		// A write whose owner is the item it changes: its resolver reads
		// the item and decides (l.Allowed) before anything is written.
		return nil
	}
	if a.allowed(ctx, rule, owner) {
		return nil
	}
	return &gqlerror.Error{
		Message:    fmt.Sprintf("not allowed to read %s.%s", object, field),
		Extensions: map[string]any{"code": CodeForbidden},
	}
}

// allowed decides rule for the caller of ctx (registry.Allows, the one
// rule) — for the check above and, ahead of the field's resolver, for the
// fetch plan; owner is the user the data belongs to.
func (a authorizer) allowed(ctx context.Context, rule, owner string) bool {
	p, _ := auth.PrincipalFrom(ctx)
	return registry.Allows(rule, p.Subject, p.HasRole(a.staffRole), owner)
}

// parentOf is the object the field of fc belongs to: the nearest result
// above it (a list's element, else the parent field's value).
func parentOf(fc *graphql.FieldContext) reflect.Value {
	for p := fc.Parent; p != nil; p = p.Parent {
		if p.Result != nil {
			return reflect.ValueOf(p.Result)
		}
	}
	return reflect.Value{}
}
