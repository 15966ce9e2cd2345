package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/services/demo"
)

func (e *env) queryWithReport(q string, vars map[string]any) gqlResponse {
	e.T.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Tributary-Report", "1")
	return e.Do(req)
}

// The fan-out report tells the caller what the listing cost, and agrees
// with the backends' own counters.
func TestFanoutReportMatchesTheBackends(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.FanoutReport = true })
	r := e.queryWithReport(listingQuery, map[string]any{"category": "shoes"})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	rep := get(r.Extensions, "tributary", "fanout")
	if rep == nil {
		t.Fatalf("no report: %s", r.Raw)
	}
	if got, want := get(rep, "totalCalls"), float64(e.TotalCalls()); got != want {
		t.Errorf("totalCalls: got %v, want %v", got, want)
	}
	for _, svc := range demo.AllServices() {
		st := e.Stats(svc)
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
	if r := e.Query(listingQuery, nil); r.Extensions["tributary"] != nil {
		t.Errorf("report without asking: %v", r.Extensions)
	}
	off := newEnv(t, func(c *config.Config) { c.FanoutReport = false })
	if r := off.queryWithReport(listingQuery, nil); r.Extensions["tributary"] != nil {
		t.Errorf("report while disabled: %v", r.Extensions)
	}
}

// The playground's Fan-out panel asks for the report: the development
// profile allows it by default, production does not.
func TestFanoutReportDefaultsByProfile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		giveEnv []string
		want    bool
	}{
		{nil, true},
		{[]string{"TRIBUTARY_PROFILE=development"}, true},
		{[]string{"TRIBUTARY_PROFILE=production"}, false},
		{[]string{"TRIBUTARY_PROFILE=production", "TRIBUTARY_FANOUT_REPORT=true"}, true},
	}
	for _, tt := range tests {
		c, err := config.Load("", tt.giveEnv)
		if err != nil {
			t.Fatal(err)
		}
		if c.FanoutReport != tt.want {
			t.Errorf("%v: got fanout_report %v, want %v", tt.giveEnv, c.FanoutReport, tt.want)
		}
	}
	e := newEnv(t)
	if r := e.queryWithReport(listingQuery, map[string]any{"category": "shoes"}); get(r.Extensions, "tributary", "fanout") == nil {
		t.Errorf("no report with the default configuration: %s", r.Raw)
	}
}

// withService changes one service's configuration.
func withService(name string, f func(*config.ServiceConfig)) func(*config.Config) {
	return func(c *config.Config) {
		sc := c.Service(name)
		f(&sc)
		c.SetService(name, sc)
	}
}

