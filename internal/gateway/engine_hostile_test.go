package gateway_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/graph/served"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/internal/gateway"
)

// docSelections counts a document's selections, fragment spreads
// included: the size planning work must stay linear in.
func docSelections(t *testing.T, q string) int {
	doc, errs := gqlparser.LoadQuery(graph.NewExecutableSchema(graph.Config{}).Schema(), q)
	if errs != nil {
		t.Fatalf("invalid: %v\n%s", errs, q)
	}
	n := 0
	var walk func(sel ast.SelectionSet)
	walk = func(sel ast.SelectionSet) {
		for _, s := range sel {
			n++
			switch s := s.(type) {
			case *ast.Field:
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walk(f.SelectionSet)
	}
	return n
}

// Fragment chains that spread each fragment twice or three times (with
// @include on variables, through inline fragments, under merged list
// fields and aliases) would be exponential to expand naively; the plan
// merges them, and its work — counted, not timed — stays within three times the
// document's selections at every length.
func TestPlanningWorkIsLinearInTheDocument(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	shapes := map[string]func(i int) string{
		"doubling spreads": func(i int) string {
			return fmt.Sprintf("fragment F%d on Product { name ...F%d ...F%d }", i, i+1, i+1)
		},
		"tripling spreads with @include": func(i int) string {
			return fmt.Sprintf("fragment F%d on Product { id ...F%d @include(if: $a) ...F%d @skip(if: $b) ...F%d }", i, i+1, i+1, i+1)
		},
		"inline fragments": func(i int) string {
			return fmt.Sprintf("fragment F%d on Product { ... on Product { ...F%d } ... on Product { name ...F%d } }", i, i+1, i+1)
		},
		"deferred spreads": func(i int) string {
			return fmt.Sprintf("fragment F%d on Product { name stock { available } ...F%d @defer(label: \"l%d\") ...F%d }", i, i+1, i, i+1)
		},
		"deferred inline fragments with @defer(if:)": func(i int) string {
			return fmt.Sprintf("fragment F%d on Product { ... @defer(if: $a) { reviews { rating } ...F%d } ... @defer(label: \"l%d\") { stock { available } ...F%d } }", i, i+1, i, i+1)
		},
		"merged list fields": func(i int) string {
			return fmt.Sprintf("fragment F%d on Product { related { ...F%d } related { id ...F%d } r: related { ...F%d } }", i, i+1, i+1, i+1)
		},
	}
	for name, frag := range shapes {
		t.Run(name, func(t *testing.T) {
			prev := 0
			lengths := []int{4, 8, 12}
			if strings.HasPrefix(name, "deferred") {
				// A field's @defer labels merged anew at every level grow
				// as the square of the chain: long enough to show it.
				lengths = append(lengths, 40)
			}
			for _, k := range lengths {
				var b strings.Builder
				b.WriteString(`query($a: Boolean! = true, $b: Boolean! = false) { productsByIds(ids: ["p1", "p2"]) { ...F0 @include(if: $a) id @skip(if: $b) } }`)
				for i := range k {
					b.WriteString("\n" + frag(i))
				}
				fmt.Fprintf(&b, "\nfragment F%d on Product { id }", k)
				q := b.String()
				x, err := gateway.Explain(&cfg, served.Graph(), q, "", nil)
				if err != nil {
					t.Fatal(err)
				}
				size := docSelections(t, q)
				if x.Engine != engine.Plan {
					t.Fatalf("length %d: runs on %s (%s)", k, x.Engine, x.Why)
				}
				if x.PlanningWork > 3*size {
					t.Errorf("length %d: planning work %d for a document of %d selections", k, x.PlanningWork, size)
				}
				if x.PlanningWork <= prev {
					t.Errorf("length %d: planning work %d, not more than the shorter chain's %d (is it counted?)", k, x.PlanningWork, prev)
				}
				prev = x.PlanningWork
			}
		})
	}
}

// A document's plans are kept per combination of its directive
// variables' values, at most 16 of them: a client sending one document
// with ever new @include values gets a plan made per request past that,
// and cannot fill the cache.
func TestPlansKeptPerDirectiveShapeAreBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const q = `query($a: Boolean!, $b: Boolean!, $c: Boolean!, $d: Boolean!, $e: Boolean!) {
		product(id: "p1") { id @include(if: $a) name @include(if: $b) category @include(if: $c) imageUrl @include(if: $d) description @include(if: $e) } }`
	vars := func(shape int) map[string]any {
		m := map[string]any{}
		for i, v := range []string{"a", "b", "c", "d", "e"} {
			m[v] = shape&(1<<i) != 0
		}
		return m
	}
	ask := func(shape int) {
		t.Helper()
		if r := e.Query(q, vars(shape)); len(r.Errors) > 0 || r.Data["product"] == nil {
			t.Fatalf("shape %d: %s", shape, r.Raw)
		}
	}
	for shape := range 32 {
		ask(shape)
	}
	made := e.GW.PlansMade()
	if made != 32 {
		t.Fatalf("32 shapes made %d plans", made)
	}
	ask(3) // kept
	if e.GW.PlansMade() != made {
		t.Errorf("a shape seen among the first 16 was planned again")
	}
	ask(30) // past the bound: not kept
	if e.GW.PlansMade() != made+1 {
		t.Errorf("a shape past the bound was not planned per request")
	}
}
