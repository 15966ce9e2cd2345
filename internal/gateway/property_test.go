package gateway_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/internal/bounds"
	"github.com/tributary-gw/tributary/internal/config"
)

// propertyWorkBound is the fixed bound on the estimator's work units for
// any generated query (they are at most a few hundred selections).
const propertyWorkBound = 5000

// For random valid queries generated from the schema — nested, aliased,
// with fragments, with arguments in and out of their declared range — the
// estimate is never below the backend calls the query really makes, never
// negative, and costs a bounded amount of work; a query with an argument
// out of range is refused as BAD_USER_INPUT with no backend call.
func TestPropertyEstimateBoundsRealCalls(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	// The limits are off so every in-range query runs and its real calls
	// can be compared with the estimate.
	e := newEnv(t, func(c *config.Config) {
		c.Limits.MaxDepth, c.Limits.MaxAliases, c.Limits.MaxBackendCalls, c.Limits.MaxItems = 0, 0, 0, 0
		c.Limits.MaxIntrospectionItems = 0
		c.Budget.DefaultCalls = 0
		c.FanoutReport = true // to see whether the engine alone dispatched
	})
	const runs = 400
	var ran, refused, maxWork, retried int
	for seed := range uint64(runs) {
		g := newQueryGen(schema, seed)
		q, vars := g.query()
		if _, errs := gqlparser.LoadQueryWithRules(schema, q, nil); errs != nil {
			t.Fatalf("seed %d: the generator wrote an invalid query (%v):\n%s", seed, errs, q)
		}
		est := estimate(t, q, vars)
		maxWork = max(maxWork, est.Work)
		for _, n := range []int{est.Depth, est.Aliases, est.Calls, est.Items, est.IntrospectionItems} {
			if n < 0 {
				t.Fatalf("seed %d: negative figure in %+v\n%s", seed, est, q)
			}
		}
		if est.Work > propertyWorkBound || est.Exhausted {
			t.Fatalf("seed %d: work %d units (exhausted %v), want at most %d\n%s", seed, est.Work, est.Exhausted, propertyWorkBound, q)
		}

		// The estimate counts the calls the plan's rounds make: one per
		// look-up and round. When the loaders' backstop timer dispatches instead (a
		// starved CPU, e.g. under -race on a loaded machine), a level can
		// split into more calls; such a run says nothing about the
		// estimate, so it is run again.
		var r gqlResponse
		var calls int64
		for attempt := range 5 {
			e.Backends.ResetStats()
			r = e.queryWithReport(q, vars)
			calls = e.TotalCalls()
			if get(r.Extensions, "tributary", "fanout", "batching", "backstops") != float64(0) {
				if g.outOfRange || get(r.Extensions, "tributary", "fanout") == nil {
					break // refused before execution: no report, no calls
				}
				retried++
				if attempt == 4 {
					t.Fatalf("seed %d: the loaders needed their backstop five times in a row\n%s", seed, q)
				}
				continue
			}
			break
		}
		if g.outOfRange {
			refused++
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
				t.Fatalf("seed %d: out-of-range argument: got %s, want BAD_USER_INPUT\n%s\nvars %v", seed, r.Raw, q, vars)
			}
			if calls != 0 {
				t.Fatalf("seed %d: out-of-range argument made %d backend calls, want 0\n%s", seed, calls, q)
			}
			continue
		}
		ran++
		for _, err := range r.Errors {
			if err.Extensions["code"] == "BAD_USER_INPUT" {
				t.Fatalf("seed %d: in-range query refused: %v\n%s\nvars %v", seed, err, q, vars)
			}
		}
		if calls > int64(est.Calls) {
			t.Fatalf("seed %d: the backends saw %d calls, the estimate was %d (%v)\n%s\nvars %v", seed, calls, est.Calls, est.PerService, q, vars)
		}
	}
	t.Logf("%d queries ran, %d refused for an argument out of range, %d runs repeated after a backstop dispatch; most estimator work: %d units",
		ran, refused, retried, maxWork)
	if ran < runs/2 || refused == 0 {
		t.Errorf("generator balance: %d ran, %d refused; want most to run and some to be refused", ran, refused)
	}
}

