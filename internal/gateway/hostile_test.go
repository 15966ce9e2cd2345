package gateway_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/cost"
)

// relatedChain is related(first: 20) nested n deep under one product.
func relatedChain(n int) string {
	return `{ product(id: "p1") { ` + strings.Repeat(`related(first: 20) { `, n) + `name` + strings.Repeat(` }`, n) + ` } }`
}

// doublingFragments is a chain of n fragments, each spreading the next one
// twice: 2^n spreads when expanded naively, one when merged.
func doublingFragments(n int) string {
	var b strings.Builder
	b.WriteString(`{ product(id: "p1") { ...F0 } }`)
	for i := range n {
		fmt.Fprintf(&b, "\nfragment F%d on Product { name ...F%d ...F%d }", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "\nfragment F%d on Product { id related(first: 2) { name } }", n)
	return b.String()
}

// doublingServiceFragments is doublingFragments whose fragments also
// descend one related level each: the estimate must stay exact in shape
// (calls per level) while remaining linear in the document.
func doublingServiceFragments(n int) string {
	var b strings.Builder
	b.WriteString(`{ product(id: "p1") { ...G0 } }`)
	for i := range n {
		fmt.Fprintf(&b, "\nfragment G%d on Product { related(first: 2) { ...G%d ...G%d } }", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "\nfragment G%d on Product { name }", n)
	return b.String()
}

// aliasedIntrospection asks for the schema n times under aliases.
func aliasedIntrospection(n int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, "s%d: __schema { types { name fields { name type { name } } } } ", i)
	}
	b.WriteString("}")
	return b.String()
}

// fragmentedIntrospection multiplies introspection through fragments
// without a single alias at the top: each level asks for the types list
// under two aliases.
const fragmentedIntrospection = `{ __schema { ...A } }
fragment A on __Schema { a: types { ...B } b: types { ...B } }
fragment B on __Type { name f: fields { name type { ...C } } g: fields { name type { ...C } } }
fragment C on __Type { name fields { name } }`

// hostileQueries are the requests. wantCodes lists the codes an
// answer may carry (any of them); empty means the query must succeed.
var hostileQueries = []struct {
	name      string
	query     string
	vars      map[string]any
	wantCodes []string
}{
	{"reviews first 3145728", `{ product(id: "p1") { reviews(first: 3145728) { id } } }`, nil, []string{"BAD_USER_INPUT"}},
	{"related first 21", `{ product(id: "p1") { related(first: 21) { id } } }`, nil, []string{"BAD_USER_INPUT"}},
	{"products first 0", `{ products(first: 0) { nodes { id } } }`, nil, []string{"BAD_USER_INPUT"}},
	{"productsByIds 101 ids", `{ productsByIds(ids: [` + strings.Repeat(`"p1",`, 101) + `]) { id } }`, nil, []string{"BAD_USER_INPUT"}},
	{"productsByIds 101 ids in a variable", `query($ids: [ID!]!) { productsByIds(ids: $ids) { id } }`,
		map[string]any{"ids": strings.Split(strings.Repeat("p1,", 100)+"p1", ",")}, []string{"BAD_USER_INPUT"}},
	{"literal 2^31", `{ products(first: 2147483648) { nodes { id } } }`, nil, []string{"BAD_USER_INPUT"}},
	{"literal 2^63", `{ product(id: "p1") { reviews(first: 9223372036854775808) { id } } }`, nil, []string{"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"}},
	{"negative literal -2^31-1", `{ product(id: "p1") { reviews(first: -2147483649) { id } } }`, nil, []string{"BAD_USER_INPUT"}},
	{"variable 2^31", `query($n: Int!) { product(id: "p1") { reviews(first: $n) { id } } }`, map[string]any{"n": int64(1) << 31}, []string{"BAD_USER_INPUT"}},
	{"variable 2^31 in a wrapping product", `query($n: Int!) { products(first: 100) { nodes { reviews(first: $n) { product { id } } } } }`,
		map[string]any{"n": int64(1)<<32 + 5}, []string{"BAD_USER_INPUT"}},
	{"variable out of range, default in range", `query($n: Int! = 5) { product(id: "p1") { related(first: $n) { id } } }`, map[string]any{"n": 400}, []string{"BAD_USER_INPUT"}},
	{"related chain 20 deep", relatedChain(20), nil, []string{"QUERY_TOO_DEEP", "QUERY_TOO_COSTLY"}},
	{"fragments doubling 29 deep", doublingFragments(29), nil, nil},
	{"fragments doubling 40 deep", doublingFragments(40), nil, nil},
	{"service fragments doubling 40 deep", doublingServiceFragments(40), nil, []string{"QUERY_TOO_DEEP", "QUERY_TOO_COSTLY"}},
	{"9000 repeated id fields", `{ product(id: "p1") { ` + strings.Repeat("id ", 9000) + `} }`, nil, []string{"QUERY_TOO_COMPLEX"}},
	{"3000 aliased repeats", `{ product(id: "p1") { ` + strings.Repeat("x: id ", 3000) + `} }`, nil, []string{"QUERY_TOO_COMPLEX"}},
	{"3000 spreads side by side", `{ product(id: "p1") { ` + strings.Repeat("...F ", 3000) + `} } fragment F on Product { id }`, nil, []string{"QUERY_TOO_COMPLEX"}},
	{"repeats merged from same-named parents", `{ ` + strings.Repeat(`product(id: "p1") { `+strings.Repeat("id ", 30)+`} `, 100) + `}`, nil, []string{"QUERY_TOO_COMPLEX"}},
	{"id holding the batch separator", `{ product(id: "p1,p2,p3") { name } }`, nil, []string{"BAD_USER_INPUT"}},
	{"100 aliased introspections", aliasedIntrospection(100), nil, []string{"TOO_MANY_ALIASES"}},
	{"introspection multiplied by fragments", fragmentedIntrospection, nil, []string{"QUERY_TOO_COSTLY"}},
}

