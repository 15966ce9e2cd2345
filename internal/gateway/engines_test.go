package gateway_test

import (
	"testing"

	"github.com/tributary-gw/tributary/internal/engine"
)

// gqlgen's executor serves introspection only: an operation selecting
// __schema or __type goes to it whole, with its loaders on their own wait
// window (the data it also selects is still answered); every other
// operation runs on the plan — __typename included. The engine of each is
// what tributary_operations_total counts.
func TestOnlyIntrospectionRunsOnGQLGen(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	tests := []struct {
		q          string
		wantEngine string
	}{
		{`{ __typename product(id: "p1") { __typename name } }`, engine.Plan},
		{`{ __schema { queryType { name } } }`, engine.GQLGen},
		{`{ __type(name: "Product") { name } product(id: "p2") { name price { amount { formatted } } } }`, engine.GQLGen},
		{`mutation { __typename }`, engine.Plan},
	}
	for _, tt := range tests {
		p.mu.Lock()
		before := p.engines[tt.wantEngine]
		p.mu.Unlock()
		got, want := canonical(t, p.ask(p.plan, "", tt.q, nil)), canonical(t, p.ask(p.ref, "", tt.q, nil))
		if got != want {
			t.Errorf("%s: got\n%s\nwant (gqlgen's executor)\n%s", tt.q, got, want)
		}
		p.mu.Lock()
		after := p.engines[tt.wantEngine]
		p.mu.Unlock()
		if after != before+1 {
			t.Errorf("%s: did not run on %s (%v)", tt.q, tt.wantEngine, p.engines)
		}
	}
}
