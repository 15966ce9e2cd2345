package engine_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/internal/engine/enginetest"
)

// The generated typed calls cover every field of the test schema the plan
// calls a resolver or a method for (interfaces, unions, batch fields,
// methods with arguments or an error); without them the plan would call
// each of those by reflection, and nothing else.
func TestTypedCallsCoverThePlan(t *testing.T) {
	root := &enginetest.Resolver{}
	es := enginetest.NewExecutableSchema(enginetest.Config{Resolvers: root})
	invokers := enginetest.Invokers(root)
	typed := engine.New(engine.Config{Schema: es, Resolvers: root, Invokers: invokers, Runtime: runtime{}, Fields: enginetest.Fields{}})
	if u := typed.Untyped(); len(u) > 0 {
		t.Errorf("with the generated invokers, called by reflection: %v", u)
	}
	reflected := engine.New(engine.Config{Schema: es, Resolvers: root, Runtime: runtime{}, Fields: enginetest.Fields{}})
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range invokers {
			if !yield(k) {
				return
			}
		}
	})
	if u := reflected.Untyped(); !slices.Equal(u, keys) {
		t.Errorf("without invokers, called by reflection:\n%v\nwant the generated invokers' fields:\n%v", u, keys)
	}
}

// A call runs typed when the table has an invoker for the method bound,
// and by reflection, answering the same, when it has none or one of
// another method's type (a table out of step with the resolvers).
func TestTypedCallsFallBackToReflection(t *testing.T) {
	root := &enginetest.Resolver{}
	es := enginetest.NewExecutableSchema(enginetest.Config{Resolvers: root})
	var calls atomic.Int64
	counted := engine.Invokers{}
	for k, inv := range enginetest.Invokers(root) {
		call := inv.Call
		inv.Call = func(ctx context.Context, parent any, args []any) (any, error) {
			calls.Add(1)
			return call(ctx, parent, args)
		}
		counted[k] = inv
	}
	stale := engine.Invokers{}
	for k, inv := range counted {
		inv.Func = reflect.TypeFor[func(context.Context, string) (string, error)]()
		stale[k] = inv
	}
	const q = `{ book(id: "b1") { title shout(suffix: "?") author { name initials(sep: ".") books { id } } } shelf { label count(of: "e") } }`
	ref := serveTyped(es)
	want := ask(t, ref, q, nil)
	for _, tt := range []struct {
		name      string
		invokers  engine.Invokers
		wantCalls bool
	}{
		{"typed", counted, true},
		{"no table", nil, false},
		{"table out of step", stale, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			eng := engine.New(engine.Config{Schema: es, Resolvers: root, Invokers: tt.invokers, Runtime: runtime{}, Fields: enginetest.Fields{}})
			if got := ask(t, serveTyped(eng), q, nil); got != want {
				t.Errorf("plan:\n%s\ngqlgen:\n%s", got, want)
			}
			// Query.book, Book.shout, Book.author, Author.initials,
			// Author.books, Query.shelf, Shelf.label, Shelf.count.
			if n := calls.Load(); tt.wantCalls && n != 8 || !tt.wantCalls && n != 0 {
				t.Errorf("%d typed calls", n)
			}
			if u := eng.Untyped(); tt.wantCalls == (len(u) > 0) || !tt.wantCalls && !slices.Contains(u, "Query.book") {
				t.Errorf("called by reflection: %s", strings.Join(u, ", "))
			}
		})
	}
}

func serveTyped(es graphql.ExecutableSchema) *handler.Server {
	srv := handler.New(es)
	srv.AddTransport(transport.POST{})
	return srv
}
