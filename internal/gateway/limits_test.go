package gateway_test

import (
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/graph/served"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/cost"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/demo"
)

func TestLimitsRejectBeforeAnyBackendCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) {
		c.Limits.MaxDepth = 6
		c.Limits.MaxAliases = 3
		c.Limits.MaxBackendCalls = 5
		c.Limits.MaxItems = 400
		c.Limits.MaxTokens = 400
	})
	tests := []struct {
		name     string
		query    string
		wantCode string
	}{
		{"too deep", `{ product(id: "p1") { related { related { related { related { related { name } } } } } } }`, "QUERY_TOO_DEEP"},
		{"too many aliases", `{ a: product(id: "p1") { name } b: product(id: "p2") { name } c: product(id: "p3") { name } d: product(id: "p4") { name } }`, "TOO_MANY_ALIASES"},
		{"too many items", `{ products(first: 100) { nodes { reviews(first: 10) { author { name } } } } }`, "QUERY_TOO_COSTLY"},
		{"too many calls", `{ product(id: "p1") { price { amount { formatted } } stock { available } reviews { author { name } }
		  related { price { amount { formatted } } stock { available } } } }`, "QUERY_TOO_COSTLY"},
		{"deep introspection", `{ __schema { types { fields { type { fields { type { fields { type { fields { type { fields { type { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } } } } } } } } } } } }`, "GRAPHQL_VALIDATION_FAILED"}, // gqlgen's own rule bounds introspection nesting
		{"too many tokens", `{ product(id: "p1") { ` + strings.Repeat("name ", 500) + `} }`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Backends.ResetStats()
			r := e.Query(tt.query, nil)
			if r.Data["product"] != nil || r.Data["products"] != nil {
				t.Errorf("got data, want the operation rejected: %s", r.Raw)
			}
			if len(r.Errors) == 0 {
				t.Fatalf("no error: %s", r.Raw)
			}
			if tt.wantCode != "" {
				if got := r.Errors[0].Extensions["code"]; got != tt.wantCode {
					t.Errorf("code: got %v, want %s (%s)", got, tt.wantCode, r.Errors[0].Message)
				}
			}
			if got := e.TotalCalls(); got != 0 {
				t.Errorf("backend calls: got %d, want 0", got)
			}
		})
	}
}

// The listing, page and dashboard of the README stay well inside the
// default limits, and GraphiQL's introspection is not "too deep".
func TestDefaultLimitsAdmitRealQueries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, q := range []string{listingQuery, pageQuery, introspectionQuery} {
		r := e.Query(q, map[string]any{"category": "shoes"})
		if len(r.Errors) > 0 {
			t.Errorf("rejected: %v\n%s", r.Errors[0], q)
		}
	}
}

const introspectionQuery = `query IntrospectionQuery { __schema { queryType { name } types { ...FullType } directives { name args { ...InputValue } } } }
fragment FullType on __Type { kind name fields(includeDeprecated: true) { name args { ...InputValue } type { ...TypeRef } } inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`

