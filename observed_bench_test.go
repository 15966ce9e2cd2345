package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/bench/benchenv"
	"github.com/tributary-gw/tributary/bench/workload"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// BenchmarkObserved runs bench's four workloads through a gateway wired
// as the binary wires it (metrics, the tracing transport and extensions
// with tracing off, the access log at the profile's warn level), so that
// allocs/op and CPU profiles include what observability costs a request;
// bench/'s benchmarks run the gateway without it. ns/op is one query at a
// time with nothing else running.
func BenchmarkObserved(b *testing.B) {
	for _, w := range workload.All() {
		b.Run(w.Name, func(b *testing.B) { runObserved(b, w) })
	}
}

func runObserved(b *testing.B, w workload.Workload) {
	backends := tributarytest.StartBackends(b, nil)
	env := []string{"TRIBUTARY_BATCH_SHARE=false"}
	for _, s := range config.Services {
		env = append(env, "TRIBUTARY_"+strings.ToUpper(s)+"_URL="+backends.URL(demo.Service(s)))
	}
	cfg, err := config.Load("", env)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	obs, err := newObservability(ctx)
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	gw := tributarytest.StartGateway(b, *cfg, obs.gatewayOptions(log, nil))
	client, url := gw.Client.HTTP, gw.Server.URL+"/graphql"
	for range 20 { // warm connections, caches and the query cache
		if _, err := benchenv.Post(ctx, client, url, w.Body()); err != nil {
			b.Fatal(err)
		}
	}
	errs := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, err := benchenv.Post(ctx, client, url, w.Body()); err != nil {
			if !errors.Is(err, benchenv.ErrGraphQL) {
				b.Fatal(err)
			}
			errs++
		}
	}
	b.ReportMetric(float64(errs)/float64(b.N), "errors/op")
}
