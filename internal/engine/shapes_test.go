package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/internal/engine/enginetest"
)

// runtime is the engine's Runtime for a schema without loaders: its
// resolvers answer at once.
type runtime struct{}

func (runtime) Manual(context.Context) (func(func(string, string) bool), bool) {
	return func(func(string, string) bool) {}, true
}
func (runtime) Unmanaged(context.Context)                                   {}
func (runtime) OnWait(ctx context.Context, _ engine.Waiter) context.Context { return ctx }
func (runtime) WithRoot(ctx context.Context) (context.Context, func() error) {
	return ctx, func() error { return nil }
}

// shapesPair is the engine and gqlgen's executor over the test schema.
type shapesPair struct {
	plan, ref *handler.Server
	engines   map[string]int
}

// The plan calls resolvers and methods through the generated typed calls
// (typed), or by reflection (a graph without them).
func newShapesPair(typed bool) *shapesPair {
	root := &enginetest.Resolver{}
	es := enginetest.NewExecutableSchema(enginetest.Config{Resolvers: root})
	p := &shapesPair{engines: map[string]int{}}
	var invokers engine.Invokers
	if typed {
		invokers = enginetest.Invokers(root)
	}
	eng := engine.New(engine.Config{Schema: es, Resolvers: root, Invokers: invokers, Runtime: runtime{}, Fields: enginetest.Fields{},
		Authorize: enginetest.Authorize, OnOperation: func(e string) { p.engines[e]++ }})
	serve := func(es graphql.ExecutableSchema) *handler.Server {
		srv := handler.New(es)
		srv.AddTransport(transport.POST{})
		return srv
	}
	p.plan, p.ref = serve(eng), serve(es)
	p.ref.AroundFields(enginetest.AuthorizeField)
	return p
}

