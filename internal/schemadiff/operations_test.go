package schemadiff_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/schemadiff"
)

// usageBase is the baseline schema of the operations table.
const usageBase = `
type Query {
  product(id: ID!, currency: String): Product
  products(category: String, first: Int): [Product!]!
  user(id: ID!): User
  legacy: Legacy
}
type Mutation { addReview(productId: ID!, input: ReviewInput!): Boolean }
type Product { id: ID! name: String! price: Money category: Category! legacyCode: String }
type Money { amount: Int! currency: String! }
enum Category { SHOES SHIRTS HATS }
type User { id: ID! name: String! email: String }
type Legacy { x: Int }
input ReviewInput { rating: Int! body: String }
`

// usageOps are the registered operations of the table.
var usageOps = map[string]string{
	"product-page.graphql": `query ProductPage { product(id: "p1") { name price { amount } category } }`,
	"listing.graphql":      `query Listing($c: String) { products(category: $c, first: 10) { id name } }`,
	"add-review.graphql":   `mutation AddReview($i: ReviewInput!) { addReview(productId: "p1", input: $i) }`,
	"user-card.graphql":    "query UserCard { user(id: \"u1\") { ...Card } }\nfragment Card on User { name }",
}

func registered(t *testing.T) []schemadiff.Operation {
	t.Helper()
	var ops []schemadiff.Operation
	for file, doc := range usageOps {
		more, err := schemadiff.SplitOperations(file, doc)
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, more...)
	}
	return ops
}

// A table of schema changes × registered operations: a breaking change
// fails the operations that use what it changes, with their name and
// field; one that no operation uses is reported as breaking in theory.
func TestCheckOperations(t *testing.T) {
	tests := []struct {
		name string
		// edit turns usageBase into the new schema: pairs of old, new.
		edit       []string
		wantBroken []string // "Operation at field: KIND path"
		wantUnused []string // "KIND path"
	}{
		{
			name:       "used field removed",
			edit:       []string{" price: Money", ""},
			wantBroken: []string{"ProductPage at product.price: FIELD_REMOVED Product.price"},
		},
		{
			name:       "unused field removed",
			edit:       []string{" legacyCode: String", ""},
			wantUnused: []string{"FIELD_REMOVED Product.legacyCode"},
		},
		{
			name:       "passed argument removed",
			edit:       []string{"products(category: String, first: Int)", "products(category: String)"},
			wantBroken: []string{"Listing at products: ARG_REMOVED Query.products(first)"},
		},
		{
			name:       "argument no operation passes removed",
			edit:       []string{"product(id: ID!, currency: String)", "product(id: ID!)"},
			wantUnused: []string{"ARG_REMOVED Query.product(currency)"},
		},
		{
			name:       "required argument added to a selected field",
			edit:       []string{"first: Int)", "first: Int, region: String!)"},
			wantBroken: []string{"Listing at products: REQUIRED_ARG_ADDED Query.products(region)"},
		},
		{
			name:       "field selected through a fragment made nullable",
			edit:       []string{"type User { id: ID! name: String!", "type User { id: ID! name: String"},
			wantBroken: []string{"UserCard at user.name: FIELD_MADE_NULLABLE User.name"},
		},
		{
			name:       "value of a received enum removed",
			edit:       []string{"SHIRTS HATS", "SHIRTS"},
			wantBroken: []string{"ProductPage at product.category: ENUM_VALUE_REMOVED Category.HATS"},
		},
		{
			name:       "field of an input sent in a variable made required",
			edit:       []string{"body: String }", "body: String! }"},
			wantBroken: []string{"AddReview at $i: INPUT_FIELD_MADE_REQUIRED ReviewInput.body"},
		},
		{
			name:       "unused type and its field removed",
			edit:       []string{"  legacy: Legacy\n", "", "type Legacy { x: Int }\n", ""},
			wantUnused: []string{"FIELD_REMOVED Query.legacy", "TYPE_REMOVED Legacy"},
		},
		{
			name: "used and unused changes at once",
			edit: []string{" price: Money", "", " email: String", ""},
			wantBroken: []string{
				"ProductPage at product.price: FIELD_REMOVED Product.price",
			},
			wantUnused: []string{"FIELD_REMOVED User.email"},
		},
		{
			name: "mutation root removed",
			edit: []string{"type Mutation { addReview(productId: ID!, input: ReviewInput!): Boolean }\n", "",
				"input ReviewInput { rating: Int! body: String }\n", ""},
			wantBroken: []string{
				"AddReview at $i: TYPE_REMOVED ReviewInput",
				"AddReview at schema.mutation: ROOT_OPERATION_REMOVED schema.mutation",
			},
			wantUnused: []string{"TYPE_REMOVED Mutation"},
		},
		{
			name: "safe change",
			edit: []string{" email: String", " email: String phone: String"},
		},
	}
	old := mustLoad(t, "old", usageBase)
	ops := registered(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sdl := usageBase
			for i := 0; i < len(tt.edit); i += 2 {
				if !strings.Contains(sdl, tt.edit[i]) {
					t.Fatalf("edit: %q is not in the schema", tt.edit[i])
				}
				sdl = strings.Replace(sdl, tt.edit[i], tt.edit[i+1], 1)
			}
			updated := mustLoad(t, "new", sdl)
			u := schemadiff.CheckOperations(old, updated, schemadiff.Compare(old, updated), ops)

			var gotBroken, gotUnused []string
			for _, i := range u.Broken {
				gotBroken = append(gotBroken, fmt.Sprintf("%s at %s: %s %s", i.Operation.Name, i.Field, i.Change.Kind, i.Change.Path))
			}
			for _, c := range u.Unused {
				gotUnused = append(gotUnused, c.Kind+" "+c.Path)
			}
			slices.Sort(gotBroken)
			slices.Sort(gotUnused)
			if !slices.Equal(gotBroken, tt.wantBroken) {
				t.Errorf("broken:\ngot  %q\nwant %q", gotBroken, tt.wantBroken)
			}
			if !slices.Equal(gotUnused, tt.wantUnused) {
				t.Errorf("breaking in theory only:\ngot  %q\nwant %q", gotUnused, tt.wantUnused)
			}
			if got, want := u.Fails(), len(tt.wantBroken) > 0; got != want {
				t.Errorf("Fails: got %v, want %v", got, want)
			}
			if len(u.InvalidBefore) > 0 {
				t.Errorf("operations invalid against the baseline: %v", u.InvalidBefore)
			}
		})
	}
}

