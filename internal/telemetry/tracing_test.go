package telemetry_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/internal/telemetry"
	"github.com/tributary-gw/tributary/services/demo"
)

// newTracingEnv is a gateway traced into an in-memory exporter.
func newTracingEnv(t *testing.T, mods ...func(*config.Config)) (*env, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	e := newEnv(t, gateway.Options{
		Middleware: []func(http.Handler) http.Handler{telemetry.TraceMiddleware(tp)},
		Extensions: []graphql.HandlerExtension{telemetry.TracingExtension(tp)},
		Transport:  telemetry.TraceTransport(tp),
	}, mods...)
	return e, exp
}

// A client's span (from the W3C traceparent header example).
const (
	clientTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	clientSpanID  = "00f067aa0ba902b7"
	clientParent  = "00-" + clientTraceID + "-" + clientSpanID + "-01"
)

func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

func byKind(spans tracetest.SpanStubs, kind trace.SpanKind) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.SpanKind == kind {
			out = append(out, s)
		}
	}
	return out
}

func TestTraceOfAListing(t *testing.T) {
	t.Parallel()
	e, exp := newTracingEnv(t)
	r := e.Query(namedListing, nil, "traceparent", clientParent)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	spans := exp.GetSpans()

	servers := byKind(spans, trace.SpanKindServer)
	if len(servers) != 1 {
		t.Fatalf("got %d server spans, want 1", len(servers))
	}
	srv := servers[0]
	if got := srv.SpanContext.TraceID().String(); got != clientTraceID {
		t.Errorf("server span trace id: got %s, want the client's %s", got, clientTraceID)
	}
	if got := srv.Parent.SpanID().String(); got != clientSpanID || !srv.Parent.IsRemote() {
		t.Errorf("server span parent: got %s (remote %v), want the client's span %s", got, srv.Parent.IsRemote(), clientSpanID)
	}
	if srv.Name != "POST /graphql" {
		t.Errorf("server span name: got %q, want %q", srv.Name, "POST /graphql")
	}
	sa := attrs(srv)
	if got := sa["http.response.status_code"].AsInt64(); got != 200 {
		t.Errorf("server span status code: got %d, want 200", got)
	}
	if got := sa["tributary.request_id"].AsString(); got == "" || got != r.Header.Get("X-Request-ID") {
		t.Errorf("server span request id: got %q, want %q", got, r.Header.Get("X-Request-ID"))
	}

	internals := byKind(spans, trace.SpanKindInternal)
	if len(internals) != 1 {
		t.Fatalf("got %d internal spans, want 1 (the operation)", len(internals))
	}
	op := internals[0]
	if op.Name != "graphql.operation Listing" {
		t.Errorf("operation span name: got %q, want %q", op.Name, "graphql.operation Listing")
	}
	if op.Parent.SpanID() != srv.SpanContext.SpanID() {
		t.Errorf("operation span parent: got %s, want the server span %s", op.Parent.SpanID(), srv.SpanContext.SpanID())
	}
	oa := attrs(op)
	for k, want := range map[attribute.Key]any{
		"graphql.operation.name": "Listing",
		"graphql.operation.type": "query",
		"graphql.error.count":    int64(0),
	} {
		if got := oa[k].AsInterface(); got != want {
			t.Errorf("operation span %s: got %v, want %v", k, got, want)
		}
	}

	clients := byKind(spans, trace.SpanKindClient)
	type call struct {
		service, endpoint string
		batch             int64
	}
	var got []call
	for _, c := range clients {
		if c.Parent.SpanID() != op.SpanContext.SpanID() {
			t.Errorf("backend span %q: parent %s, want the operation span %s", c.Name, c.Parent.SpanID(), op.SpanContext.SpanID())
		}
		if c.SpanContext.TraceID().String() != clientTraceID {
			t.Errorf("backend span %q: trace id %s, want %s", c.Name, c.SpanContext.TraceID(), clientTraceID)
		}
		a := attrs(c)
		if s := a["http.response.status_code"].AsInt64(); s != 200 {
			t.Errorf("backend span %q: status %d, want 200", c.Name, s)
		}
		if n := a["http.request.resend_count"].AsInt64(); n != 0 {
			t.Errorf("backend span %q: resend count %d, want 0", c.Name, n)
		}
		got = append(got, call{a["tributary.service"].AsString(), a["tributary.endpoint"].AsString(), a["tributary.batch_size"].AsInt64()})
	}
	slices.SortFunc(got, func(a, b call) int {
		if a.service < b.service {
			return -1
		}
		if a.service > b.service {
			return 1
		}
		return 0
	})
	want := []call{{"catalog", "products.list", 0}, {"inventory", "inventory", 20}, {"pricing", "prices", 20}}
	if !slices.Equal(got, want) {
		t.Errorf("backend spans: got %+v, want %+v", got, want)
	}

	// Each backend got the traceparent of its own client span.
	spanOf := map[demo.Service]string{}
	for _, c := range clients {
		spanOf[demo.Service(attrs(c)["tributary.service"].AsString())] = c.SpanContext.SpanID().String()
	}
	for _, svc := range []demo.Service{demo.Catalog, demo.Pricing, demo.Inventory} {
		wantTP := "00-" + clientTraceID + "-" + spanOf[svc] + "-01"
		if got := e.received(svc); !slices.Equal(got, []string{wantTP}) {
			t.Errorf("%s received traceparent %q, want [%q]", svc, got, wantTP)
		}
	}
}

