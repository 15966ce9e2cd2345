package telemetry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// tracerName is the instrumentation scope of the gateway's spans.
const tracerName = "github.com/tributary-gw/tributary/internal/telemetry"

// Attributes of the gateway's own, beside the semantic conventions'.
const (
	attrRequestID  = attribute.Key("tributary.request_id")
	attrService    = attribute.Key("tributary.service")
	attrEndpoint   = attribute.Key("tributary.endpoint")
	attrBatchSize  = attribute.Key("tributary.batch_size")
	attrErrorCount = attribute.Key("graphql.error.count")
)

// TraceMiddleware starts the server span of each HTTP request, as a child
// of the client's span when the request carries a W3C traceparent (and
// tracestate). Trace context is read and written with W3C Trace Context
// explicitly, not the global propagator. The span is named "METHOD route" when the mux pattern is
// known (it is when this or AccessLog is the innermost middleware), else
// "METHOD". Place it before AccessLog so the log line carries the trace id.
//
// With the no-op provider (tracing off, the default) no span would record,
// so it only puts the client's trace context, if any, in the request's
// context for TraceTransport to pass on.
func TraceMiddleware(tp trace.TracerProvider) func(http.Handler) http.Handler {
	if _, off := tp.(noop.TracerProvider); off {
		return passTraceContext
	}
	tracer := tp.Tracer(tracerName)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			method := knownMethod(r.Method)
			ctx := propagation.TraceContext{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			ctx, span := tracer.Start(ctx, method,
				trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(
					semconv.HTTPRequestMethodKey.String(method),
					semconv.URLPath(r.URL.Path),
				))
			defer span.End()
			if id := upstream.OutgoingFrom(ctx).RequestID; id != "" {
				span.SetAttributes(attrRequestID.String(id))
			}
			ctx, rec := withRecord(ctx)
			rw := &responseRecorder{ResponseWriter: w}
			r2 := r.WithContext(ctx)
			next.ServeHTTP(rw, r2)
			rec.end()

			if route := routeOf(rec.notePattern(r2)); route != "" {
				span.SetName(method + " " + route)
				span.SetAttributes(semconv.HTTPRoute(route))
			}
			status := rw.Status()
			span.SetAttributes(
				semconv.HTTPResponseStatusCode(status),
				semconv.HTTPResponseBodySize(int(rw.bytes)),
			)
			// A server span is an error only for 5xx: a 4xx is the
			// client's mistake, not the server's failure.
			if status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
		})
	}
}

