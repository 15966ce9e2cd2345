package compose_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/internal/compose"
)

const root = "../.."

// schemaWith loads the graph's schema plus one more file, as gqlgen does.
func schemaWith(t *testing.T, name, sdl string) *ast.Schema {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "graph", "*.graphqls"))
	if err != nil || len(files) == 0 {
		t.Fatalf("schema files: %v", err)
	}
	sources := []*ast.Source{compose.Vocabulary()}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: "graph/" + filepath.Base(f), Input: string(b)})
	}
	if sdl != "" {
		sources = append(sources, &ast.Source{Name: name, Input: sdl})
	}
	s, gerr := gqlparser.LoadSchema(sources...)
	if gerr != nil {
		t.Fatalf("schema: %v", gerr)
	}
	return s
}

func loyaltySDL(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/loyalty/loyalty.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(string(b), `contract: "api/loyalty.yaml"`, `contract: "internal/compose/testdata/loyalty/loyalty.yaml"`, 1)
}

// The committed schema and the loyalty fixture compose cleanly.
func TestGraphComposes(t *testing.T) {
	g, err := compose.Analyze(schemaWith(t, "graph/loyalty.graphqls", loyaltySDL(t)), root)
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	var names []string
	for _, s := range g.Sources {
		names = append(names, s.Name)
	}
	if got, want := strings.Join(names, ","), "catalog,pricing,inventory,reviews,users,orders,loyalty"; got != want {
		t.Errorf("sources: got %s, want %s", got, want)
	}
	found := false
	for _, l := range g.Loaders {
		if l.Source.Name == "loyalty" {
			found = true
			if l.Kind != compose.ByKey || l.Batch != "userIds" || l.Match != "userId" || l.Type != "LoyaltyBalance" {
				t.Errorf("loyalty loader: got %+v", l)
			}
		}
	}
	if !found {
		t.Error("no loyalty loader")
	}
	if m := g.Models["LoyaltyBalance"]; m == nil || !m.Hidden["userId"] {
		t.Errorf("LoyaltyBalance must carry the hidden userId it is matched by: %+v", m)
	}
}

// @source(callerIndependent:) is read from the schema: the graph's
// public-data services declare it, a service that does not is not.
func TestCallerIndependentIsDeclared(t *testing.T) {
	g, err := compose.Analyze(schemaWith(t, "graph/loyalty.graphqls", loyaltySDL(t)), root)
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	want := map[string]bool{"catalog": true, "pricing": true, "inventory": true, "reviews": true, "users": false, "orders": false, "loyalty": false}
	for _, s := range g.Sources {
		if s.CallerIndependent != want[s.Name] {
			t.Errorf("%s callerIndependent: got %v, want %v", s.Name, s.CallerIndependent, want[s.Name])
		}
	}
}

// @connect(maxAge:) reaches the endpoint's loader.
func TestMaxAgeReachesTheLoader(t *testing.T) {
	sdl := strings.Replace(loyaltySDL(t), `items: "balances")`, `items: "balances", maxAge: 30)`, 1)
	g, err := compose.Analyze(schemaWith(t, "graph/loyalty.graphqls", sdl), root)
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	for _, l := range g.Loaders {
		if l.Source.Name == "loyalty" && l.MaxAge != 30 {
			t.Errorf("loyalty loader maxAge: got %d, want 30", l.MaxAge)
		}
		if l.Source.Name != "loyalty" && l.MaxAge != 0 {
			t.Errorf("%s maxAge: got %d, want 0", l.Name, l.MaxAge)
		}
	}
}

// Connectors of one endpoint share its cache entries, so they must agree on
// maxAge.
func TestMaxAgeMustAgreeAcrossAnEndpoint(t *testing.T) {
	sdl := `extend type Review {
  "The product again, cached longer."
  productAgain: Product
    @connect(source: "catalog", get: "/products", batch: "ids", key: "$this.productId", match: "id", items: "products", maxAge: 60)
}`
	_, err := compose.Analyze(schemaWith(t, "graph/extra.graphqls", sdl), root)
	if err == nil || !strings.Contains(err.Error(), "Review.productAgain: @connect maxAge 60 disagrees with") {
		t.Errorf("got %v, want a maxAge disagreement on Review.productAgain", err)
	}
}