// The estimate is exact for the workloads: what the limit counts is
// what the backends see.
func TestEstimateMatchesBackendCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name  string
		query string
	}{
		{"listing", listingQuery},
		{"dashboard", `{ dashboard(userId: "u1") { user { name } recentOrders { items { product { price { amount { formatted } } } } } reviews { rating } summary { orderCount } } }`},
		{"page", `{ product(id: "p1") { price { amount { formatted } } stock { available } reviews { author { name } } related { name } } }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			est := estimate(t, tt.query, map[string]any{"category": "shoes"})
			e.Backends.ResetStats()
			if r := e.Query(tt.query, map[string]any{"category": "shoes"}); len(r.Errors) > 0 {
				t.Fatal(r.Errors)
			}
			if got := e.TotalCalls(); int64(est.Calls) != got {
				t.Errorf("estimated %d calls (%v), the backends saw %d", est.Calls, est.PerService, got)
			}
		})
	}
}

// The verdict of the limits is kept per operation and variables: the same
// text with other variable values is judged on its own values, and a kept
// refusal is the same refusal every time.
func TestLimitsVerdictFollowsTheVariables(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.Limits.MaxItems = 400 })
	q := `query($n: Int!, $r: Int!) { products(first: $n) { nodes { reviews(first: $r) { rating } } } }`
	for _, step := range []struct {
		n, r     int
		wantCode string
	}{
		{5, 2, ""},
		{100, 10, "QUERY_TOO_COSTLY"},
		{5, 2, ""},
		{100, 10, "QUERY_TOO_COSTLY"},
		{2, 101, "BAD_USER_INPUT"},
		{5, 3, ""},
	} {
		e.Backends.ResetStats()
		r := e.QueryNoFatal(q, map[string]any{"n": step.n, "r": step.r})
		var code any
		if len(r.Errors) > 0 {
			code = r.Errors[0].Extensions["code"]
		}
		if step.wantCode == "" {
			if len(r.Errors) > 0 || r.Data["products"] == nil {
				t.Errorf("n=%d r=%d: want data, got %s", step.n, step.r, r.Raw)
			}
			continue
		}
		if code != step.wantCode || r.Data["products"] != nil {
			t.Errorf("n=%d r=%d: got %v (%s), want %s", step.n, step.r, code, r.Raw, step.wantCode)
		}
		if got := e.TotalCalls(); got != 0 {
			t.Errorf("n=%d r=%d: %d backend calls, want 0", step.n, step.r, got)
		}
	}
}

// graphiqlIntrospection is the query GraphiQL sends (graphql-js 17's
// getIntrospectionQuery: typeDepth 9, input value deprecation on), 15
// fields deep at its deepest.
var graphiqlIntrospection = `query IntrospectionQuery { __schema { queryType { name kind } mutationType { name kind } subscriptionType { name kind }
  types { ...FullType } directives { name description locations args(includeDeprecated: true) { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue }
  type { ...TypeRef } isDeprecated deprecationReason } inputFields(includeDeprecated: true) { ...InputValue } interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
fragment TypeRef on __Type { kind name` + strings.Repeat(" ofType { name kind", 9) + strings.Repeat(" }", 9) + ` }`

// ofTypeChain nests ofType n deep under __type.
func ofTypeChain(n int) string {
	return `{ __type(name: "Product") {` + strings.Repeat(" ofType {", n) + " name" + strings.Repeat(" }", n) + " } }"
}

// Introspection is bounded in depth with the default limits: a 20-deep
// ofType chain (which gqlparser's own rule, counting list fields only,
// lets through) is refused before execution, while the introspection
// queries of GraphiQL and of graphql-js 16 (graphql-codegen, Apollo) pass.
func TestIntrospectionDepthLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name      string
		query     string
		wantCode  string
		wantDepth int
	}{
		{"GraphiQL", graphiqlIntrospection, "", 15},
		{"graphql-js 16", introspectionQuery, "", 13},
		{"ofType 20 deep", ofTypeChain(20), gateway.CodeIntrospectionTooDeep, 22},
		{"ofType 18 deep", ofTypeChain(18), "", 20},
		{"fields and types alternating under fragments", `{ __type(name: "Query") { ...A } } fragment A on __Type { ofType { ...B } } fragment B on __Type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ...C } } } } } } } } } } } fragment C on __Type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }`, gateway.CodeIntrospectionTooDeep, 23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := estimate(t, tt.query, nil)
			if c.IntrospectionDepth != tt.wantDepth {
				t.Errorf("introspection depth: got %d, want %d", c.IntrospectionDepth, tt.wantDepth)
			}
			r := e.Query(tt.query, nil)
			if tt.wantCode == "" {
				if len(r.Errors) > 0 || r.Data["__schema"] == nil && r.Data["__type"] == nil {
					t.Errorf("got %s, want an answer", clipRaw(r.Raw))
				}
				return
			}
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != tt.wantCode || r.Data != nil {
				t.Errorf("got %s, want the operation refused with %s", clipRaw(r.Raw), tt.wantCode)
			}
		})
	}
}

func clipRaw(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// Client strings become backend URLs and cache keys (a listing's
// category): a string longer than limits.max_argument_length, in a
// variable or a literal, at any depth of a list, is refused with
// BAD_USER_INPUT before any backend call. Before, a new ~1 MB category
// per request was sent to catalog and kept as a cache key.
func TestLongArgumentStringsRefusedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withCache)
	e.cacheControl(demo.Catalog, "max-age=60")
	const limit = 1024 // the default
	long := strings.Repeat("c", limit+1)
	tests := []struct {
		name     string
		query    string
		vars     map[string]any
		wantCode string
	}{
		{"variable", `query($c: String) { products(first: 1, category: $c) { nodes { id } } }`, map[string]any{"c": long}, "BAD_USER_INPUT"},
		{"megabyte variable", `query($c: String) { products(first: 1, category: $c) { nodes { id } } }`, map[string]any{"c": strings.Repeat("c", 900<<10)}, "BAD_USER_INPUT"},
		{"literal", `{ products(first: 1, category: "` + long + `") { nodes { id } } }`, nil, "BAD_USER_INPUT"},
		{"in a list variable", `query($ids: [ID!]!) { productsByIds(ids: $ids) { id } }`, map[string]any{"ids": []any{"p1", long}}, "BAD_USER_INPUT"},
		{"in a list literal", `{ productsByIds(ids: ["p1", "` + long + `"]) { id } }`, nil, "BAD_USER_INPUT"},
		{"variable default", `query($c: String = "` + long + `") { products(first: 1, category: $c) { nodes { id } } }`, nil, "BAD_USER_INPUT"},
		{"at the limit", `query($c: String) { products(first: 1, category: $c) { nodes { id } } }`, map[string]any{"c": strings.Repeat("c", limit)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Backends.ResetStats()
			r := e.Query(tt.query, tt.vars)
			if tt.wantCode == "" {
				if len(r.Errors) > 0 {
					t.Errorf("got %v, want an answer", r.Errors)
				}
				return
			}
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != tt.wantCode {
				t.Fatalf("got %s, want %s", clipRaw(r.Raw), tt.wantCode)
			}
			if len(r.Errors[0].Message) > 300 {
				t.Errorf("message of %d bytes: it quotes the value", len(r.Errors[0].Message))
			}
			if got := e.TotalCalls(); got != 0 {
				t.Errorf("backend calls: got %d, want 0", got)
			}
		})
	}
}

// estimate is the cost the default gateway's limits estimate for query's
// operation: read from its plan.
func estimate(t testing.TB, query string, vars map[string]any) cost.Cost {
	t.Helper()
	cfg := config.Default()
	c, err := gateway.Estimate(&cfg, served.Graph(), query, "", vars)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	return c
}