// The report puts every call on the request's time axis with its outcome,
// and gives the deadline, against real backends with faults.
func TestFanoutReportTimeline(t *testing.T) {
	t.Parallel()
	const page = `{ product(id: "p1") { name price { amount { formatted } } stock { available } ratingSummary { count } } }`
	tests := []struct {
		name string
		mods []func(*config.Config)
		// before runs before the reported query (warm-up, faults).
		before      func(e *env)
		wantService string
		wantOutcome string
		wantCode    string
		wantMinMS   float64 // the call's latency at least
		wantNotSent int
	}{
		{
			name: "slow pricing times out",
			mods: []func(*config.Config){withService("pricing", func(sc *config.ServiceConfig) { sc.Timeout = 200 * time.Millisecond })},
			before: func(e *env) {
				e.Backends.Server(demo.Pricing).SetFaults(demo.Faults{Latency: 5 * time.Second})
			},
			wantService: "pricing", wantOutcome: "error", wantCode: "SERVICE_TIMEOUT", wantMinMS: 200,
		},
		{
			name: "open circuit",
			mods: []func(*config.Config){withService("inventory", func(sc *config.ServiceConfig) {
				sc.MaxRetries, sc.BreakerConsecutiveFailures = 0, 1
			})},
			before: func(e *env) {
				e.Backends.Server(demo.Inventory).SetFaults(demo.Faults{Down: true})
				e.Query(page, nil) // fails once: the circuit opens
			},
			wantService: "inventory", wantOutcome: "circuit_open", wantCode: "CIRCUIT_OPEN", wantNotSent: 1,
		},
		{
			name: "failed reviews served stale",
			mods: []func(*config.Config){withService("reviews", func(sc *config.ServiceConfig) { sc.MaxRetries = 0 })},
			before: func(e *env) {
				e.Query(page, nil) // fills the stale cache
				e.Backends.Server(demo.Reviews).SetFaults(demo.Faults{ErrorRate: 1})
			},
			wantService: "reviews", wantOutcome: "stale", wantCode: "SERVICE_UNAVAILABLE",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, append(tt.mods, func(c *config.Config) { c.RequestTimeout = 2 * time.Second })...)
			tt.before(e)
			r := e.queryWithReport(page, nil)
			rep := get(r.Extensions, "tributary", "fanout")
			if rep == nil {
				t.Fatalf("no report: %s", r.Raw)
			}
			duration := get(rep, "durationMs").(float64)
			// The deadline is request_timeout after it was set, a few
			// microseconds after the report's time zero.
			if got := get(rep, "deadlineMs").(float64); got < 2000 || got > 2010 {
				t.Errorf("deadlineMs: got %v, want about 2000", got)
			}
			var rows int
			for _, svc := range config.Services {
				for _, b := range asList(get(rep, "services", svc, "batches")) {
					rows++
					start, latency := get(b, "startMs").(float64), get(b, "latencyMs").(float64)
					if start < 0 || start+latency > duration {
						t.Errorf("%s call from %v ms for %v ms: outside the request's %v ms", svc, start, latency, duration)
					}
					if get(b, "round").(float64) < 1 {
						t.Errorf("%s call has no round: %v", svc, b)
					}
				}
			}
			calls, notSent := get(rep, "totalCalls").(float64), 0.0
			for _, svc := range config.Services {
				notSent += get(rep, "services", svc, "notSent").(float64)
			}
			if float64(rows) != calls+notSent {
				t.Errorf("got %d rows, want totalCalls %v + notSent %v", rows, calls, notSent)
			}
			if got := notSent; got != float64(tt.wantNotSent) {
				t.Errorf("notSent: got %v, want %d", got, tt.wantNotSent)
			}
			batches := asList(get(rep, "services", tt.wantService, "batches"))
			if len(batches) == 0 {
				t.Fatalf("no %s call in the report: %s", tt.wantService, r.Raw)
			}
			last := batches[len(batches)-1]
			if got := get(last, "outcome"); got != tt.wantOutcome {
				t.Errorf("%s outcome: got %v, want %s", tt.wantService, got, tt.wantOutcome)
			}
			if got := get(last, "code"); got != tt.wantCode {
				t.Errorf("%s code: got %v, want %s", tt.wantService, got, tt.wantCode)
			}
			if got := get(last, "latencyMs").(float64); got < tt.wantMinMS {
				t.Errorf("%s latency: got %v ms, want at least %v", tt.wantService, got, tt.wantMinMS)
			}
			if backend, gateway := get(rep, "backendMs").(float64), get(rep, "gatewayMs").(float64); backend+gateway > duration+0.001 || backend < tt.wantMinMS {
				t.Errorf("backendMs %v + gatewayMs %v: want their sum %v ms, backend at least %v", backend, gateway, duration, tt.wantMinMS)
			}
		})
	}
}

// Every workload of the issue is dispatched by the engine's rounds alone:
// the backstop timer never fires, so no round waits for it. (The operation
// with __schema runs on gqlgen's executor, its loaders on their own
// window: it has no dispatcher to report.)
func TestRoundsNeverNeedTheBackstop(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.FanoutReport = true })
	for _, q := range []string{
		listingQuery,
		`{ dashboard(userId: "u1") { user { name } recentOrders { items { product { name price { amount { formatted } } } } } reviews { rating product { name } } summary { orderCount } } }`,
		`{ product(id: "p1") { name price { amount { formatted } } stock { available } reviews { author { name } } related { name price { amount { formatted } } } } user(id: "u2") { orders { items { product { name } } } } }`,
		`{ products(first: 3) { nodes { name ... @defer { reviews { author { name } } } } } }`,
		`{ user(id: "u1") { lifetimeSpend { formatted } reviews { product { price { amount { formatted } } } } } me { user { name } } }`,
		`{ __schema { queryType { name } } product(id: "nope") { name price { amount { formatted } } } productsByIds(ids: ["p1", "p1", "zz"]) { stock { available } } }`,
		// Lists with one batch field (the reviews'), and with two whose
		// first (the author, u1 itself, already loaded) needs no call while
		// the second waits.
		`{ products(first: 5) { nodes { reviews { rating author { name } } related { name price { amount { formatted } } } } } }`,
		`{ user(id: "u1") { reviews(first: 3) { author { name } product { description } } } }`,
		`{ products(first: 4) { nodes { reviews { author { name reviews { rating } } } related { related { stock { available } } } } } }`,
		`{ productsByIds(ids: ["p1", "nope", "p2"]) { reviews { author { name } } ratingSummary { count } } }`,
	} {
		r := e.queryWithReport(q, map[string]any{"category": "shoes"})
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		if got := get(r.Extensions, "tributary", "fanout", "batching", "backstops"); got != float64(0) {
			t.Errorf("backstops: got %v, want 0 for %s", got, q)
		}
	}
}
