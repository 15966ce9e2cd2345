package gateway_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/graph/registry"
)

// The resilience rules are enforced by go generate (internal/compose);
// this checks that the committed registry agrees with the schema it was
// generated from: a field that may fail on its own must be nullable, or
// null-bubbling would take its parent down.
func TestSchemaDirectiveRules(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	services := registry.Services()
	checked := 0
	registry.Fields(func(typeName, field string, d *registry.Field) {
		checked++
		where := typeName + "." + field
		def := schema.Types[typeName]
		if def == nil || def.Kind != ast.Object || def.Fields.ForName(field) == nil {
			t.Errorf("%s is in the registry but not in the schema: run go generate ./...", where)
			return
		}
		f := def.Fields.ForName(field)
		if d.Criticality == registry.Optional && f.Type.NonNull {
			t.Errorf("%s is @optional but non-null: a failure would null its parent", where)
		}
		if d.Service != "" && !slices.Contains(services, d.Service) {
			t.Errorf("%s: service %q is not declared", where, d.Service)
		}
		if d.Service != "" && f.Type.NonNull && d.Criticality != registry.Critical {
			t.Errorf("%s is served by %s on its own but non-null: make it nullable (or @critical)", where, d.Service)
		}
		if d.StaleFor > 0 && d.Service == "" {
			t.Errorf("%s has @fallback but no service", where)
		}
	})
	if checked == 0 {
		t.Fatal("the registry describes no field")
	}
	for name, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range def.Fields {
			if f.Directives.ForName("connect") != nil && registry.Lookup(name, f.Name) == nil {
				t.Errorf("%s.%s has @connect but no registry entry: run go generate ./...", name, f.Name)
			}
		}
	}
}
