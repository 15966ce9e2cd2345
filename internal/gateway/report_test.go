package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/services/demo"
)

func (e *env) queryWithReport(q string, vars map[string]any) gqlResponse {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Tributary-Report", "1")
	return e.do(req)
}

// The fan-out report tells the caller what the listing cost, and agrees
// with the backends' own counters.
func TestFanoutReportMatchesTheBackends(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.FanoutReport = true })
	r := e.queryWithReport(listingQuery, map[string]any{"category": "shoes"})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	rep := get(r.Extensions, "tributary", "fanout")
	if rep == nil {
		t.Fatalf("no report: %s", r.Raw)
	}
	if got, want := get(rep, "totalCalls"), float64(e.totalCalls()); got != want {
		t.Errorf("totalCalls: got %v, want %v", got, want)
	}
	for _, svc := range demo.AllServices() {
		st := e.stats(svc)
		sr := get(rep, "services", string(svc))
		if got := get(sr, "calls"); got != float64(st.TotalCalls()) {
			t.Errorf("%s calls: got %v, want %d", svc, got, st.TotalCalls())
		}
		var wantSizes, gotSizes []int
		for ep, es := range st.Endpoints {
			if ep != "products.list" {
				wantSizes = append(wantSizes, es.BatchSizes...)
			}
		}
		for _, b := range asList(get(sr, "batches")) {
			if get(b, "endpoint") != "products.list" {
				gotSizes = append(gotSizes, int(get(b, "ids").(float64)))
			}
		}
		slices.Sort(wantSizes)
		slices.Sort(gotSizes)
		if !slices.Equal(gotSizes, wantSizes) {
			t.Errorf("%s batch sizes: got %v, want %v", svc, gotSizes, wantSizes)
		}
	}
	if got := asList(get(rep, "services", "users", "fields")); len(got) != 1 || got[0] != "products.nodes.reviews.author" {
		t.Errorf("fields waiting on users: got %v, want [products.nodes.reviews.author]", got)
	}
	if got := get(rep, "batching", "backstops"); got != float64(0) {
		t.Errorf("backstop dispatches: got %v, want 0", got)
	}

	// Without the header, or without the setting, no report.
	if r := e.query(listingQuery, nil); r.Extensions["tributary"] != nil {
		t.Errorf("report without asking: %v", r.Extensions)
	}
	off := newEnv(t)
	if r := off.queryWithReport(listingQuery, nil); r.Extensions["tributary"] != nil {
		t.Errorf("report while disabled: %v", r.Extensions)
	}
}

// Every workload of the issue is dispatched by the scheduler alone: the
// backstop timer never fires, so no level waits for it.
func TestSchedulerNeverNeedsTheBackstop(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.FanoutReport = true })
	for _, q := range []string{
		listingQuery,
		`{ dashboard(userId: "u1") { user { name } recentOrders { items { product { name price { amount { formatted } } } } } reviews { rating product { name } } summary { orderCount } } }`,
		`{ product(id: "p1") { name price { amount { formatted } } stock { available } reviews { author { name } } related { name price { amount { formatted } } } } user(id: "u2") { orders { items { product { name } } } } }`,
		`{ products(first: 3) { nodes { name ... @defer { reviews { author { name } } } } } }`,
		`{ user(id: "u1") { lifetimeSpend { formatted } reviews { product { price { amount { formatted } } } } } me { user { name } } }`,
		`{ __schema { queryType { name } } product(id: "nope") { name price { amount { formatted } } } productsByIds(ids: ["p1", "p1", "zz"]) { stock { available } } }`,
	} {
		r := e.queryWithReport(q, map[string]any{"category": "shoes"})
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		if got := get(r.Extensions, "tributary", "fanout", "batching", "backstops"); got != float64(0) {
			t.Errorf("backstops: got %v, want 0 for %s", got, q)
		}
		if got := get(r.Extensions, "tributary", "fanout", "batching", "anomalies"); got != float64(0) {
			t.Errorf("scheduler anomalies: got %v, want 0 for %s", got, q)
		}
	}
}
