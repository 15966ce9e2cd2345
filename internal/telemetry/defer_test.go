package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/internal/telemetry"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

const deferred = `query Deferred { product(id: "p1") { name price { amount { formatted } }
  ... @defer(label: "reviews") { reviews(first: 2) { rating } ratingSummary { count } } } }`

// newFullEnv plugs every part of the package in, as serve.go would.
func newFullEnv(t *testing.T) (*env, *tributarytest.LogBuffer, *tracetest.InMemoryExporter) {
	t.Helper()
	logs := &tributarytest.LogBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	m := telemetry.NewMetrics(prometheus.NewRegistry())
	e := newEnv(t, gateway.Options{
		Observer:    m,
		PolicyHooks: m.PolicyHooks(),
		Transport:   telemetry.TraceTransport(tp),
		Extensions:  []graphql.HandlerExtension{m.Extension(), telemetry.TracingExtension(tp), telemetry.AccessLogExtension()},
		Middleware:  []func(http.Handler) http.Handler{telemetry.TraceMiddleware(tp), telemetry.AccessLog(log)},
		Routes:      map[string]http.Handler{"GET /metrics": m.Handler()},
	})
	return e, logs, exp
}

// postMultipart sends q accepting multipart/mixed and returns the payloads
// and the number of errors in them all.
func (e *env) postMultipart(q string) (payloads []map[string]any, errs int) {
	e.T.Helper()
	body, _ := json.Marshal(map[string]any{"query": q})
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "multipart/mixed; deferSpec=20220824, application/json")
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		e.T.Fatalf("Content-Type %q is not multipart", resp.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			e.T.Fatal(err)
		}
		raw, _ := io.ReadAll(part)
		var p struct {
			Errors      []any `json:"errors"`
			Incremental []struct {
				Errors []any `json:"errors"`
			} `json:"incremental"`
		}
		var m map[string]any
		if json.Unmarshal(raw, &p) != nil || json.Unmarshal(raw, &m) != nil {
			e.T.Fatalf("payload is not JSON: %s", raw)
		}
		errs += len(p.Errors)
		for _, inc := range p.Incremental {
			errs += len(inc.Errors)
		}
		payloads = append(payloads, m)
	}
	// The closing boundary is flushed before the handler returns; the end
	// of the body comes after it, and after the access log line.
	_, _ = io.Copy(io.Discard, resp.Body)
	return payloads, errs
}

// Errors in a deferred payload count: the operation is partial, the failed
// service is counted, the log and the span see every payload's errors.
func TestDeferredPayloadsAreCounted(t *testing.T) {
	t.Parallel()
	e, logs, exp := newFullEnv(t)
	e.Backends.Server(demo.Reviews).SetFaults(demo.Faults{ErrorRate: 1})
	payloads, errs := e.postMultipart(deferred)
	if len(payloads) < 2 || errs == 0 {
		t.Fatalf("want an initial and a failed deferred payload, got %d payloads with %d errors: %v", len(payloads), errs, payloads)
	}
	if n := len(asList(payloads[0]["errors"])); n != 0 {
		t.Fatalf("initial payload has %d errors, want 0 (only the deferred part fails)", n)
	}

	line := oneLine(t, logs)
	checkFields(t, line, map[string]any{
		"operation":      "Deferred",
		"outcome":        "partial",
		"graphql_errors": float64(errs),
	})
	checkSeries(t, e.scrape(), []wantSeries{
		{"tributary_graphql_requests_total", []string{"operation", "Deferred", "outcome", "partial"}, 1},
		{"tributary_graphql_partial_responses_total", []string{"service", "reviews"}, 1},
		{"tributary_graphql_partial_responses_total", []string{"service", "pricing"}, 0},
	})
	ops := byKind(exp.GetSpans(), trace.SpanKindInternal)
	if len(ops) != 1 {
		t.Fatalf("got %d ended operation spans, want 1", len(ops))
	}
	if got := attrs(ops[0])["graphql.error.count"].AsInt64(); got != int64(errs) {
		t.Errorf("operation span error count: got %d, want %d", got, errs)
	}
}

// Over plain POST gqlgen sends only the first payload of a @defer query
// and never asks for the rest: the operation is still closed when the
// request ends.
func TestDeferredOverPlainPOSTIsClosed(t *testing.T) {
	t.Parallel()
	e, logs, exp := newFullEnv(t)
	r := e.Query(deferred, nil)
	if get(r.Data, "product", "name") == nil {
		t.Fatalf("no product: %s", r.Raw)
	}
	checkFields(t, oneLine(t, logs), map[string]any{
		"operation": "Deferred",
		"outcome":   "ok",
	})
	if got, _ := e.scrape().get("tributary_graphql_requests_total", "operation", "Deferred", "outcome", "ok"); got != 1 {
		t.Errorf("requests{Deferred, ok}: got %v, want 1", got)
	}
	found := false
	for _, s := range exp.GetSpans() {
		found = found || s.Name == "graphql.operation Deferred"
	}
	if !found {
		t.Error("the operation span did not end")
	}
}

// Without the middleware the operation is closed when its context ends.
func TestDeferredOverPlainPOSTWithMetricsAlone(t *testing.T) {
	t.Parallel()
	e := newMetricsEnv(t)
	e.Query(deferred, nil)
	poll.Until(t, "requests{Deferred, ok} to be 1", func() bool {
		got, _ := e.scrape().get("tributary_graphql_requests_total", "operation", "Deferred", "outcome", "ok")
		return got == 1
	})
}

func asList(v any) []any { l, _ := v.([]any); return l }
