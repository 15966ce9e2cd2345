package compose_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/compose"
)

func TestRewriteExecutorFailsWhenGqlgenChangesItsCalls(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "generated.go")
	src := "fields := graphql.CollectFields(ec.OperationContext, sel, fooImplementors)\n" +
		"deferred := graphql.NewDeferredGroup(ctx)\n" +
		"\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn out\n}\n" +
		"ret := graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, f)\n" +
		"out.ResolveConcurrently(ec.OperationContext, &deferred, i, true, false, g)\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := compose.RewriteExecutor(file); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(file)
	for _, want := range []string{"collectFields(ec.OperationContext, sel, fooImplementors)",
		"newDeferredGroup(ctx, fields)", "return objectOf(fields, out)", "marshalList(ctx, sel, v, len(v), 0, false, f)",
		"resolveConcurrently(ctx, out, field, ec.OperationContext, &deferred, i, true, false, g)"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("rewritten file lacks %q:\n%s", want, got)
		}
	}
	// Running it again (go generate twice) changes nothing.
	if err := compose.RewriteExecutor(file); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(file); string(again) != string(got) {
		t.Errorf("second rewrite changed the file")
	}

	if err := os.WriteFile(file, []byte(strings.ReplaceAll(src, "MarshalSliceConcurrently", "MarshalSliceInParallel")), 0o644); err != nil {
		t.Fatal(err)
	}
	err := compose.RewriteExecutor(file)
	if err == nil || !strings.Contains(err.Error(), "MarshalSliceConcurrently") {
		t.Errorf("a template without the call: got %v, want an error naming it", err)
	}
}
