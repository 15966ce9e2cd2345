package cost_test

import (
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/internal/bounds"
	"github.com/tributary-gw/tributary/internal/cost"
)

// stubFields is a Fields that knows only what it is given, as the
// directive registry will be.
type stubFields map[[2]string]cost.FieldInfo

func (s stubFields) Field(typeName, fieldName string) (cost.FieldInfo, bool) {
	info, ok := s[[2]string{typeName, fieldName}]
	return info, ok
}

// The estimate reads what fields mean only through its Fields: the
// schema's directives are ignored when another one is given.
func TestEstimateReadsFieldsOnlyThroughFields(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	doc, errs := gqlparser.LoadQueryWithRules(schema, `{ product(id: "p1") { related(first: 20) { name } price { onSale } } }`, nil)
	if errs != nil {
		t.Fatal(errs)
	}
	tests := []struct {
		name      string
		give      cost.Fields
		wantCalls int
		wantItems int
	}{
		{"schema directives", cost.NewSchemaFields(schema), 3, 1 + 20 + 1},
		{"nothing known", stubFields{}, 0, 1 + 10 + 1},
		{"one service, assumed size", stubFields{
			{"Query", "product"}:   {Service: "catalog", Batch: "products"},
			{"Product", "related"}: {Service: "catalog", Batch: "products", Size: cost.ListSize{Assumed: 2, HasAssumed: true}},
		}, 2, 1 + 2 + 1},
		{"a bound clamps the slicing argument", stubFields{
			{"Product", "related"}: {Size: cost.ListSize{SlicingArgument: "first"}, Bounds: map[string]bounds.Range{"first": {Min: 0, Max: 3}}},
		}, 0, 1 + 3 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cost.Estimate(doc, doc.Operations[0], nil, 10, tt.give)
			if c.Calls != tt.wantCalls || c.Items != tt.wantItems {
				t.Errorf("got %d calls, %d items; want %d, %d (%v)", c.Calls, c.Items, tt.wantCalls, tt.wantItems, c.PerService)
			}
		})
	}
}
