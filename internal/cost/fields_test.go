package cost_test

import (
	"testing"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/cost"
)

// The schema's Fields takes each field's batch limit from its
// service's @source in the registry.
func TestSchemaFieldsCarryTheBatchLimit(t *testing.T) {
	fc := cost.NewSchemaFields(graph.NewExecutableSchema(graph.Config{}).Schema())
	info, ok := fc.Field("Product", "price")
	if !ok {
		t.Fatal("Product.price: nothing known")
	}
	src, ok := registry.LookupSource(registry.Lookup("Product", "price").Service)
	if !ok {
		t.Fatal("Product.price: its service is not declared")
	}
	if info.BatchLimit != src.BatchLimit || info.BatchLimit == 0 {
		t.Errorf("got batch limit %d, want %d (the registry's)", info.BatchLimit, src.BatchLimit)
	}
}
