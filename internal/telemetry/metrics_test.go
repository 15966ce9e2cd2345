package telemetry_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/internal/telemetry"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

const listing = `{ products(first: 20) { nodes { price { amount { formatted } } stock { available } } } }`

const namedListing = `query Listing { products(first: 20) { nodes { price { amount { formatted } } stock { available } } } }`

// newMetricsEnv is a gateway with Metrics plugged into every hook and
// /metrics mounted.
func newMetricsEnv(t *testing.T, mods ...func(*config.Config)) *env {
	t.Helper()
	m := telemetry.NewMetrics(prometheus.NewRegistry())
	return newEnv(t, gateway.Options{
		Observer:    m,
		PolicyHooks: m.PolicyHooks(),
		Extensions:  []graphql.HandlerExtension{m.Extension()},
		Routes:      map[string]http.Handler{"GET /metrics": m.Handler()},
	}, mods...)
}

type wantSeries struct {
	name   string
	labels []string
	want   float64
}

func checkSeries(t *testing.T, ms metrics, tests []wantSeries) {
	t.Helper()
	for _, tt := range tests {
		got, ok := ms.get(tt.name, tt.labels...)
		if !ok {
			t.Errorf("%s%v: no such series", tt.name, tt.labels)
			continue
		}
		if got != tt.want {
			t.Errorf("%s%v: got %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
}

func TestMetricsOfOneListing(t *testing.T) {
	t.Parallel()
	e := newMetricsEnv(t)
	r := e.Query(listing, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	ms := e.scrape()
	checkSeries(t, ms, []wantSeries{
		{"tributary_backend_calls_total", []string{"service", "catalog", "endpoint", "products.list", "status_class", "2xx"}, 1},
		{"tributary_backend_calls_total", []string{"service", "pricing", "endpoint", "prices", "status_class", "2xx"}, 1},
		{"tributary_backend_calls_total", []string{"service", "inventory", "endpoint", "inventory", "status_class", "2xx"}, 1},
		{"tributary_backend_call_duration_seconds_count", []string{"service", "pricing", "endpoint", "prices"}, 1},
		{"tributary_backend_batch_size_count", []string{"service", "pricing", "endpoint", "prices"}, 1},
		{"tributary_backend_batch_size_sum", []string{"service", "pricing", "endpoint", "prices"}, 20},
		{"tributary_backend_batch_size_bucket", []string{"service", "pricing", "endpoint", "prices", "le", "10"}, 0},
		{"tributary_backend_batch_size_bucket", []string{"service", "pricing", "endpoint", "prices", "le", "20"}, 1},
		{"tributary_backend_batch_size_count", []string{"service", "inventory", "endpoint", "inventory"}, 1},
		{"tributary_backend_batch_size_sum", []string{"service", "inventory", "endpoint", "inventory"}, 20},
		{"tributary_graphql_requests_total", []string{"operation", "anonymous", "outcome", "ok"}, 1},
		{"tributary_graphql_request_duration_seconds_count", []string{"operation", "anonymous"}, 1},
		{"tributary_backend_in_flight", []string{"service", "pricing"}, 0},
		{"tributary_backend_retries_total", []string{"service", "pricing"}, 0},
		{"tributary_breaker_state", []string{"service", "pricing"}, 0},
		{"tributary_graphql_partial_responses_total", []string{"service", "pricing"}, 0},
	})
	if got := ms.sum("tributary_backend_calls_total"); got != 3 {
		t.Errorf("backend calls in all: got %v, want 3", got)
	}
	// The page is not a batch of ids: no batch size for it.
	if _, ok := ms.get("tributary_backend_batch_size_count", "service", "catalog", "endpoint", "products.list"); ok {
		t.Error("catalog products.list has a batch size series, want none")
	}
	if got := len(ms.series("tributary_breaker_transitions_total")); got != 0 {
		t.Errorf("got %d breaker transition series, want 0", got)
	}
}

// A failing service gives a partial response, counted under its name; the
// retries are counted, the batch size only once.
func TestMetricsCountPartialResponsesByService(t *testing.T) {
	t.Parallel()
	e := newMetricsEnv(t)
	e.Backends.Server(demo.Pricing).SetFaults(demo.Faults{ErrorRate: 1})
	r := e.Query(namedListing, nil)
	if len(r.Errors) == 0 || len(get(r.Data, "products", "nodes").([]any)) != 20 {
		t.Fatalf("want a partial response with 20 products, got %s", r.Raw)
	}
	ms := e.scrape()
	checkSeries(t, ms, []wantSeries{
		{"tributary_graphql_requests_total", []string{"operation", "Listing", "outcome", "partial"}, 1},
		{"tributary_graphql_partial_responses_total", []string{"service", "pricing"}, 1},
		{"tributary_graphql_partial_responses_total", []string{"service", "catalog"}, 0},
		{"tributary_graphql_partial_responses_total", []string{"service", "inventory"}, 0},
		// The default policy retries twice.
		{"tributary_backend_calls_total", []string{"service", "pricing", "endpoint", "prices", "status_class", "5xx"}, 3},
		{"tributary_backend_retries_total", []string{"service", "pricing"}, 2},
		{"tributary_backend_batch_size_count", []string{"service", "pricing", "endpoint", "prices"}, 1},
		{"tributary_backend_batch_size_sum", []string{"service", "pricing", "endpoint", "prices"}, 20},
		{"tributary_backend_call_duration_seconds_count", []string{"service", "pricing", "endpoint", "prices"}, 3},
		{"tributary_backend_in_flight", []string{"service", "pricing"}, 0},
	})
	if _, ok := ms.get("tributary_backend_calls_total", "service", "pricing", "endpoint", "prices", "status_class", "2xx"); ok {
		t.Error("pricing has 2xx calls, want none")
	}
}

// The breaker's transitions closed → open → half-open → closed are counted
// and its state gauge follows.
func TestMetricsFollowTheBreaker(t *testing.T) {
	t.Parallel()
	e := newMetricsEnv(t, withService("pricing", func(sc *config.ServiceConfig) {
		sc.MaxRetries = 0
		sc.BreakerConsecutiveFailures = 2
		sc.BreakerCooldown = 100 * time.Millisecond
	}))
	pricing := e.Backends.Server(demo.Pricing)
	pricing.SetFaults(demo.Faults{ErrorRate: 1})
	for range 3 { // two failures open the breaker; the third is not sent
		e.Query(listing, nil)
	}
	ms := e.scrape()
	checkSeries(t, ms, []wantSeries{
		{"tributary_breaker_transitions_total", []string{"service", "pricing", "from", "closed", "to", "open"}, 1},
		{"tributary_breaker_state", []string{"service", "pricing"}, 2},
		{"tributary_breaker_state", []string{"service", "catalog"}, 0},
		{"tributary_backend_calls_total", []string{"service", "pricing", "endpoint", "prices", "status_class", "5xx"}, 2},
		{"tributary_graphql_partial_responses_total", []string{"service", "pricing"}, 3},
		{"tributary_graphql_requests_total", []string{"operation", "anonymous", "outcome", "partial"}, 3},
	})
	if got := len(ms.series("tributary_breaker_transitions_total")); got != 1 {
		t.Errorf("got %d breaker transition series, want 1", got)
	}

	pricing.SetFaults(demo.Faults{})
	// Past the cool-down the breaker lets a probe through: /readyz reads
	// each breaker's state, which is when gobreaker moves it to half-open.
	poll.Until(t, "pricing's breaker to be half-open", func() bool {
		_, body := e.Get("/readyz")
		return strings.Contains(string(body), "pricing: half-open")
	})
	if r := e.Query(listing, nil); len(r.Errors) > 0 {
		t.Fatalf("after recovery: errors %+v", r.Errors)
	}
	checkSeries(t, e.scrape(), []wantSeries{
		{"tributary_breaker_transitions_total", []string{"service", "pricing", "from", "closed", "to", "open"}, 1},
		{"tributary_breaker_transitions_total", []string{"service", "pricing", "from", "open", "to", "half-open"}, 1},
		{"tributary_breaker_transitions_total", []string{"service", "pricing", "from", "half-open", "to", "closed"}, 1},
		{"tributary_breaker_state", []string{"service", "pricing"}, 0},
		{"tributary_graphql_requests_total", []string{"operation", "anonymous", "outcome", "ok"}, 1},
	})
}

// Requests that never execute are "rejected"; operation names are bounded.
func TestMetricsBoundOperationNames(t *testing.T) {
	t.Parallel()
	e := newMetricsEnv(t)
	tests := []struct {
		name string
		give map[string]any
	}{
		{"invalid query", map[string]any{"query": `{ nope }`}},
		{"unknown operation", map[string]any{"query": `query A { __typename }`, "operationName": "Missing"}},
		{"syntax error", map[string]any{"query": `query Broken {`, "operationName": "Broken"}},
	}
	for _, tt := range tests {
		if r := e.Post(tt.give); len(r.Errors) == 0 || r.Data != nil {
			t.Errorf("%s: got %s, want errors and no data", tt.name, r.Raw)
		}
	}
	// 205 distinct valid names, one too long, and one repeated.
	for i := range 205 {
		e.Query(fmt.Sprintf("query Op%d { __typename }", i), nil)
	}
	e.Query("query "+strings.Repeat("L", 65)+" { __typename }", nil)
	e.Query("query Op0 { __typename }", nil)

	ms := e.scrape()
	checkSeries(t, ms, []wantSeries{
		{"tributary_graphql_requests_total", []string{"operation", "anonymous", "outcome", "rejected"}, 1},
		// Names of requests that did not execute are never admitted.
		{"tributary_graphql_requests_total", []string{"operation", "other", "outcome", "rejected"}, 2},
		{"tributary_graphql_requests_total", []string{"operation", "Op0", "outcome", "ok"}, 2},
		{"tributary_graphql_requests_total", []string{"operation", "Op199", "outcome", "ok"}, 1},
		{"tributary_graphql_requests_total", []string{"operation", "other", "outcome", "ok"}, 6},
	})
	if _, ok := ms.get("tributary_graphql_requests_total", "operation", "Op200", "outcome", "ok"); ok {
		t.Error("Op200 has its own series, want it counted as other")
	}
	if got := len(ms.series("tributary_graphql_request_duration_seconds_count")); got != 202 {
		t.Errorf("got %d operation labels on the duration histogram, want 202 (200 names, other, anonymous)", got)
	}
}

// Entity cache look-ups are counted per key: the first listing misses its
// 20 prices, the second finds them in process.
func TestMetricsCountEntityCacheLookups(t *testing.T) {
	t.Parallel()
	m := telemetry.NewMetrics(prometheus.NewRegistry())
	e := newEnv(t, gateway.Options{
		Observer:      m,
		CacheObserver: m,
		Routes:        map[string]http.Handler{"GET /metrics": m.Handler()},
	}, func(c *config.Config) { c.Cache.Enabled = true })
	e.Backends.Server(demo.Pricing).SetFaults(demo.Faults{CacheControl: "max-age=60"})
	for range 2 {
		if r := e.Query(listing, nil); len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
	}
	checkSeries(t, e.scrape(), []wantSeries{
		{"tributary_entity_cache_keys_total", []string{"service", "pricing", "endpoint", "prices", "result", "miss"}, 20},
		{"tributary_entity_cache_keys_total", []string{"service", "pricing", "endpoint", "prices", "result", "l1"}, 20},
		{"tributary_backend_calls_total", []string{"service", "pricing", "endpoint", "prices", "status_class", "2xx"}, 1},
	})
}