// ask runs q on srv and returns the response made comparable: data byte
// for byte, errors sorted (gqlgen's goroutines add them in any order).
func ask(t *testing.T, srv *handler.Server, q string, vars map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req := httptest.NewRequest("POST", "/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var r struct {
		Data   json.RawMessage   `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("not JSON (%v): %s", err, rec.Body)
	}
	errs := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		errs[i] = string(e)
	}
	slices.Sort(errs)
	return fmt.Sprintf("data: %s\nerrors: %s", r.Data, strings.Join(errs, "\n  "))
}

// Shapes the project's schema does not have — @auth on a batch field
// (allowed, denied, some parents of a list, batch errors), custom scalars
// marshalling themselves,
// input objects, enums and lists as arguments, interfaces and unions
// (fields of the interface, inline fragments and fragment spreads on the
// possible types and on the interface, __typename, nulls, errors and
// resolvers below), lists of lists of scalars
// and of objects (null inner lists, null elements, errors and resolvers
// inside), fields bound to methods with arguments (defaults, literals,
// variables) or an error — run on the plan and answer as gqlgen's executor
// does.
func TestShapesRunOnThePlan(t *testing.T) {
	for _, typed := range []bool{true, false} {
		t.Run(callsName(typed), func(t *testing.T) { testShapesRunOnThePlan(t, typed) })
	}
}

// callsName names a subtest by how the plan calls resolvers and methods.
func callsName(typed bool) string {
	if typed {
		return "typed"
	}
	return "reflection"
}

func testShapesRunOnThePlan(t *testing.T, typed bool) {
	p := newShapesPair(typed)
	tests := []struct {
		name string
		q    string
		vars map[string]any
	}{
		{"interface", `{ node(id: "b1") { id __typename ... on Book { title author { name } } ... on Author { name } } }`, nil},
		{"interface, other type", `{ node(id: "a2") { id ... on Book { title } ... on Author { name books { title pages } } } }`, nil},
		{"interface, null and error", `{ a: node(id: "zz") { id } b: node(id: "boom") { id } }`, nil},
		{"list of interface", `{ nodes(ids: ["b2", "zz", "a1", "b5"]) { __typename id ...B ... on Author { books { id } } } } fragment B on Book { title author { id } }`, nil},
		{"union", `{ search(text: "e") { __typename ... on Book { id title } ... on Author { id name } } }`, nil},
		{"union, typename only", `{ search(text: "an") { __typename } }`, nil},
		{"union error", `{ search(text: "") { __typename } }`, nil},
		{"grid", `{ grid { x y label neighbour { id __typename ... on Book { shout } } } }`, nil},
		{"matrix", `{ matrix }`, nil},
		{"lines", `{ book(id: "b1") { lines } b3: book(id: "b3") { lines } }`, nil},
		{"rows", `{ shelf { label rows { id title author { name } risky } } }`, nil},
		{"grid of scalars", `{ grid { x y label } }`, nil},
		{"non-null inner lists and elements", `{ shelf { label stacks { id } } }`, nil},
		{"@auth on a batch field, allowed", `{ author(id: "a1") { name fans } }`, nil},
		{"@auth on a batch field, denied", `{ author(id: "a2") { name fans(first: 1) } }`, nil},
		{"@auth on a batch field, some of a list", `{ nodes(ids: ["a2", "b1", "a1", "zz", "a2"]) { ... on Author { id fans } } search(text: "n") { ... on Author { fans(first: 3) } } }`, nil},
		{"@auth on a batch field, in nested lists", `{ shelf { rows { author { id fans } } } }`, nil},
		{"@auth on a batch field, batch error", `{ nodes(ids: ["a1", "a2"]) { ... on Author { fans(first: -1) } } }`, nil},
		{"custom scalars", `{ books { id rating } }`, nil},
		{"input objects, enums and custom scalar arguments", `{ a: books(filter: {minPages: 200, atLeast: "***"}, order: BY_PAGES) { id rating } b: books(filter: {titles: ["Emma", "Dune"]}) { id } c: books(filter: {titles: "Lost"}) { id } }`, nil},
		{"input objects from variables", `query($f: BookFilter, $o: Order) { books(filter: $f, order: $o) { id pages } }`, map[string]any{"f": map[string]any{"minPages": 100, "atLeast": 2}, "o": "BY_PAGES"}},
		{"method arguments", `{ shelf { label(upper: true) a: label count(of: "e") none: count(of: "") } author(id: "a1") { initials(sep: ".") lower: initials(sep: "-", upper: false) } }`, nil},
		{"method arguments from variables", `query($u: Boolean, $s: String) { shelf { label(upper: $u) } book(id: "b4") { shout(suffix: $s) plain: shout } }`, map[string]any{"u": true, "s": "?"}},
		{"method arguments from null variables", `query($u: Boolean, $s: String) { shelf { label(upper: $u) } book(id: "b4") { shout(suffix: $s) } }`, nil},
		{"method with an error", `{ a: book(id: "b1") { title risky } b: book(id: "b2") { title risky author { books { risky } } } }`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := p.engines[engine.GQLGen]
			got, want := ask(t, p.plan, tt.q, tt.vars), ask(t, p.ref, tt.q, tt.vars)
			if got != want {
				t.Errorf("plan:\n%s\ngqlgen:\n%s", got, want)
			}
			if p.engines[engine.GQLGen] > before {
				t.Errorf("ran on gqlgen's executor, want the plan")
			}
		})
	}
}

// The plan hands a batch field with @auth only the parents allowed to see
// it (nil in the others' places); gqlgen's executor hands it all of them.
func TestBatchAuthFetchesForTheAllowedOnly(t *testing.T) {
	var seen [][]string
	root := &enginetest.Resolver{OnFans: func(parents []*enginetest.Author) {
		var ids []string
		for _, a := range parents {
			id := "nil"
			if a != nil {
				id = a.ID
			}
			ids = append(ids, id)
		}
		seen = append(seen, ids)
	}}
	es := enginetest.NewExecutableSchema(enginetest.Config{Resolvers: root})
	srv := handler.New(engine.New(engine.Config{Schema: es, Resolvers: root, Runtime: runtime{}, Fields: enginetest.Fields{}, Authorize: enginetest.Authorize}))
	srv.AddTransport(transport.POST{})
	got := ask(t, srv, `{ nodes(ids: ["a2", "a1", "b1", "a2"]) { ... on Author { fans } } author(id: "a2") { fans } }`, nil)
	if want := `[[nil a1 nil nil]]`; fmt.Sprint(seen) != want {
		t.Errorf("Fans was called with %v, want %s", seen, want)
	}
	if strings.Count(got, "forbidden") != 3 {
		t.Errorf("want three parents refused: %s", got)
	}
}

// shapeRuns is the number of random operations over the test schema.
const shapeRuns = 600

// Random operations over the test schema — every field reachable, aliased
// now and then, abstract types through inline fragments on each possible
// type, on the interface or union itself, and named fragments, arguments
// from a small table, @skip/@include — answer on the plan as on gqlgen's
// executor, and all run on the plan.
func TestShapesRandomOperations(t *testing.T) {
	for _, typed := range []bool{true, false} {
		t.Run(callsName(typed), func(t *testing.T) { testShapesRandomOperations(t, typed) })
	}
}

func testShapesRandomOperations(t *testing.T, typed bool) {
	p := newShapesPair(typed)
	schema := enginetest.NewExecutableSchema(enginetest.Config{}).Schema()
	for seed := range uint64(shapeRuns) {
		g := &shapeGen{schema: schema, rnd: rand.New(rand.NewPCG(seed, 3))}
		q := "{ " + g.selection(schema.Query, 0) + " }" + g.frags.String()
		got, want := ask(t, p.plan, q, nil), ask(t, p.ref, q, nil)
		if got != want {
			t.Fatalf("seed %d: %s\nplan:\n%s\ngqlgen:\n%s", seed, q, got, want)
		}
	}
	if p.engines[engine.GQLGen] > 0 || p.engines[engine.Plan] != shapeRuns {
		t.Errorf("plan ran %d, gqlgen's executor %d; want all %d on the plan", p.engines[engine.Plan], p.engines[engine.GQLGen], shapeRuns)
	}
}

// shapeGen writes random valid operations over a schema with abstract
// types.
type shapeGen struct {
	schema *ast.Schema
	rnd    *rand.Rand
	frags  strings.Builder
	n      int
}

// argValues are the literals the generator passes, by argument name.
var argValues = map[string][]string{
	"id":     {`"b1"`, `"b2"`, `"b5"`, `"a1"`, `"a2"`, `"zz"`, `"boom"`},
	"ids":    {`["b1", "a2"]`, `[]`, `["b5", "zz", "b3", "a1"]`, `["boom"]`},
	"text":   {`"e"`, `"an"`, `""`, `"dune"`},
	"suffix": {`"?"`, `null`, `"!!"`},
	"upper":  {`true`, `false`, `null`},
	"sep":    {`"."`, `""`, `" "`},
	"of":     {`"e"`, `""`, `"Dune"`},
	"first":  {`1`, `0`, `3`, `-1`, `null`},
	"filter": {`{minPages: 300}`, `{titles: ["Dune", "Lost"], atLeast: "*"}`, `null`, `{}`},
	"order":  {`BY_ID`, `BY_PAGES`},
}

func (g *shapeGen) selection(t *ast.Definition, depth int) string {
	var parts []string
	if t.Kind == ast.Interface || t.Kind == ast.Union {
		if g.rnd.IntN(2) == 0 {
			parts = append(parts, "__typename")
		}
		if t.Kind == ast.Interface && g.rnd.IntN(2) == 0 {
			parts = append(parts, g.fields(t, depth))
		}
		for _, pt := range g.schema.GetPossibleTypes(t) {
			if g.rnd.IntN(3) > 0 {
				parts = append(parts, g.fragment(pt, depth))
			}
		}
		if g.rnd.IntN(4) == 0 {
			parts = append(parts, g.fragment(t, depth))
		}
		if len(parts) == 0 {
			parts = append(parts, "__typename")
		}
		return strings.Join(parts, " ")
	}
	return g.fields(t, depth)
}

// fragment selects from t through an inline or a named fragment.
func (g *shapeGen) fragment(t *ast.Definition, depth int) string {
	sel := g.fields(t, depth)
	if t.Kind == ast.Union {
		sel = "__typename"
	}
	if g.rnd.IntN(3) == 0 {
		g.n++
		fmt.Fprintf(&g.frags, "\nfragment F%d on %s { %s }", g.n, t.Name, sel)
		return fmt.Sprintf("...F%d", g.n)
	}
	return "... on " + t.Name + " { " + sel + " }"
}

func (g *shapeGen) fields(t *ast.Definition, depth int) string {
	var parts []string
	for _, f := range t.Fields {
		if strings.HasPrefix(f.Name, "__") || g.rnd.IntN(3) == 0 {
			continue
		}
		ft := g.schema.Types[f.Type.Name()]
		if ft.Kind != ast.Scalar && ft.Kind != ast.Enum && depth >= 4 {
			continue
		}
		var b strings.Builder
		if g.rnd.IntN(6) == 0 {
			g.n++
			fmt.Fprintf(&b, "x%d: ", g.n)
		}
		b.WriteString(f.Name)
		var args []string
		for _, a := range f.Arguments {
			vals := argValues[a.Name]
			if a.Type.NonNull || g.rnd.IntN(2) == 0 {
				args = append(args, a.Name+": "+vals[g.rnd.IntN(len(vals))])
			}
		}
		if len(args) > 0 {
			b.WriteString("(" + strings.Join(args, ", ") + ")")
		}
		if g.rnd.IntN(10) == 0 {
			fmt.Fprintf(&b, " @include(if: %v)", g.rnd.IntN(2) == 0)
		}
		if ft.Kind != ast.Scalar && ft.Kind != ast.Enum {
			b.WriteString(" { " + g.selection(ft, depth+1) + " }")
		}
		parts = append(parts, b.String())
	}
	if len(parts) == 0 {
		parts = append(parts, "__typename")
	}
	return strings.Join(parts, " ")
}