// An operation that stops validating for a reason no change names still
// fails, with the validator's message.
func TestCheckOperationsValidatesAgainstTheNewSchema(t *testing.T) {
	old := mustLoad(t, "old", usageBase)
	ops := registered(t)
	u := schemadiff.CheckOperations(old, old, nil, ops)
	if u.Fails() || len(u.Unused) > 0 {
		t.Fatalf("no change: got %+v, want nothing broken", u)
	}
	// The changes are withheld: only validation can tell.
	updated := mustLoad(t, "new", strings.Replace(usageBase, " price: Money", "", 1))
	u = schemadiff.CheckOperations(old, updated, nil, ops)
	if len(u.Broken) != 1 || u.Broken[0].Operation.Name != "ProductPage" || u.Broken[0].Change.Kind != "OPERATION_INVALID" ||
		!strings.Contains(u.Broken[0].Change.Message, `"price"`) {
		t.Errorf("got %+v, want ProductPage invalid, naming price", u.Broken)
	}
}

func TestReadOperations(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("ops/a.graphql", `query A { user(id: "u1") { name } } query B { legacy { x } }`)
	write("ops/nested/c.gql", `{ products { id } }`)
	write("ops/notes.txt", `not an operation`)
	manifest := write("manifest.json", `{"3f0c": "query M { user(id: \"u1\") { name } }"}`)
	write("bad.json", `["query X { a }"]`)
	write("empty.graphql", `fragment F on User { name }`)

	tests := []struct {
		give      string
		wantNames []string
		wantErr   bool
	}{
		{give: "ops", wantNames: []string{"(anonymous)", "A", "B"}},
		{give: "ops/a.graphql", wantNames: []string{"A", "B"}},
		{give: manifest, wantNames: []string{"M"}},
		{give: "bad.json", wantErr: true},
		{give: "empty.graphql", wantErr: true},
		{give: "missing", wantErr: true},
	}
	for _, tt := range tests {
		path := tt.give
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		ops, err := schemadiff.ReadOperations(path)
		if (err != nil) != tt.wantErr {
			t.Errorf("ReadOperations(%s): got error %v, want error %v", tt.give, err, tt.wantErr)
			continue
		}
		var names []string
		for _, op := range ops {
			names = append(names, op.Name)
		}
		if !slices.Equal(names, tt.wantNames) {
			t.Errorf("ReadOperations(%s): got %q, want %q", tt.give, names, tt.wantNames)
		}
	}
}

// Each fragment of an operation is walked once: a chain of 40 fragments
// each spreading the next twice (2^40 paths) is checked at once, and a
// change to a field at its end is still found.
func TestCheckOperationsWalksEachFragmentOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("query Chain { product(id: \"p1\") { ...F0 } }\n")
	for i := range 40 {
		fmt.Fprintf(&b, "fragment F%d on Product { id ...F%d ...F%d }\n", i, i+1, i+1)
	}
	b.WriteString("fragment F40 on Product { price { amount } }\n")
	ops, err := schemadiff.SplitOperations("chain.graphql", b.String())
	if err != nil {
		t.Fatal(err)
	}
	old := mustLoad(t, "old", usageBase)
	updated := mustLoad(t, "new", strings.Replace(usageBase, " price: Money", "", 1))
	done := make(chan schemadiff.Usage, 1)
	go func() { done <- schemadiff.CheckOperations(old, updated, schemadiff.Compare(old, updated), ops) }()
	select {
	case u := <-done:
		if len(u.Broken) != 1 || u.Broken[0].Change.Path != "Product.price" {
			t.Errorf("got %+v, want Chain broken by Product.price", u.Broken)
		}
	case <-time.After(20 * time.Second): // a hang detector: the linear walk takes microseconds
		t.Fatal("checking a 40-fragment chain did not finish: fragments are walked per path")
	}
}
