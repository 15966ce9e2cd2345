package gateway_test

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/graph/served"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/cost"
	"github.com/tributary-gw/tributary/internal/gateway"
)

// FuzzEstimate feeds valid documents to the argument check and the
// estimate (read from the operation's plan, or its shape when gqlgen's
// executor runs it): neither may panic, every figure stays in [0,
// MaxFigure], the planning work stays linear in the document, and the
// estimate is the same twice.
func FuzzEstimate(f *testing.F) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	fc := cost.NewSchemaFields(schema)
	cfg := config.Default()
	for _, tt := range hostileQueries {
		if len(tt.query) < 4096 {
			f.Add(tt.query, int64(3))
		}
	}
	for _, q := range []string{
		listingQuery, pageQuery, introspectionQuery, fragmentedIntrospection,
		doublingFragments(6), doublingServiceFragments(6), relatedChain(6),
		`query($n: Int!) { product(id: "p1") { reviews(first: $n) { author { reviews(first: $n) { product { name } } } } } }`,
		`query($n: Int!) { products(first: $n) { nodes { related(first: $n) { price(currency: "EUR") { onSale } p: price { onSale } } } } }`,
	} {
		f.Add(q, int64(7))
		f.Add(q, int64(1)<<40)
	}
	f.Fuzz(func(t *testing.T, q string, n int64) {
		if len(q) > 8<<10 {
			return
		}
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: q}, 4000)
		if err != nil {
			return
		}
		// The gateway refuses these before validation (overlapBound).
		if gateway.OverlapPairs(doc, gateway.DefaultMaxOverlapPairs).Pairs > gateway.DefaultMaxOverlapPairs {
			return
		}
		if errs := validator.ValidateWithRules(schema, doc, nil); errs != nil {
			return
		}
		for _, op := range doc.Operations {
			vars, verr := validator.VariableValues(schema, op, map[string]any{"n": n, "ids": []any{"p1", "p2"}})
			if verr != nil {
				continue
			}
			_ = gateway.CheckArguments(doc, op, vars, fc, 1024)
			c, err := gateway.Estimate(&cfg, served.Graph(), q, op.Name, vars)
			if err != nil {
				t.Fatalf("estimate: %v\n%s", err, q)
			}
			for name, v := range map[string]int{"depth": c.Depth, "aliases": c.Aliases, "calls": c.Calls, "items": c.Items,
				"introspectionItems": c.IntrospectionItems, "work": c.Work} {
				if v < 0 || v > cost.MaxFigure {
					t.Fatalf("%s = %d, out of [0, MaxFigure]\n%s", name, v, q)
				}
			}
			for s, v := range c.PerService {
				if v < 0 || v > cost.MaxFigure {
					t.Fatalf("perService[%s] = %d\n%s", s, v, q)
				}
			}
			// Planning and its walk are linear in the document: a few
			// units per byte at most, far under the limits' bound.
			if c.Work > 4*len(q)+64 || c.Work > cost.DefaultMaxWork {
				t.Fatalf("work %d for a document of %d bytes\n%s", c.Work, len(q), q)
			}
			if again, _ := gateway.Estimate(&cfg, served.Graph(), q, op.Name, vars); again.Calls != c.Calls || again.Items != c.Items {
				t.Fatalf("estimate not deterministic: %+v then %+v\n%s", c, again, q)
			}
		}
	})
}
