package gateway

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// CodeCriticalFieldFailed marks a root field nulled because a critical
// field below it failed; the field's own error is reported too.
const CodeCriticalFieldFailed = "CRITICAL_FIELD_FAILED"

// criticalRoots gives each root field run by gqlgen's executor its state
// in the request loaders (engine.Runtime.WithRoot) and nulls the root field
// when a critical field below it failed. Other root fields of the operation
// are unaffected.
type criticalRoots struct{ loaders Loaders }

var (
	_ graphql.HandlerExtension     = criticalRoots{}
	_ graphql.RootFieldInterceptor = criticalRoots{}
)

func (criticalRoots) ExtensionName() string                   { return "CriticalRoots" }
func (criticalRoots) Validate(graphql.ExecutableSchema) error { return nil }

func (c criticalRoots) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	ctx, rootErr := c.loaders.WithRoot(ctx)
	m := next(ctx)
	err := rootErr()
	if err == nil {
		return m
	}
	rootFailed(ctx, graphql.GetRootFieldContext(ctx).Field.Alias, err)
	return graphql.Null
}

// rootFailed reports the root field name nulled by err, a critical field
// of it failing (the plan engine reports it too).
func rootFailed(ctx context.Context, name string, err error) {
	ext := map[string]any{"code": CodeCriticalFieldFailed}
	if ue, ok := upstream.AsError(err); ok {
		ext["service"] = ue.Service
		ext["cause"] = string(ue.Code)
	}
	graphql.AddError(ctx, &gqlerror.Error{
		Message:    fmt.Sprintf("%s is null because a critical field of it failed", name),
		Path:       ast.Path{ast.PathName(name)},
		Extensions: ext,
	})
}

// reportDegradation lists in extensions.tributary.stale the fields the
// request loaders l served from the fallback cache, so clients know what
// is not fresh.
func reportDegradation(l Loaders) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		lr, ok := l.Report(ctx)
		if resp == nil || !ok {
			return resp
		}
		if len(lr.Stale) > 0 {
			tributaryExtensions(resp)["stale"] = lr.Stale
		}
		return resp
	}
}

// tributaryExtensions returns the response's extensions.tributary map.
func tributaryExtensions(resp *graphql.Response) map[string]any {
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	m, ok := resp.Extensions["tributary"].(map[string]any)
	if !ok {
		m = map[string]any{}
		resp.Extensions["tributary"] = m
	}
	return m
}