// Every mismatch between a connector and its contract stops generation
// with the schema location, the endpoint and what does not match.
func TestBrokenConnectorsFailWithAPreciseMessage(t *testing.T) {
	tests := []struct {
		name       string
		old, new   string
		wantLine   string // file:line where the mistake is
		wantSubstr string
	}{
		{"unknown path", `get: "/balances"`, `get: "/balance"`, "graph/loyalty.graphqls:15:",
			`User.loyalty: @connect get "/balance": internal/compose/testdata/loyalty/loyalty.yaml has no path "/balance" (did you mean "/balances"?)`},
		{"unknown operation", `get: "/balances"`, `get: "balanse"`, "graph/loyalty.graphqls:15:",
			`has no operation "balanse" (get is a path starting with / or an operationId) (did you mean "balances"?)`},
		{"unknown parameter", `"program: $args.program"`, `"programme: $args.program"`, "graph/loyalty.graphqls:15:",
			`User.loyalty: @connect param "programme": GET /balances has no parameter "programme" (did you mean "program"?)`},
		{"unknown argument", `"program: $args.program"`, `"program: $args.programme"`, "graph/loyalty.graphqls:15:",
			`@connect param "program": User.loyalty has no argument "programme" (did you mean "program"?)`},
		{"unknown batch parameter", `batch: "userIds"`, `batch: "userId"`, "graph/loyalty.graphqls:15:",
			`@connect batch "userId": GET /balances has no query parameter "userId" (did you mean "userIds"?)`},
		{"batch parameter not a list", `batch: "userIds"`, `batch: "program"`, "graph/loyalty.graphqls:15:",
			`GET /balances's program is string, want comma-separated ids`},
		{"unknown items", `items: "balances"`, `items: "balance"`, "graph/loyalty.graphqls:15:",
			`@connect items "balance": the answer of GET /balances (BalanceList) has no property "balance" (did you mean "balances"?)`},
		{"unknown match", `match: "userId"`, `match: "user"`, "graph/loyalty.graphqls:15:",
			`@connect match "user": answered items (Balance) have no property "user" (did you mean "userId"?)`},
		{"optional match", `match: "userId"`, `match: "expiresAt"`, "graph/loyalty.graphqls:15:",
			`@connect match "expiresAt": Balance.expiresAt is optional; the key to match items back must be required`},
		{"key the parent lacks", `key: "$this.id"`, `key: "$this.ids"`, "graph/loyalty.graphqls:15:",
			`User.loyalty: @connect key "$this.ids": User (the contract item of User) has no property "ids" (did you mean "id"?)`},
		{"unknown key argument", `key: "$this.id"`, `key: "$args.user"`, "graph/loyalty.graphqls:15:",
			`@connect key "$args.user": User.loyalty has no argument "user"`},
		{"field the answer lacks", `  points: Int!`, `  point: Int!`, "graph/loyalty.graphqls:8:",
			`LoyaltyBalance.point: Balance (the contract item of LoyaltyBalance, via User.loyalty) has no property "point" (did you mean "points"?)`},
		{"type disagrees", `  points: Int!`, `  points: String!`, "graph/loyalty.graphqls:8:",
			`LoyaltyBalance.points: String! but the contract's points is integer`},
		{"nullability disagrees", `  expiresAt: Time`, `  expiresAt: Time!`, "graph/loyalty.graphqls:9:",
			`LoyaltyBalance.expiresAt: Time! but the contract's expiresAt is optional (not in "required")`},
		{"unknown source", `@connect(source: "loyalty"`, `@connect(source: "loyal"`, "graph/loyalty.graphqls:15:",
			`User.loyalty: @connect(source: "loyal") does not match any @source (did you mean "loyalty"?)`},
		{"missing contract", `contract: "internal/compose/testdata/loyalty/loyalty.yaml"`, `contract: "api/nope.yaml"`, "graph/loyalty.graphqls:3:",
			`@source "loyalty": contract api/nope.yaml:`},
		{"sort on a single item", `items: "balances")`, `items: "balances", sort: "-points")`, "graph/loyalty.graphqls:15:",
			`@connect sort applies to list fields`},
		{"negative maxAge", `items: "balances")`, `items: "balances", maxAge: -1)`, "graph/loyalty.graphqls:15:",
			`User.loyalty: @connect maxAge -1: want a number of seconds, 0 or more`},
		{"computed from a missing connector", `  expiresAt: Time`, "  expiresAt: Time\n  total: Int @computed(from: \"pointz\")", "graph/loyalty.graphqls:10:",
			`LoyaltyBalance.total: @computed(from: "pointz"): LoyaltyBalance has no @connect field "pointz"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sdl := loyaltySDL(t)
			if !strings.Contains(sdl, tt.old) {
				t.Fatalf("fixture has no %q", tt.old)
			}
			sdl = strings.Replace(sdl, tt.old, tt.new, 1)
			_, err := compose.Analyze(schemaWith(t, "graph/loyalty.graphqls", sdl), root)
			if err == nil {
				t.Fatal("generation was not stopped")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != 1 {
				t.Errorf("got %d messages for one mistake, want 1:\n%v", len(lines), err)
			}
			for _, line := range lines {
				if strings.Contains(line, tt.wantSubstr) {
					if !strings.HasPrefix(line, tt.wantLine) {
						t.Errorf("got %q, want it located at %s", line, tt.wantLine)
					}
					return
				}
			}
			t.Errorf("got:\n%v\nwant a line with %q", err, tt.wantSubstr)
		})
	}
}
