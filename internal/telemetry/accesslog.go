package telemetry

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/trace"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// AccessLog logs one line per request, after it is served, at info level
// (warn for a 5xx status), message "request", with:
//
//	request_id, method, path, route (the mux pattern's path, when known),
//	status, duration, bytes (response body), backend_calls and
//	backend_errors (attempts, retries included; a 404 is an answer, not an
//	error), and for GraphQL requests, filled in by AccessLogExtension:
//	operation (the operation name, "anonymous" or "other" when malformed),
//	outcome (ok, partial, error, rejected) and graphql_errors (as the client
//	sees them). trace_id and span_id when the request is traced.
//
// It never logs query text, variables or the query string. It counts
// backend calls with the upstream.Recorder in the context, adding one when
// there is none. It must run inside the gateway's request id middleware
// (gateway.Options.Middleware does), and after TraceMiddleware in that list
// for the log line to carry the trace id.
func AccessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ctx, rec := withRecord(r.Context())
			calls := upstream.RecorderFrom(ctx)
			if calls == nil {
				calls = upstream.NewRecorder()
				ctx = upstream.WithRecorder(ctx, calls)
			}
			rw := &responseRecorder{ResponseWriter: w}
			r2 := r.WithContext(ctx)
			next.ServeHTTP(rw, r2)
			rec.end()

			status := rw.Status()
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelWarn
			}
			if !log.Enabled(ctx, level) {
				return // the line would be dropped: do not build it
			}
			attrs := make([]slog.Attr, 0, 16)
			attrs = append(attrs,
				slog.String("request_id", upstream.OutgoingFrom(ctx).RequestID),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
			)
			if route := routeOf(rec.notePattern(r2)); route != "" {
				attrs = append(attrs, slog.String("route", route))
			}
			attrs = append(attrs,
				slog.Int("status", status),
				slog.Duration("duration", time.Since(start)),
				slog.Int64("bytes", rw.bytes),
			)
			if op, outcome, n, ok := rec.operation(); ok {
				attrs = append(attrs,
					slog.String("operation", op),
					slog.String("outcome", outcome),
					slog.Int("graphql_errors", n),
				)
			}
			failed := 0
			all := calls.Calls()
			for _, c := range all {
				if c.Code != "" && c.Status != http.StatusNotFound {
					failed++
				}
			}
			attrs = append(attrs, slog.Int("backend_calls", len(all)), slog.Int("backend_errors", failed))
			if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
				attrs = append(attrs,
					slog.String("trace_id", sc.TraceID().String()),
					slog.String("span_id", sc.SpanID().String()),
				)
			}
			log.LogAttrs(ctx, level, "request", attrs...)
		})
	}
}

// AccessLogExtension returns the gqlgen extension that records the
// operation name, outcome and error count of a GraphQL request for
// AccessLog. Without AccessLog around the request it does nothing.
func AccessLogExtension() graphql.HandlerExtension { return accessLogExtension{} }

type accessLogExtension struct{}

var (
	_ graphql.OperationInterceptor = accessLogExtension{}
	_ graphql.ResponseInterceptor  = accessLogExtension{}
)

func (accessLogExtension) ExtensionName() string                   { return "TributaryAccessLog" }
func (accessLogExtension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation records an executed operation once its last payload
// is out, counting errors as the client sees them.
func (accessLogExtension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	rec := recordFrom(ctx)
	if rec == nil {
		return next(ctx)
	}
	name, _ := operationOf(ctx)
	return trackOperation(ctx, extAccessLog, next, func(sum opSummary) {
		rec.setOperation(name, sum.outcome(), sum.errors)
	})
}

// InterceptResponse records a request rejected before execution.
func (accessLogExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if rec := recordFrom(ctx); rec != nil && !tracked(ctx, extAccessLog) {
		name, _ := operationOf(ctx)
		n := 0
		if resp != nil {
			n = len(resp.Errors)
		}
		rec.setOperation(name, outcomeRejected, n)
	}
	return resp
}
