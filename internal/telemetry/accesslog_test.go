package telemetry_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/internal/telemetry"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// take returns the JSON lines logged to b so far and forgets them.
func take(t *testing.T, b *tributarytest.LogBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(b.Take()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON (%v): %s", err, line)
		}
		m["_raw"] = line
		out = append(out, m)
	}
	return out
}

// newLoggedEnv is a gateway with tracing and the access log, in the order
// the package recommends: TraceMiddleware, then AccessLog.
func newLoggedEnv(t *testing.T, mods ...func(*config.Config)) (*env, *tributarytest.LogBuffer, *tracetest.InMemoryExporter) {
	t.Helper()
	logs := &tributarytest.LogBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	e := newEnv(t, gateway.Options{
		Middleware: []func(http.Handler) http.Handler{telemetry.TraceMiddleware(tp), telemetry.AccessLog(log)},
		Extensions: []graphql.HandlerExtension{telemetry.AccessLogExtension()},
		Transport:  telemetry.TraceTransport(tp),
	}, mods...)
	return e, logs, exp
}

// oneLine returns the only access log line.
func oneLine(t *testing.T, logs *tributarytest.LogBuffer) map[string]any {
	t.Helper()
	lines := take(t, logs)
	if len(lines) != 1 {
		t.Fatalf("got %d log lines, want 1: %v", len(lines), lines)
	}
	return lines[0]
}

func checkFields(t *testing.T, line map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if got := line[k]; got != w {
			t.Errorf("%s: got %v (%T), want %v (%T)", k, got, got, w, w)
		}
	}
}

func TestAccessLogOfAGraphQLRequest(t *testing.T) {
	t.Parallel()
	e, logs, _ := newLoggedEnv(t)
	r := e.Query(`query Listing($category: String) {
  products(category: $category, first: 20) { nodes { price { amount { formatted } } stock { available } } }
}`, map[string]any{"category": "shoes"}, "X-Request-ID", "req-123", "traceparent", clientParent)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	line := oneLine(t, logs)
	checkFields(t, line, map[string]any{
		"msg":            "request",
		"level":          "INFO",
		"request_id":     "req-123",
		"method":         "POST",
		"path":           "/graphql",
		"route":          "/graphql",
		"status":         float64(200),
		"bytes":          float64(len(r.Raw)),
		"operation":      "Listing",
		"outcome":        "ok",
		"graphql_errors": float64(0),
		"backend_calls":  float64(3),
		"backend_errors": float64(0),
		"trace_id":       clientTraceID,
	})
	if d, ok := line["duration"].(float64); !ok || d <= 0 {
		t.Errorf("duration: got %v, want a positive number of nanoseconds", line["duration"])
	}
	raw := line["_raw"].(string)
	for _, secret := range []string{"shoes", "products(", "category"} {
		if strings.Contains(raw, secret) {
			t.Errorf("log line contains %q (query text or variables): %s", secret, raw)
		}
	}
}

// Backend failures and GraphQL errors are counted as the client sees them.
func TestAccessLogOfAPartialResponse(t *testing.T) {
	t.Parallel()
	e, logs, _ := newLoggedEnv(t, withService("pricing", func(sc *config.ServiceConfig) { sc.MaxRetries = 1 }))
	e.Backends.Server(demo.Pricing).SetFaults(demo.Faults{ErrorRate: 1})
	r := e.Query(listing, nil)
	if len(r.Errors) == 0 {
		t.Fatalf("want errors, got %s", r.Raw)
	}
	checkFields(t, oneLine(t, logs), map[string]any{
		"operation":      "anonymous",
		"outcome":        "partial",
		"graphql_errors": float64(len(r.Errors)),
		"backend_calls":  float64(4), // catalog, inventory, pricing twice
		"backend_errors": float64(2),
		"status":         float64(200),
	})
}

func TestAccessLogOfOtherRequests(t *testing.T) {
	t.Parallel()
	e, logs, exp := newLoggedEnv(t)

	r := e.Query(`query Broken { nope }`, nil)
	checkFields(t, oneLine(t, logs), map[string]any{
		"outcome":        "rejected",
		"operation":      "anonymous", // the document never became an operation
		"graphql_errors": float64(len(r.Errors)),
		"status":         float64(r.Status),
		"backend_calls":  float64(0),
	})

	status, body := e.Get("/healthz?token=secret")
	line := oneLine(t, logs)
	checkFields(t, line, map[string]any{
		"method":         "GET",
		"path":           "/healthz",
		"route":          "/healthz",
		"status":         float64(status),
		"bytes":          float64(len(body)),
		"backend_calls":  float64(0),
		"backend_errors": float64(0),
	})
	for _, k := range []string{"operation", "outcome", "graphql_errors"} {
		if _, ok := line[k]; ok {
			t.Errorf("non-GraphQL request has %s, want none", k)
		}
	}
	if id, _ := line["request_id"].(string); len(id) != 32 {
		t.Errorf("request_id: got %q, want the gateway's generated id", id)
	}
	if strings.Contains(line["_raw"].(string), "secret") {
		t.Errorf("log line contains the query string: %s", line["_raw"])
	}

	// AccessLog, innermost, passed the mux pattern on to the server span.
	spans := exp.GetSpans()
	if got := spans[len(spans)-1].Name; got != "GET /healthz" {
		t.Errorf("server span name: got %q, want %q", got, "GET /healthz")
	}
}

// At warn level the access log writes only the lines of 5xx answers, with
// every field, and builds none of the others.
func TestAccessLogAtWarnLevel(t *testing.T) {
	t.Parallel()
	logs := &tributarytest.LogBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h := telemetry.AccessLog(log)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "no", http.StatusBadGateway)
			return
		}
		w.Write([]byte("ok"))
	}))
	for _, path := range []string{"/ok", "/fail", "/ok"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	line := oneLine(t, logs)
	checkFields(t, line, map[string]any{"level": "WARN", "msg": "request", "path": "/fail", "status": float64(http.StatusBadGateway),
		"backend_calls": float64(0), "backend_errors": float64(0)})
}
