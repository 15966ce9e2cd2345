package bench_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/bench/benchenv"
	"github.com/tributary-gw/tributary/bench/workload"
	"github.com/tributary-gw/tributary/graph/served"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/internal/gateway"
)

// Each benchmark sends one workload's query, serially, to a real gateway
// (gateway.New behind httptest.NewServer, POST application/json) over the
// six demo backends in process at zero latency. ns/op is the latency of one
// query with nothing else running; allocs/op and B/op count the whole
// process — client, gateway and the demo backends (bench/floor's benchmarks
// measure the same backends and client under the hand-written floor, so the
// difference is the gateway's own). calls/op is backend calls per query,
// from the demo backends' counters; errors/op the share of queries answered
// with GraphQL errors (e.g. a backend call over its 1 s timeout on a starved
// machine), which are counted rather than fatal so one stall does not void a
// run.

func BenchmarkListing(b *testing.B)     { run(b, workload.Listing) }
func BenchmarkDashboard(b *testing.B)   { run(b, workload.Dashboard) }
func BenchmarkProductPage(b *testing.B) { run(b, workload.ProductPage) }
func BenchmarkUser(b *testing.B)        { run(b, workload.User) }

// BenchmarkBatchMode compares the batching modes (TRIBUTARY_BATCH_MODE) on
// every workload: rounds (the default, as above), timer (plain
// dataloaders, 1 ms window) and off (one call per key).
func BenchmarkBatchMode(b *testing.B) {
	for _, mode := range []string{"rounds", "timer", "off"} {
		b.Run(mode, func(b *testing.B) {
			for _, w := range workload.All() {
				b.Run(w.Name, func(b *testing.B) { run(b, w, "TRIBUTARY_BATCH_MODE="+mode) })
			}
		})
	}
}

func run(b *testing.B, w workload.Workload, environ ...string) {
	// BENCH_GATEWAY_ENV adds settings, as for profile.sh (e.g.
	// TRIBUTARY_BATCH_SHARE=false).
	environ = append(strings.Fields(os.Getenv("BENCH_GATEWAY_ENV")), environ...)
	e := benchenv.Start(b, environ...)
	ctx := context.Background()
	for range 20 { // warm connections, caches and the query cache
		if _, err := e.Query(ctx, w); err != nil {
			b.Fatal(err)
		}
	}
	e.Backends.ResetStats()
	errs := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Query(ctx, w); err != nil {
			if !errors.Is(err, benchenv.ErrGraphQL) {
				b.Fatal(err)
			}
			errs++
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(e.TotalCalls())/float64(b.N), "calls/op")
	b.ReportMetric(float64(errs)/float64(b.N), "errors/op")
}

// TestWorkloads keeps the benchmarks honest in CI, where they do not run:
// each query answers without errors, and in rounds mode at the number of
// backend calls the README promises. That count is allowed three tries: a
// round can split the dashboard's pricing level in a few percent of queries
// (bench/README.md), and this test is to catch a systematic change, not that
// race. Timer mode may split a level or merge two, so only its answers count.
func TestWorkloads(t *testing.T) {
	for _, mode := range []string{"rounds", "timer"} {
		t.Run(mode, func(t *testing.T) {
			e := benchenv.Start(t, "TRIBUTARY_BATCH_MODE="+mode)
			for _, w := range workload.All() {
				var got int64
				for range 3 {
					e.Backends.ResetStats()
					if _, err := e.Query(context.Background(), w); err != nil {
						t.Fatalf("%s: %v", w.Name, err)
					}
					if got = e.TotalCalls(); mode != "rounds" || got >= int64(w.WantCalls) && got <= int64(max(w.WantCalls, w.MaxCalls)) {
						break
					}
				}
				if mode == "rounds" && (got < int64(w.WantCalls) || got > int64(max(w.WantCalls, w.MaxCalls))) {
					t.Errorf("%s: got %d backend calls, want %d (at most %d)", w.Name, got, w.WantCalls, max(w.WantCalls, w.MaxCalls))
				}
			}
		})
	}
}

// TestExplainMatchesWorkloads: the plan -explain prints sends, for every
// workload, the backend calls the gateway makes (WantCalls, as the
// backends count them in TestWorkloads).
func TestExplainMatchesWorkloads(t *testing.T) {
	cfg := config.Default()
	for _, w := range workload.All() {
		x, err := gateway.Explain(&cfg, served.Graph(), w.Query, "", nil)
		if err != nil {
			t.Fatalf("%s: %v", w.Name, err)
		}
		if x.Engine != engine.Plan {
			t.Errorf("%s: runs on %s (%s), want the plan", w.Name, x.Engine, x.Why)
		}
		calls := 0
		for _, r := range x.Rounds {
			calls += len(r.Calls)
		}
		if calls != w.WantCalls {
			t.Errorf("%s: -explain plans %d calls, the backends count %d", w.Name, calls, w.WantCalls)
		}
	}
}
