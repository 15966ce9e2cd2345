package loaders

import (
	"context"
	"slices"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// The fan-out record is found by a LoadAll under a root field (which read
// it once, when the root's context was made) and by one outside any root.
func TestWaitsRecordedUnderARootAndWithout(t *testing.T) {
	c := &counted{}
	l, _, ctx := managed(t, c)
	w := &Waits{}
	ctx = WithWaits(ctx, w)
	rootCtx, _ := WithRoot(ctx)
	field := func(ctx context.Context, name string) context.Context {
		return graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: name}}})
	}
	if _, errs := l.LoadAll(field(rootCtx, "underRoot"), []string{"a"}, 1); errs != nil {
		t.Fatal(errs)
	}
	if _, errs := l.LoadAll(field(ctx, "noRoot"), []string{"b"}, 1); errs != nil {
		t.Fatal(errs)
	}
	if got := w.Fields("test"); !slices.Equal(got, []string{"noRoot", "underRoot"}) {
		t.Errorf("fields that waited: got %v, want [noRoot underRoot]", got)
	}
	// Without a record, nothing is recorded and nothing fails.
	plain, _ := WithRoot(context.WithValue(context.Background(), waitHookKey{}, ctx.Value(waitHookKey{})))
	if _, errs := l.LoadAll(plain, []string{"c"}, 1); errs != nil {
		t.Fatal(errs)
	}
}
