package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/internal/engine/enginetest"
)

// runtime is the engine's Runtime for a schema without loaders: its
// resolvers answer at once.
type runtime struct{}

func (runtime) Manual(context.Context) (func(), bool)                       { return func() {}, true }
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

func newShapesPair() *shapesPair {
	root := &enginetest.Resolver{}
	es := enginetest.NewExecutableSchema(enginetest.Config{Resolvers: root})
	p := &shapesPair{engines: map[string]int{}}
	eng := engine.New(engine.Config{Schema: es, Resolvers: root, Runtime: runtime{}, Fields: enginetest.Fields{},
		OnOperation: func(e string) { p.engines[e]++ }})
	serve := func(es graphql.ExecutableSchema) *handler.Server {
		srv := handler.New(es)
		srv.AddTransport(transport.POST{})
		return srv
	}
	p.plan, p.ref = serve(eng), serve(es)
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

// Shapes the project's schema does not have — lists of lists of scalars
// and of objects (null inner lists, null elements, errors and resolvers
// inside), fields bound to methods with arguments (defaults, literals,
// variables) or an error — run on the plan and answer as gqlgen's executor
// does.
func TestShapesRunOnThePlan(t *testing.T) {
	p := newShapesPair()
	tests := []struct {
		name string
		q    string
		vars map[string]any
	}{
		{"matrix", `{ matrix }`, nil},
		{"lines", `{ book(id: "b1") { lines } b3: book(id: "b3") { lines } }`, nil},
		{"rows", `{ shelf { label rows { id title author { name } risky } } }`, nil},
		{"grid", `{ grid { x y label } }`, nil},
		{"non-null inner lists and elements", `{ shelf { label stacks { id } } }`, nil},
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
