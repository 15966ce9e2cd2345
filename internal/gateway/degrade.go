package gateway

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tributary-gw/tributary/internal/upstream"
	"github.com/tributary-gw/tributary/services/loaders"
)

// CodeCriticalFieldFailed marks a root field nulled because a critical
// field below it failed; the field's own error is reported too.
const CodeCriticalFieldFailed = "CRITICAL_FIELD_FAILED"

// criticalRoots gives each root field a loaders.RootState and nulls the
// root field when a critical field below it failed. Other root fields of
// the operation are unaffected.
type criticalRoots struct{}

var (
	_ graphql.HandlerExtension     = criticalRoots{}
	_ graphql.RootFieldInterceptor = criticalRoots{}
)

func (criticalRoots) ExtensionName() string                   { return "CriticalRoots" }
func (criticalRoots) Validate(graphql.ExecutableSchema) error { return nil }

func (criticalRoots) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	ctx, st := loaders.WithRoot(ctx)
	m := next(ctx)
	err := st.Err()
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

// reportDegradation lists in extensions.tributary.stale the fields served
// from the fallback cache, so clients know what is not fresh.
func reportDegradation(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	l, ok := loaders.From(ctx)
	if resp == nil || !ok {
		return resp
	}
	if stale := l.Degradation().StaleAnswers(); len(stale) > 0 {
		tributaryExtensions(resp)["stale"] = stale
	}
	return resp
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
