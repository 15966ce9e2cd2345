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
	if err := a.check(ctx, fc.Object, fc.Field.Name, d.Auth, owner(fc)); err != nil {
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
	d := registry.Lookup(object, field)
	switch {
	case rule == "AUTHENTICATED":
		return nil
	case d != nil && d.OwnerRead:
		// A write whose owner is the item it changes: its resolver reads
		// the item and decides (l.Allowed) before anything is written.
		return nil
	case rule == "OWNER_OR_STAFF":
		if p.HasRole(a.staffRole) || owner == p.Subject {
			return nil
		}
	}
	return &gqlerror.Error{
		Message:    fmt.Sprintf("not allowed to read %s.%s", object, field),
		Extensions: map[string]any{"code": CodeForbidden},
	}
}

// allowed decides rule for the caller of ctx ahead of the field's
// resolver, for the fetch plan; owner is the user the data belongs to.
func (a authorizer) allowed(ctx context.Context, rule, owner string) bool {
	p, _ := auth.PrincipalFrom(ctx)
	switch {
	case p.Subject == "":
		return false
	case rule == "AUTHENTICATED":
		return true
	case rule == "OWNER_OR_STAFF":
		return p.HasRole(a.staffRole) || (owner != "" && owner == p.Subject)
	}
	return false
}

// owner is the user the field's data belongs to: its userId or id argument,
// else the ID or UserID of the object it is a field of.
func owner(fc *graphql.FieldContext) string {
	for _, arg := range []string{"userId", "id"} {
		if v, ok := fc.Args[arg].(string); ok {
			return v
		}
	}
	for p := fc.Parent; p != nil; p = p.Parent {
		if p.Result == nil {
			continue
		}
		v := reflect.ValueOf(p.Result)
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			if v.IsNil() {
				return ""
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return ""
		}
		for _, name := range []string{"UserID", "ID"} {
			if f := v.FieldByName(name); f.IsValid() && f.Kind() == reflect.String {
				return f.String()
			}
		}
		return ""
	}
	return ""
}