// passTraceContext is TraceMiddleware with tracing off.
func passTraceContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Without a traceparent there is nothing to extract (and asking
		// the header for it would canonicalize its name each time).
		if len(r.Header["Traceparent"]) > 0 {
			ctx := r.Context()
			if tc := (propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(r.Header))); tc != ctx {
				r = r.WithContext(tc)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// TracingExtension returns a gqlgen extension that wraps each GraphQL
// operation in a span named "graphql.operation <name>" (the name bounded as
// Metrics bounds it), with graphql.operation.name and .type, and
// graphql.error.count once the response is final. Backend calls made for
// the operation are its children. A request rejected before execution gets
// no span of its own: a "graphql.rejected" event on the current span.
// With the no-op provider (tracing off) it does nothing: no span or event
// would record.
func TracingExtension(tp trace.TracerProvider) graphql.HandlerExtension {
	_, off := tp.(noop.TracerProvider)
	return &tracingExtension{tracer: tp.Tracer(tracerName), off: off}
}

type tracingExtension struct {
	tracer trace.Tracer
	ops    opNames
	off    bool // tp is the no-op provider
}

var (
	_ graphql.OperationInterceptor = (*tracingExtension)(nil)
	_ graphql.ResponseInterceptor  = (*tracingExtension)(nil)
)

func (*tracingExtension) ExtensionName() string                   { return "TributaryTracing" }
func (*tracingExtension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation starts the operation span; it ends once the last
// payload is out (see trackOperation).
func (t *tracingExtension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if t.off {
		return next(ctx)
	}
	name, def := operationOf(ctx)
	label := t.ops.label(name, true)
	attrs := make([]attribute.KeyValue, 0, 2)
	if def != nil {
		attrs = append(attrs, semconv.GraphQLOperationTypeKey.String(string(def.Operation)))
	}
	if name != "" {
		attrs = append(attrs, semconv.GraphQLOperationName(label))
	}
	ctx, span := t.tracer.Start(ctx, "graphql.operation "+label, trace.WithAttributes(attrs...))
	return trackOperation(ctx, extTracing, next, func(sum opSummary) {
		span.SetAttributes(attrErrorCount.Int(sum.errors))
		// A partial response is a result (the failed backend calls carry
		// the error status); only a response without data fails the span.
		if sum.outcome() == outcomeError {
			span.SetStatus(codes.Error, "no data")
		}
		span.End()
	})
}

// InterceptResponse notes a request rejected before execution.
func (t *tracingExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if !t.off && !tracked(ctx, extTracing) {
		n := 0
		if resp != nil {
			n = len(resp.Errors)
		}
		trace.SpanFromContext(ctx).AddEvent("graphql.rejected", trace.WithAttributes(attrErrorCount.Int(n)))
	}
	return resp
}

// TraceTransport decorates the backend transport with a client span per
// attempt, named "GET <service> <endpoint>", carrying the service,
// endpoint, batch size and retry attempt (http.request.resend_count) of
// upstream.CallFrom, and the response status. It injects traceparent into
// the outgoing request (a copy: the caller's headers are not modified).
// The span ends when the response body is closed or read to its end.
// With the no-op provider (tracing off) it only passes on the trace
// context a request already carries (a client's traceparent), and a
// request without one goes through untouched.
func TraceTransport(tp trace.TracerProvider) func(http.RoundTripper) http.RoundTripper {
	tracer := tp.Tracer(tracerName)
	_, off := tp.(noop.TracerProvider)
	return func(next http.RoundTripper) http.RoundTripper {
		return &tracingTransport{next: next, tracer: tracer, off: off}
	}
}

type tracingTransport struct {
	next   http.RoundTripper
	tracer trace.Tracer
	// off: tp is the no-op provider (tracing is off, the default).
	off bool
}

// RoundTrip implements http.RoundTripper.
func (t *tracingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.off && !trace.SpanContextFromContext(req.Context()).IsValid() {
		// No span would record, and there is no trace context to pass
		// on: what follows would only build attributes for nothing and
		// copy the headers to add none.
		return t.next.RoundTrip(req)
	}
	method := knownMethod(req.Method)
	name := method
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(method),
		semconv.ServerAddress(req.URL.Hostname()),
		semconv.URLPath(req.URL.Path),
	}
	if p, err := strconv.Atoi(req.URL.Port()); err == nil {
		attrs = append(attrs, semconv.ServerPort(p))
	}
	if c, ok := upstream.CallFrom(req.Context()); ok {
		name = method + " " + c.Service + " " + c.Endpoint
		attrs = append(attrs,
			attrService.String(c.Service),
			attrEndpoint.String(c.Endpoint),
			attrBatchSize.Int(c.IDs),
			semconv.HTTPRequestResendCount(c.Attempt),
		)
	}
	ctx, span := t.tracer.Start(req.Context(), name,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))

	out := req.WithContext(ctx)
	out.Header = req.Header.Clone()
	if out.Header == nil {
		out.Header = make(http.Header)
	}
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(out.Header))

	resp, err := t.next.RoundTrip(out)
	if err != nil {
		span.SetAttributes(semconv.ErrorTypeKey.String(errorType(err)))
		span.SetStatus(codes.Error, err.Error())
		span.End()
		return resp, err
	}
	span.SetAttributes(semconv.HTTPResponseStatusCode(resp.StatusCode))
	// 404 is the contract's "no such item", an answer rather than a
	// failure; other 4xx and 5xx fail the client span.
	if resp.StatusCode >= 400 && resp.StatusCode != http.StatusNotFound {
		span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(resp.StatusCode)))
		span.SetStatus(codes.Error, http.StatusText(resp.StatusCode))
	}
	if resp.Body == nil {
		span.End()
		return resp, nil
	}
	resp.Body = &spanBody{ReadCloser: resp.Body, span: span}
	return resp, nil
}

func errorType(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "connection"
}

// spanBody ends the client span when the body is done with.
type spanBody struct {
	io.ReadCloser
	span trace.Span
	once sync.Once
}

func (b *spanBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	switch {
	case err == io.EOF:
		b.end(nil)
	case err != nil:
		b.end(err)
	}
	return n, err
}

func (b *spanBody) Close() error {
	err := b.ReadCloser.Close()
	b.end(nil)
	return err
}

func (b *spanBody) end(err error) {
	b.once.Do(func() {
		if err != nil {
			b.span.SetAttributes(semconv.ErrorTypeKey.String(errorType(err)))
			b.span.SetStatus(codes.Error, err.Error())
		}
		b.span.End()
	})
}
