package cost_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/cost"
)

// The estimate splits a look-up's keys at its service's own batch limit
// (@source(batchLimit:)), as the batch functions do: a service that takes
// 10 ids a call costs 3 calls for 25 keys, not the 1 that
// upstream.MaxBatch would give.
func TestEstimateSplitsAtTheSourcesBatchLimit(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	ids := make([]string, 25)
	for i := range ids {
		ids[i] = fmt.Sprintf("%q", fmt.Sprintf("p%d", i+1))
	}
	list := "[" + strings.Join(ids, ", ") + "]"
	tests := []struct {
		name       string
		query      string
		giveLimit  int
		wantPrices int
	}{
		{"limit 10, 25 keys", `{ productsByIds(ids: ` + list + `) { price { onSale } } }`, 10, 3},
		{"limit 25, 25 keys", `{ productsByIds(ids: ` + list + `) { price { onSale } } }`, 25, 1},
		{"limit 7, 25 keys", `{ productsByIds(ids: ` + list + `) { price { onSale } } }`, 7, 4},
		{"no limit known", `{ productsByIds(ids: ` + list + `) { price { onSale } } }`, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQueryWithRules(schema, tt.query, nil)
			if errs != nil {
				t.Fatal(errs)
			}
			fields := stubFields{
				{"Query", "productsByIds"}: {Service: "catalog", Batch: "products", Size: cost.ListSize{SlicingArgument: "ids"}},
				{"Product", "price"}:       {Service: "pricing", Batch: "prices", BatchLimit: tt.giveLimit},
			}
			c := cost.Estimate(doc, doc.Operations[0], nil, 10, fields)
			if got := c.PerService["pricing"]; got != tt.wantPrices {
				t.Errorf("got %d pricing calls, want %d (%v)", got, tt.wantPrices, c.PerService)
			}
		})
	}
}

// The schema's Fields takes each field's batch limit from its
// service's @source in the registry.
func TestSchemaFieldsCarryTheBatchLimit(t *testing.T) {
	fc := cost.NewSchemaFields(graph.NewExecutableSchema(graph.Config{}).Schema())
	info, ok := fc.Field("Product", "price")
	if !ok {
		t.Fatal("Product.price: nothing known")
	}
	src, ok := registry.LookupSource(info.Service)
	if !ok {
		t.Fatalf("Product.price: service %q is not declared", info.Service)
	}
	if info.BatchLimit != src.BatchLimit || info.BatchLimit == 0 {
		t.Errorf("got batch limit %d, want %d (the registry's)", info.BatchLimit, src.BatchLimit)
	}
}
