package compose_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tributary-gw/tributary/internal/compose"
)

// published is the checked-in contract of service with each old → new
// replacement applied.
func published(t *testing.T, service string, edits ...string) *openapi3.T {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "api", service+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("%s.yaml has no %q", service, edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	doc, err := openapi3.NewLoader().LoadFromData([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func graphOf(t *testing.T) *compose.Graph {
	t.Helper()
	g, err := compose.Analyze(schemaWith(t, "", ""), root)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Each change to what the graph reads or sends is reported as breaking,
// naming the connectors (file:line) and the fields served through it.
func TestDriftThatBreaksNamesConnectorsAndFields(t *testing.T) {
	g := graphOf(t)
	for _, tt := range []struct {
		name, service string
		edits         []string
		where, what   string
		connector     string // one of the connectors named
		fields        []string
	}{
		{"a property the graph reads removed", "pricing",
			[]string{"required: [productId, currency, amountCents, listAmountCents]", "required: [productId, currency, amountCents, listPriceCents]", "        listAmountCents:\n", "        listPriceCents:\n"},
			"Price.listAmountCents", "removed",
			"graph/catalog.graphqls:15 Product.price", []string{"Product.price", "Price.listAmount", "Price.onSale", "Price.discountPercent"}},
		{"a batch parameter renamed", "pricing",
			[]string{"      name: productIds\n", "      name: productIDs\n"},
			"GET /prices parameter productIds", `removed (did you mean "productIDs"?)`,
			"graph/catalog.graphqls:15 Product.price", []string{"Product.price"}},
		{"an enum narrowed", "orders",
			[]string{"enum: [pending, paid, shipped, delivered, cancelled]", "enum: [pending, paid, shipped, delivered]"},
			"Order.status", "enum narrowed: no longer has cancelled",
			"graph/users.graphqls:15 User.orders", []string{"Order.status"}},
		{"a read property made optional", "users",
			[]string{"required: [id, name, email, tier, memberSince]", "required: [id, name, tier, memberSince]"},
			"User.email", "now optional (not in required, or nullable); the graph reads it as always present",
			"graph/reviews.graphqls:10 Review.author", []string{"User.email"}},
		{"a batch parameter exploded", "users",
			[]string{"          style: form\n          explode: false\n", "          style: form\n"},
			"GET /users parameter ids", "explode is now unset, which OpenAPI reads as exploded",
			"graph/schema.graphqls:186 Query.user", nil},
		{"the endpoint moved", "inventory",
			[]string{"  /inventory:\n", "  /stock:\n"},
			"GET /inventory", "removed: operation inventory is now GET /stock; the connector's get must follow",
			"graph/catalog.graphqls:20 Product.stock", []string{"Product.stock"}},
		{"a batch limit lowered", "catalog",
			[]string{"      maxItems: 100\n", "      maxItems: 50\n"},
			"GET /products parameter ids", "takes at most 50 ids, but the graph sends up to 100 (@source batchLimit)",
			"graph/schema.graphqls:165 Query.product", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			changes, err := g.Drift(tt.service, published(t, tt.service, tt.edits...))
			if err != nil {
				t.Fatal(err)
			}
			var found *compose.Drift
			for i, c := range changes {
				if c.Where == tt.where && strings.HasPrefix(c.What, tt.what) {
					found = &changes[i]
				}
			}
			if found == nil {
				t.Fatalf("no change %s: %s in\n%+v", tt.where, tt.what, changes)
			}
			if !found.Breaking {
				t.Errorf("%s is not breaking", tt.where)
			}
			if !slices.Contains(found.Connectors, tt.connector) {
				t.Errorf("connectors %v, want %s among them", found.Connectors, tt.connector)
			}
			for _, f := range tt.fields {
				if !slices.Contains(found.Fields, f) {
					t.Errorf("fields %v, want %s among them", found.Fields, f)
				}
			}
		})
	}
}

// Adding a property or an endpoint, and changing what the graph does not
// read, is safe; the checked-in contract against itself has no changes.
func TestDriftTheGraphDoesNotSeeIsSafe(t *testing.T) {
	g := graphOf(t)
	for _, svc := range []string{"catalog", "pricing", "inventory", "reviews", "users", "orders"} {
		changes, err := g.Drift(svc, published(t, svc))
		if err != nil || len(changes) != 0 {
			t.Errorf("%s against itself: %v, %+v", svc, err, changes)
		}
	}
	changes, err := g.Drift("catalog", published(t, "catalog",
		"        imageUrl:\n", "        weightGrams:\n          type: integer\n        imageUrl:\n",
		"  /products/{id}:\n", "  /brands:\n    get:\n      responses:\n        \"200\":\n          description: ok\n  /products/{id}:\n",
		"          description: Listing form only; empty when there is no further page.\n", "          description: Listing form only.\n          maxLength: 64\n",
	))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Product.weightGrams": "property added", "GET /brands": "added"}
	for _, c := range changes {
		if c.Breaking {
			t.Errorf("breaking: %+v", c)
		}
		if want[c.Where] == c.What {
			delete(want, c.Where)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing safe changes %v in %+v", want, changes)
	}
	if _, err := g.Drift("pricng", published(t, "pricing")); err == nil || !strings.Contains(err.Error(), `did you mean "pricing"`) {
		t.Errorf("an unknown service: %v", err)
	}
}
