package resolvers_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/resolvers"
)

// The batching scheduler (services/loaders/scheduler.go) counts field
// executions on the assumption that a field executed inline — in its parent
// object's goroutine, before the concurrent fields — never waits on a
// loader anywhere below it. gqlgen runs a field inline unless it has a
// resolver, so every field whose subtree contains a resolver must have one
// itself (the composition plugin makes it one: internal/compose/force.go).
func TestInlineFieldsNeverReachALoader(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()

	// Resolver fields, from the generated resolver interfaces.
	isResolver := map[string]bool{} // "Type.field" (lower-cased field)
	rt := reflect.TypeOf(&resolvers.Resolver{})
	for i := range rt.NumMethod() {
		m := rt.Method(i)
		if m.Type.NumOut() != 1 || m.Type.Out(0).Kind() != reflect.Interface {
			continue
		}
		it := m.Type.Out(0)
		for j := range it.NumMethod() {
			isResolver[m.Name+"."+strings.ToLower(it.Method(j).Name)] = true
		}
	}
	if len(isResolver) == 0 {
		t.Fatal("found no resolver fields; the reflection above is broken")
	}
	resolverField := func(typ, field string) bool { return isResolver[typ+"."+strings.ToLower(field)] }

	memo := map[string]bool{}
	var reaches func(typ string, seen map[string]bool) bool
	reaches = func(typ string, seen map[string]bool) bool {
		if v, ok := memo[typ]; ok {
			return v
		}
		def := schema.Types[typ]
		if def == nil || def.Kind != ast.Object || seen[typ] {
			return false
		}
		seen[typ] = true
		for _, f := range def.Fields {
			if resolverField(typ, f.Name) || reaches(f.Type.Name(), seen) {
				memo[typ] = true
				return true
			}
		}
		memo[typ] = false
		return false
	}

	checked := 0
	for name, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") || name == "Query" {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") || resolverField(name, f.Name) {
				continue
			}
			checked++
			if reaches(f.Type.Name(), map[string]bool{}) {
				t.Errorf("%s.%s runs inline but its type %s reaches a resolver: the plugin should have made it one (internal/compose/force.go)",
					name, f.Name, f.Type.Name())
			}
		}
	}
	if checked == 0 {
		t.Fatal("checked no fields")
	}
}
