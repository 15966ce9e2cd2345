package gateway_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"

	"github.com/tributary-gw/tributary/graph/served"
	"github.com/tributary-gw/tributary/internal/bounds"
	"github.com/tributary-gw/tributary/internal/cost"
	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/internal/gateway"
)

// stubFields is a Fields that knows only what it is given.
type stubFields map[[2]string]cost.FieldInfo

func (s stubFields) Field(typeName, fieldName string) (cost.FieldInfo, bool) {
	info, ok := s[[2]string{typeName, fieldName}]
	return info, ok
}

// estimateWith is the engine's estimate of query with fields described by
// fc (the plan's steps are the schema's; sizes and batch limits are fc's).
func estimateWith(t *testing.T, query string, fc cost.Fields) cost.Cost {
	t.Helper()
	g := served.Graph()
	es, root := g.Executable()
	doc, errs := gqlparser.LoadQuery(es.Schema(), query)
	if errs != nil {
		t.Fatal(errs)
	}
	l := g.Loaders(gateway.LoadersConfig{})
	defer l.Close()
	eng := engine.New(engine.Config{Schema: es, Resolvers: root, Runtime: l})
	oc := &graphql.OperationContext{RawQuery: query, Doc: doc, Operation: doc.Operations[0]}
	return eng.Estimate(oc, 10, fc)
}

// The estimate splits a step's keys at its service's batch limit (the
// registry's @source(batchLimit:), through Fields), as the batch
// functions do: 25 prices at 10 a call are 3 calls.
func TestEstimateSplitsAtTheSourcesBatchLimit(t *testing.T) {
	ids := make([]string, 25)
	for i := range ids {
		ids[i] = fmt.Sprintf("%q", fmt.Sprintf("p%d", i+1))
	}
	q := `{ productsByIds(ids: [` + strings.Join(ids, ", ") + `]) { price { onSale } } }`
	for _, tt := range []struct {
		limit, want int
	}{{10, 3}, {25, 1}, {7, 4}, {0, 1}} {
		fc := stubFields{
			{"Query", "productsByIds"}: {Size: cost.ListSize{SlicingArgument: "ids"}},
			{"Product", "price"}:       {BatchLimit: tt.limit},
		}
		c := estimateWith(t, q, fc)
		if got := c.PerService["pricing"]; got != tt.want {
			t.Errorf("limit %d: got %d pricing calls, want %d (%v)", tt.limit, got, tt.want, c.PerService)
		}
	}
}

// The estimate reads list sizes and bounds only through its Fields; the
// calls are the plan's (the related products' prices go with p1's).
func TestEstimateReadsSizesOnlyThroughFields(t *testing.T) {
	q := `{ product(id: "p1") { related(first: 20) { name } price { onSale } } }`
	for _, tt := range []struct {
		name      string
		give      cost.Fields
		wantItems int
	}{
		{"schema directives", schemaFields(), 1 + 20 + 1},
		{"nothing known", stubFields{}, 1 + 10 + 1},
		{"assumed size", stubFields{{"Product", "related"}: {Size: cost.ListSize{Assumed: 2, HasAssumed: true}}}, 1 + 2 + 1},
		{"a bound clamps the slicing argument", stubFields{
			{"Product", "related"}: {Size: cost.ListSize{SlicingArgument: "first"}, Bounds: map[string]bounds.Range{"first": {Min: 0, Max: 3}}},
		}, 1 + 3 + 1},
	} {
		c := estimateWith(t, q, tt.give)
		if c.Calls != 3 || c.Items != tt.wantItems {
			t.Errorf("%s: got %d calls, %d items; want 3, %d (%v)", tt.name, c.Calls, c.Items, tt.wantItems, c.PerService)
		}
	}
}

func schemaFields() cost.Fields {
	es, _ := served.Graph().Executable()
	return cost.NewSchemaFields(es.Schema())
}