// Without a client traceparent the server span starts a trace, which the
// backends join.
func TestTraceStartsAtTheGateway(t *testing.T) {
	t.Parallel()
	e, exp := newTracingEnv(t)
	e.Query(listing, nil)
	spans := exp.GetSpans()
	servers := byKind(spans, trace.SpanKindServer)
	if len(servers) != 1 || servers[0].Parent.IsValid() {
		t.Fatalf("want one root server span, got %+v", servers)
	}
	tid := servers[0].SpanContext.TraceID()
	for _, s := range spans {
		if s.SpanContext.TraceID() != tid {
			t.Errorf("span %q: trace id %s, want %s", s.Name, s.SpanContext.TraceID(), tid)
		}
	}
	if got := len(spans); got != 5 {
		t.Errorf("got %d spans, want 5 (server, operation, three backend calls)", got)
	}
	for _, o := range byKind(spans, trace.SpanKindInternal) {
		if o.Name != "graphql.operation anonymous" {
			t.Errorf("operation span name: got %q, want %q", o.Name, "graphql.operation anonymous")
		}
		if _, ok := attrs(o)["graphql.operation.name"]; ok {
			t.Error("anonymous operation has graphql.operation.name, want none")
		}
	}
	if got := e.received(demo.Pricing); len(got) != 1 || got[0] == "" {
		t.Errorf("pricing received traceparent %q, want one", got)
	}
}

// A failing backend: one failed client span per attempt, the operation
// span counts the errors the client sees.
func TestTraceOfAPartialResponse(t *testing.T) {
	t.Parallel()
	e, exp := newTracingEnv(t, withService("pricing", func(sc *config.ServiceConfig) { sc.MaxRetries = 1 }))
	e.Backends.Server(demo.Pricing).SetFaults(demo.Faults{ErrorRate: 1})
	r := e.Query(namedListing, nil)
	if len(r.Errors) != 1 {
		t.Fatalf("got %d errors, want 1 (collapsed): %s", len(r.Errors), r.Raw)
	}
	spans := exp.GetSpans()
	var attempts []int64
	for _, c := range byKind(spans, trace.SpanKindClient) {
		a := attrs(c)
		if a["tributary.service"].AsString() != "pricing" {
			continue
		}
		attempts = append(attempts, a["http.request.resend_count"].AsInt64())
		if c.Status.Code != codes.Error {
			t.Errorf("pricing span (attempt %d): status %v, want Error", a["http.request.resend_count"].AsInt64(), c.Status.Code)
		}
		if got := a["http.response.status_code"].AsInt64(); got != 503 {
			t.Errorf("pricing span: status code %d, want 503", got)
		}
	}
	slices.Sort(attempts)
	if !slices.Equal(attempts, []int64{0, 1}) {
		t.Errorf("pricing attempts: got %v, want [0 1]", attempts)
	}
	op := byKind(spans, trace.SpanKindInternal)
	if len(op) != 1 {
		t.Fatalf("got %d operation spans, want 1", len(op))
	}
	if got := attrs(op[0])["graphql.error.count"].AsInt64(); got != 1 {
		t.Errorf("operation span error count: got %d, want 1", got)
	}
	if op[0].Status.Code != codes.Unset {
		t.Errorf("operation span of a partial response: status %v, want Unset", op[0].Status.Code)
	}
}

// A request rejected before execution has no operation span; its server
// span notes the rejection.
func TestTraceOfARejectedRequest(t *testing.T) {
	t.Parallel()
	e, exp := newTracingEnv(t)
	e.Query(`{ nope }`, nil)
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].SpanKind != trace.SpanKindServer {
		t.Fatalf("got %d spans, want only the server span", len(spans))
	}
	var found bool
	for _, ev := range spans[0].Events {
		found = found || ev.Name == "graphql.rejected"
	}
	if !found {
		t.Errorf("server span events %+v, want graphql.rejected", spans[0].Events)
	}
}

// With tracing off (the no-op provider NewTracerProvider returns by
// default) a client's trace context still reaches the backends unchanged,
// and a call without one carries none.
func TestTracingOffPassesTheClientsTraceContextOn(t *testing.T) {
	t.Parallel()
	tp := noop.NewTracerProvider()
	e := newEnv(t, gateway.Options{
		Middleware: []func(http.Handler) http.Handler{telemetry.TraceMiddleware(tp)},
		Extensions: []graphql.HandlerExtension{telemetry.TracingExtension(tp)},
		Transport:  telemetry.TraceTransport(tp),
	})
	if r := e.Query(listing, nil, "traceparent", clientParent); len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	if r := e.Query(listing, nil); len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	for _, svc := range []demo.Service{demo.Catalog, demo.Pricing, demo.Inventory} {
		if got, want := e.received(svc), []string{clientParent, ""}; !slices.Equal(got, want) {
			t.Errorf("%s received traceparent %q, want %q", svc, got, want)
		}
	}
}