// Every hostile query of issue 11 is answered as data or as a GraphQL
// error with a code — never a negative figure, a backend call for a
// refused query, or more bytes than a bounded answer needs — with the
// default limits and with the depth limit off.
func TestHostileQueriesAreAnsweredBoundedly(t *testing.T) {
	t.Parallel()
	configs := []struct {
		name string
		mod  func(*config.Config)
	}{
		{"default", func(*config.Config) {}},
		{"max_depth 0", func(c *config.Config) { c.Limits.MaxDepth = 0 }},
	}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			e := newEnv(t, cfg.mod)
			for _, tt := range hostileQueries {
				t.Run(tt.name, func(t *testing.T) {
					e.Backends.ResetStats()
					r := e.Query(tt.query, tt.vars)
					if len(r.Raw) > 64<<10 {
						t.Errorf("answer is %d bytes, want at most 64 KiB", len(r.Raw))
					}
					assertNoNegativeNumbers(t, r.Errors)
					if len(tt.wantCodes) == 0 {
						if len(r.Errors) > 0 {
							t.Fatalf("got errors %v, want data", r.Errors)
						}
						if r.Data["product"] == nil {
							t.Errorf("got no product: %s", r.Raw)
						}
						return
					}
					if len(r.Errors) == 0 {
						t.Fatalf("got no error, want one of %v", tt.wantCodes)
					}
					code, _ := r.Errors[0].Extensions["code"].(string)
					if !contains(tt.wantCodes, code) {
						t.Errorf("code: got %q (%s), want one of %v", code, r.Errors[0].Message, tt.wantCodes)
					}
					if got := e.TotalCalls(); got != 0 {
						t.Errorf("backend calls: got %d, want 0 for a refused query", got)
					}
				})
			}
		})
	}
}

// The estimate's work — planning the operation and walking its plan — is
// linear in the document, whatever its shape: counted in work units, not
// time.
func TestEstimateWorkIsBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		query     string
		wantCalls int // -1: saturated, not checked
		maxWork   int
	}{
		{"fragments doubling 29 deep", doublingFragments(29), 2, 300},
		{"fragments doubling 40 deep", doublingFragments(40), 2, 400},
		{"service fragments doubling 40 deep", doublingServiceFragments(40), -1, 2000},
		{"related chain 20 deep", relatedChain(20), -1, 1000},
		{"introspection", introspectionQuery, 0, 200},
		{"introspection multiplied by fragments", fragmentedIntrospection, 0, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := estimate(t, tt.query, nil)
			if c.Work > tt.maxWork || c.Exhausted {
				t.Errorf("work: got %d units (exhausted %v), want at most %d", c.Work, c.Exhausted, tt.maxWork)
			}
			if tt.wantCalls >= 0 && c.Calls != tt.wantCalls {
				t.Errorf("calls: got %d, want %d", c.Calls, tt.wantCalls)
			}
			for _, n := range []int{c.Depth, c.Aliases, c.Calls, c.Items, c.IntrospectionItems} {
				if n < 0 || n > cost.MaxFigure {
					t.Errorf("figure %d out of [0, MaxFigure]: %+v", n, c)
				}
			}
		})
	}
}

func assertNoNegativeNumbers(t *testing.T, errs []gqlError) {
	t.Helper()
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case float64:
			if v < 0 {
				t.Errorf("negative figure %v in the error extensions", v)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, e := range errs {
		walk(e.Extensions)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
