package loaders_test

import (
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/services/loaders"
)

// fieldAt returns the field at a dotted path of the query's operation.
func fieldAt(t *testing.T, doc *ast.QueryDocument, path string) *ast.Field {
	t.Helper()
	sel := doc.Operations[0].SelectionSet
	var f *ast.Field
	for _, name := range strings.Split(path, ".") {
		f = nil
		for _, s := range sel {
			if c, ok := s.(*ast.Field); ok && c.Alias == name {
				f = c
			}
		}
		if f == nil {
			t.Fatalf("no field %q on the way to %s", name, path)
		}
		sel = f.SelectionSet
	}
	return f
}

func TestListsInOrderOnlyWhenTheFirstElementAndThePlanGatherEveryKey(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, c := range []struct {
		query, list string
		want        bool
	}{
		{`{ products(first: 3) { nodes { id name } } }`, "products.nodes", true},
		{`{ products(first: 3) { nodes { name price { amount { formatted } } } } }`, "products.nodes", true},
		{`{ product(id: "p1") { reviews { rating author { name } } } }`, "product.reviews", true},
		{`{ product(id: "p1") { reviews { author { name } product { name } a: author { tier } } } }`, "product.reviews", true},
		// One level down, look-ups the fetch plan starts for every element:
		// the reviews' authors (planned when the reviews of all products
		// arrive), the related products' stock (planned with their ids).
		{`{ products(first: 3) { nodes { reviews { author { name } } } } }`, "products.nodes", true},
		{`{ product(id: "p1") { related { price { amount { formatted } } related { stock { available } } } } }`, "product.related", true},
		{`{ product(id: "p1") { reviews { author { reviews { rating } } } } }`, "product.reviews", true},
		// Not planned (a list key), or waiting deeper: a batch per element.
		{`{ product(id: "p1") { related { related { related { id } } } } }`, "product.related", false},
		{`{ product(id: "p1") { reviews { author { reviews { product { name } } } } } }`, "product.reviews", false},
		// @auth: an element may be refused what the first is allowed.
		{`{ product(id: "p1") { reviews { author { orders { id } } } } }`, "product.reviews", false},
		// A resolver that is not a batch.
		{`{ user(id: "u1") { orders { items { quantity } } } }`, "user.orders", false},
		{`{ user(id: "u1") { orders { items { quantity } } } }`, "user.orders.items", true},
		// Deferred, and fields reached through fragments whatever the
		// variables.
		{`{ product(id: "p1") { reviews { ... @defer { author { name } } } } }`, "product.reviews", false},
		{`{ product(id: "p1") { related { ...R } } } fragment R on Product { related { related { id } } }`, "product.related", false},
		{`query($x: Boolean!) { product(id: "p1") { related { name related @skip(if: $x) { related { id } } } } }`, "product.related", false},
	} {
		doc, err := gqlparser.LoadQuery(schema, c.query)
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		f := fieldAt(t, doc, c.list)
		if got := loaders.InOrder(doc, f.SelectionSet, f.Definition.Type.Name()); got != c.want {
			t.Errorf("%s at %s: in order %v, want %v", c.query, c.list, got, c.want)
		}
	}
}

func TestCollectedFieldsFollowBooleanVariables(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	doc, err := gqlparser.LoadQuery(schema, `query($x: Boolean!) { product(id: "p1") { id name @skip(if: $x) description @include(if: $x) } }`)
	if err != nil {
		t.Fatal(err)
	}
	sel := fieldAt(t, doc, "product").SelectionSet
	satisfies := []string{"Product"}
	names := func(x bool) string {
		oc := &graphql.OperationContext{Doc: doc, Variables: map[string]any{"x": x}}
		var out []string
		for _, f := range loaders.Collect(oc, sel, satisfies) {
			out = append(out, f.Name)
		}
		return strings.Join(out, ",")
	}
	for range 2 { // the second round reads what the first kept
		if got := names(true); got != "id,description" {
			t.Errorf("x=true: collected %s", got)
		}
		if got := names(false); got != "id,name" {
			t.Errorf("x=false: collected %s", got)
		}
	}
}