// queryGen writes a random valid query for the schema.
type queryGen struct {
	schema     *ast.Schema
	rnd        *rand.Rand
	bounds     map[bounds.Arg]bounds.Range
	frags      []string
	varDefs    []string
	vars       map[string]any
	aliasN     int
	outOfRange bool // some argument is outside its declared range
	// withAuth adds the root field me and asks mostly for the users the
	// differential test's callers are (u1, u2); directives adds @skip and
	// @include on variables.
	withAuth, directives bool
	// defers puts some selections under @defer (labelled, on variables
	// now and then, nested as selections nest); labels counts them.
	defers bool
	labels int
	// deferConst keeps @defer's if argument off variables.
	deferConst bool
}

func newQueryGen(s *ast.Schema, seed uint64) *queryGen {
	return &queryGen{schema: s, rnd: rand.New(rand.NewPCG(seed, 11)), bounds: bounds.Declared(), vars: map[string]any{}}
}

func (g *queryGen) chance(p float64) bool { return g.rnd.Float64() < p }

func (g *queryGen) query() (string, map[string]any) {
	// Root fields that run without a caller (auth.mode is off; `me` needs
	// a subject).
	roots := []string{"product", "productsByIds", "products", "user", "dashboard"}
	if g.withAuth {
		roots = append(roots, "me")
	}
	var sel []string
	for i := range 1 + g.rnd.IntN(2) {
		name := roots[g.rnd.IntN(len(roots))]
		sel = append(sel, g.field(g.schema.Query, g.schema.Query.Fields.ForName(name), 0, i > 0))
	}
	var b strings.Builder
	b.WriteString("query")
	if len(g.varDefs) > 0 {
		b.WriteString("(" + strings.Join(g.varDefs, ", ") + ")")
	}
	b.WriteString(" { " + strings.Join(sel, " ") + " }")
	for _, f := range g.frags {
		b.WriteString("\n" + f)
	}
	return b.String(), g.vars
}

const maxGenDepth = 4

// field writes one selection of f on parent: maybe aliased, its arguments,
// and a sub-selection for objects.
func (g *queryGen) field(parent *ast.Definition, f *ast.FieldDefinition, depth int, forceAlias bool) string {
	var b strings.Builder
	if forceAlias || g.chance(0.15) {
		g.aliasN++
		fmt.Fprintf(&b, "a%d: ", g.aliasN)
	}
	b.WriteString(f.Name)
	if args := g.args(parent, f); args != "" {
		b.WriteString("(" + args + ")")
	}
	b.WriteString(g.directive())
	if t := g.schema.Types[f.Type.Name()]; t.Kind == ast.Object {
		b.WriteString(" { " + g.selection(t, depth+1) + " }")
	}
	return b.String()
}

// selection writes a selection set of t, sometimes through a named or an
// inline fragment.
func (g *queryGen) selection(t *ast.Definition, depth int) string {
	var parts []string
	var leaves, objects []*ast.FieldDefinition
	for _, f := range t.Fields {
		if strings.HasPrefix(f.Name, "__") || f.Name == "me" {
			continue
		}
		if g.schema.Types[f.Type.Name()].Kind == ast.Object {
			objects = append(objects, f)
		} else {
			leaves = append(leaves, f)
		}
	}
	if len(leaves) > 0 {
		parts = append(parts, g.field(t, leaves[g.rnd.IntN(len(leaves))], depth, false))
	} else {
		parts = append(parts, "__typename")
	}
	if depth < maxGenDepth {
		for _, f := range objects {
			if g.chance(0.35) {
				parts = append(parts, g.field(t, f, depth, false))
				if g.chance(0.1) { // the same field again, aliased apart (its arguments may differ)
					parts = append(parts, g.field(t, f, depth, true))
				}
			}
		}
	}
	sel := strings.Join(parts, " ")
	switch {
	case g.chance(0.15):
		name := fmt.Sprintf("F%d", len(g.frags))
		g.frags = append(g.frags, fmt.Sprintf("fragment %s on %s { %s }", name, t.Name, sel))
		spread := "..." + name + g.deferDirective(0.3)
		if g.chance(0.5) {
			spread += " ..." + name // spread twice: execution merges it
		}
		return spread
	case len(parts) > 1 && g.defers && g.chance(0.4):
		// The first part now, the others later.
		return parts[0] + " ... on " + t.Name + g.directive() + g.deferDirective(1) + " { " + strings.Join(parts[1:], " ") + " }"
	case g.defers && g.chance(0.15):
		return "..." + g.deferDirective(1) + " { " + sel + " }"
	case g.chance(0.1):
		return "... on " + t.Name + g.directive() + " { " + sel + " }"
	}
	return sel
}

