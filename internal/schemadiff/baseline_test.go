package schemadiff_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/internal/schemadiff"
)

// baselinePath is the committed public schema, relative to this package.
var baselinePath = filepath.Join("..", "..", "api", "schema.graphql")

// TestBaselineMatchesSchema keeps api/schema.graphql, the contract clients
// see, in step with the schema the gateway serves: any difference, even a
// safe one, fails, so that every change to the public schema is a reviewed
// change to that file.
func TestBaselineMatchesSchema(t *testing.T) {
	sdl, err := os.ReadFile(baselinePath)
	if err != nil {
		t.Fatalf("read the baseline: %v", err)
	}
	baseline := mustLoad(t, baselinePath, string(sdl))
	current := graph.NewExecutableSchema(graph.Config{}).Schema()

	changes := schemadiff.Compare(baseline, current)
	if len(changes) == 0 {
		return
	}
	t.Errorf("the GraphQL schema differs from the committed baseline api/schema.graphql:\n\n%s\n\n"+
		"If the change is not intended, revert it in graph/*.graphqls.\n"+
		"If it is, regenerate the baseline and commit it with the change:\n\n"+
		"\tgo run . -print-schema > api/schema.graphql",
		schemadiff.Report(changes))
}
