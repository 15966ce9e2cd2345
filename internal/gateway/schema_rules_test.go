package gateway_test

import (
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph"
)

// Build-time checks of the resilience directives: a field that may fail on
// its own must be nullable, or null-bubbling would take its parent down.
func TestSchemaDirectiveRules(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	services := map[string]bool{"catalog": true, "pricing": true, "inventory": true, "reviews": true, "users": true, "orders": true}
	for name, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range def.Fields {
			where := name + "." + f.Name
			dirs := f.Directives
			if dirs.ForName("optional") != nil && f.Type.NonNull {
				t.Errorf("%s is @optional but non-null: a failure would null its parent", where)
			}
			if dirs.ForName("optional") != nil && dirs.ForName("critical") != nil {
				t.Errorf("%s is both @optional and @critical", where)
			}
			if d := dirs.ForName("service"); d != nil {
				svc := d.Arguments.ForName("name").Value.Raw
				if !services[svc] {
					t.Errorf("%s: @service(name: %q) is not a backend", where, svc)
				}
				if f.Type.NonNull && dirs.ForName("critical") == nil {
					t.Errorf("%s is served by %s on its own but non-null: make it nullable (or @critical)", where, svc)
				}
			}
			if d := dirs.ForName("fallback"); d != nil {
				v := d.Arguments.ForName("staleFor").Value.Raw
				if dur, err := time.ParseDuration(v); err != nil || dur <= 0 {
					t.Errorf("%s: @fallback(staleFor: %q) is not a positive duration", where, v)
				}
				if dirs.ForName("service") == nil {
					t.Errorf("%s has @fallback but no @service", where)
				}
			}
		}
	}
}
