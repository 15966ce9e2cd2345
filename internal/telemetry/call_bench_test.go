package telemetry_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/tributary-gw/tributary/internal/telemetry"
	"github.com/tributary-gw/tributary/internal/upstream"
	"github.com/tributary-gw/tributary/internal/upstream/upstreamtest"
)

// BenchmarkInstrumentedCall is upstream's BenchmarkCall as the binary
// wires it by default: the metrics observe the call and the tracing
// transport (tracing off: a no-op provider) wraps the canned transport.
// The difference between the two is what the instrumentation costs a call.
func BenchmarkInstrumentedCall(b *testing.B) {
	body := []byte(`{"items":[{"id":"p1"},{"id":"p2"},{"id":"p3"}]}`)
	rt := telemetry.TraceTransport(noop.NewTracerProvider())(upstreamtest.Canned{Status: http.StatusOK, Body: body})
	m := telemetry.NewMetrics(prometheus.NewRegistry())
	c, err := upstream.New(upstream.Config{Service: "catalog", BaseURL: "http://127.0.0.1:9101"}, upstream.NewHTTPClient(rt), m)
	if err != nil {
		b.Fatal(err)
	}
	ctx := upstream.WithOutgoing(context.Background(), upstream.Outgoing{RequestID: "req-1"})
	req := upstream.BatchRequest{Endpoint: "products.byIds", Path: "/products", Param: "ids", Require: "items"}
	ids := []string{"p1", "p2", "p3"}
	type item struct {
		ID string `json:"id"`
	}
	type envelope struct {
		Items []*item `json:"items"`
	}
	b.ReportAllocs()
	for b.Loop() {
		got, f := upstream.GetBatch(ctx, c, req, ids, func(e *envelope) []*item { return e.Items })
		if err := f.Any(); err != nil || len(got) != 3 {
			b.Fatalf("got %d items, err %v", len(got), err)
		}
	}
}

// BenchmarkCallObserver is the metrics' share of a call: one attempt
// started and finished.
func BenchmarkCallObserver(b *testing.B) {
	m := telemetry.NewMetrics(prometheus.NewRegistry())
	ctx := context.Background()
	c := upstream.Call{Service: "pricing", Endpoint: "prices", IDs: 20, Status: http.StatusOK}
	b.ReportAllocs()
	for b.Loop() {
		m.CallStarted(ctx, c)
		m.CallFinished(ctx, c)
	}
}