// deferDirective writes, with probability p when asked for, @defer with a
// label of its own (gqlgen's executor waits forever for a field deferred
// twice under one label: see engine/defer.go), its if argument now and
// then on a variable.
func (g *queryGen) deferDirective(p float64) string {
	if !g.defers || !g.chance(p) {
		return ""
	}
	g.labels++
	d := fmt.Sprintf(" @defer(label: %q", fmt.Sprintf("d%d", g.labels))
	if !g.deferConst && g.chance(0.25) {
		v := fmt.Sprintf("v%d", len(g.varDefs))
		g.varDefs = append(g.varDefs, "$"+v+": Boolean!")
		g.vars[v] = g.chance(0.6)
		d += ", if: $" + v
	}
	return d + ")"
}

// directive writes, now and then when asked for, @skip or @include on a
// Boolean variable.
func (g *queryGen) directive() string {
	if !g.directives || !g.chance(0.1) {
		return ""
	}
	v := fmt.Sprintf("v%d", len(g.varDefs))
	g.varDefs = append(g.varDefs, "$"+v+": Boolean!")
	g.vars[v] = g.chance(0.5)
	if g.chance(0.5) {
		return " @skip(if: $" + v + ")"
	}
	return " @include(if: $" + v + ")"
}

// args writes f's arguments: required ones always, bounded ones mostly in
// range and small (to keep the fan-out small), sometimes out of range or
// above 2^31, sometimes through a variable.
func (g *queryGen) args(parent *ast.Definition, f *ast.FieldDefinition) string {
	var out []string
	for _, a := range f.Arguments {
		r, bounded := g.bounds[bounds.Arg{Type: parent.Name, Field: f.Name, Arg: a.Name}]
		var lit string
		var val any
		switch {
		case bounded && a.Type.Elem != nil: // a list of ids
			n := min(r.Max, g.rnd.IntN(4))
			if g.chance(0.08) {
				n, g.outOfRange = r.Max+1, true
			}
			ids := make([]any, n)
			quoted := make([]string, n)
			for i := range ids {
				ids[i] = fmt.Sprintf("p%d", 1+g.rnd.IntN(1000))
				quoted[i] = fmt.Sprintf("%q", ids[i])
			}
			lit, val = "["+strings.Join(quoted, ", ")+"]", ids
		case bounded:
			if a.DefaultValue != nil && g.chance(0.3) {
				continue // the default, which is in range
			}
			n := int64(r.Min + g.rnd.IntN(min(4, r.Max-r.Min+1)))
			switch {
			case g.chance(0.05):
				n, g.outOfRange = int64(r.Max)+1+int64(g.rnd.IntN(1000)), true
			case g.chance(0.03):
				n, g.outOfRange = 1<<31+int64(g.rnd.IntN(1<<20)), true
			case g.chance(0.03) && r.Min == 0:
				n, g.outOfRange = -1, true
			}
			lit, val = fmt.Sprint(n), n
		case a.Type.NonNull && a.DefaultValue == nil: // an id
			prefix := "p"
			if a.Name == "userId" || parent.Name == "Query" && f.Name == "user" {
				prefix = "u"
			}
			n := 1 + g.rnd.IntN(200)
			if prefix == "u" && g.withAuth && g.chance(0.6) {
				n = 1 + g.rnd.IntN(3)
			}
			id := fmt.Sprintf("%s%d", prefix, n)
			lit, val = fmt.Sprintf("%q", id), id
		case a.Name == "currency" && g.chance(0.3):
			lit, val = `"EUR"`, "EUR"
		default:
			continue
		}
		if g.chance(0.2) {
			v := fmt.Sprintf("v%d", len(g.varDefs))
			g.varDefs = append(g.varDefs, "$"+v+": "+a.Type.String())
			g.vars[v] = val
			lit = "$" + v
		}
		out = append(out, a.Name+": "+lit)
	}
	return strings.Join(out, ", ")
}
