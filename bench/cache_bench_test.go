package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/bench/benchenv"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// hotProductQuery is the product page of workload.ProductPage for any id.
const hotProductQuery = `query($id: ID!) { product(id: $id) { name price { amount { formatted } } stock { available inStock } ` +
	`reviews(first: 5) { rating author { name } } ratingSummary { count average } ` +
	`related { name price { amount { formatted } } } } }`

// hotProducts draws product ids as a shop's traffic does: 90% of requests
// for 300 popular products, the rest over the whole catalog of 1,000.
// Seeded, so every variant sees the same sequence.
type hotProducts struct{ r *rand.Rand }

func newHotProducts() *hotProducts { return &hotProducts{rand.New(rand.NewPCG(14, 14))} }

func (h *hotProducts) next() []byte {
	n := 1 + h.r.IntN(1000)
	if h.r.Float64() < 0.9 {
		n = 1 + h.r.IntN(300)
	}
	b, _ := json.Marshal(map[string]any{"query": hotProductQuery, "variables": map[string]any{"id": fmt.Sprintf("p%d", n)}})
	return b
}

// BenchmarkHotProducts measures the entity cache on a repeated-product
// workload: product pages drawn by hotProducts, every backend answering
// Cache-Control: max-age=60, with the cache off, in process (one replica,
// and two taking turns), and shared through Redis by two replicas taking
// turns. Reported besides ns/op: backend calls per query over the first
// 1,000 queries (cold-calls/op: the cache filling) and afterwards
// (calls/op, ids/op: keys asked for), the p50/p99 of one query, and the CPU
// of the whole process (client, gateway(s), backends) per query.
func BenchmarkHotProducts(b *testing.B) {
	for _, latency := range []time.Duration{0, 5 * time.Millisecond} {
		for _, variant := range []string{"off", "memory", "memory-2-replicas", "redis-2-replicas"} {
			b.Run(fmt.Sprintf("latency=%s/cache=%s", latency, variant), func(b *testing.B) {
				runHot(b, latency, variant)
			})
		}
	}
}

func runHot(b *testing.B, latency time.Duration, variant string) {
	backends := tributarytest.StartBackends(b, nil)
	for _, s := range demo.AllServices() {
		backends.Server(s).SetFaults(demo.Faults{Latency: latency, CacheControl: "max-age=60"})
	}
	var gws []*benchenv.Env
	switch variant {
	case "off":
		gws = append(gws, benchenv.StartOver(b, backends.Backends))
	case "memory":
		gws = append(gws, benchenv.StartOver(b, backends.Backends, "TRIBUTARY_CACHE_ENABLED=true"))
	case "memory-2-replicas":
		for range 2 {
			gws = append(gws, benchenv.StartOver(b, backends.Backends, "TRIBUTARY_CACHE_ENABLED=true"))
		}
	case "redis-2-replicas":
		rs := tributarytest.StartRedis(b)
		for range 2 {
			gws = append(gws, benchenv.StartOver(b, backends.Backends, "TRIBUTARY_CACHE_ENABLED=true", "TRIBUTARY_REDIS_URL="+rs.URL()))
		}
	}
	ctx := context.Background()
	h := newHotProducts()
	query := func(i int) error {
		e := gws[i%len(gws)]
		_, err := benchenv.Post(ctx, e.Client, e.URL, h.next())
		if err != nil && !errors.Is(err, benchenv.ErrGraphQL) {
			return err
		}
		return nil
	}
	const warm = 1000
	for i := range warm { // warm: connections, and the cache's steady state
		if err := query(i); err != nil {
			b.Fatal(err)
		}
	}
	coldCalls := backends.TotalCalls()
	backends.ResetStats()
	var lat []time.Duration
	cpu0 := cpuTime()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		t := time.Now()
		if err := query(i); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
		i++
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	var calls, ids int64
	for _, s := range demo.AllServices() {
		st := backends.Server(s).Stats()
		calls += st.TotalCalls()
		ids += st.TotalIDs()
	}
	slices.Sort(lat)
	n := float64(len(lat))
	b.ReportMetric(float64(calls)/n, "calls/op")
	b.ReportMetric(float64(coldCalls)/warm, "cold-calls/op")
	b.ReportMetric(float64(ids)/n, "ids/op")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
