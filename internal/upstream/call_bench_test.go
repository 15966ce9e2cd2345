package upstream_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/upstream"
	"github.com/tributary-gw/tributary/internal/upstream/upstreamtest"
)

type benchItem struct {
	ID string `json:"id"`
}

type benchEnvelope struct {
	Items []*benchItem `json:"items"`
}

func (e *benchEnvelope) Len() int { return len(e.Items) }

// BenchmarkCall measures what one backend call costs the gateway itself:
// a batch call of three ids under the default policy (retries, budget,
// breaker, bulkhead), with a request id, forwarded headers and a recorder
// in the context, answered by a canned transport so that no network or
// server time is counted. allocs/op is the number to watch.
func BenchmarkCall(b *testing.B) {
	hc := upstream.NewHTTPClient(upstreamtest.Canned{Status: http.StatusOK, Body: benchBody})
	benchCalls(b, "http://127.0.0.1:9101", hc, http.Header{"User-Agent": {"bench"}})
}

// BenchmarkCallServer is BenchmarkCall against a real server on loopback
// (httptest), through the shared transport: what a call costs with the
// network and net/http in it. allocs/op counts the server's side too.
func BenchmarkCallServer(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(benchBody)
	}))
	defer srv.Close()
	tr := upstream.NewTransport(upstream.TransportConfig{})
	defer tr.CloseIdleConnections()
	benchCalls(b, srv.URL, upstream.NewHTTPClient(tr), http.Header{"User-Agent": {"bench"}, "Authorization": {"Bearer t"}})
}

var benchBody = []byte(`{"items":[{"id":"p1"},{"id":"p2"},{"id":"p3"}]}`)

// benchCalls runs the benchmark's batch call of three ids through a
// catalog client at baseURL under the default policy.
func benchCalls(b *testing.B, baseURL string, hc *http.Client, incoming http.Header) {
	p := upstream.NewPolicy("catalog", upstream.PolicyConfig{
		MaxRetries: 2, RetryBackoff: 25 * time.Millisecond, RetryBudget: 0.2, RetryBurst: 10,
		BreakerConsecutiveFailures: 5, BreakerFailureRatio: 0.5, BreakerMinRequests: 20,
		BreakerWindow: 10 * time.Second, BreakerCooldown: 5 * time.Second, BreakerProbes: 1,
		MaxInFlight: 256,
	}, upstream.PolicyHooks{})
	c, err := upstream.New(upstream.Config{
		Service: "catalog", BaseURL: baseURL, Policy: p, Forward: []string{"Authorization"},
	}, hc, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := upstream.WithOutgoing(context.Background(), upstream.Outgoing{RequestID: "req-1", Incoming: incoming})
	req := upstream.BatchRequest{Endpoint: "products.byIds", Path: "/products", Param: "ids", Require: "items"}
	ids := []string{"p1", "p2", "p3"}
	b.ReportAllocs()
	for b.Loop() {
		rctx := upstream.WithRecorder(ctx, upstream.NewRecorder())
		got, f := upstream.GetBatch(rctx, c, req, ids, func(e *benchEnvelope) []*benchItem { return e.Items })
		if err := f.Any(); err != nil || len(got) != 3 {
			b.Fatalf("got %d items, err %v", len(got), err)
		}
	}
}
