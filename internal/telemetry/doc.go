// Package telemetry observes the gateway: Prometheus metrics, OpenTelemetry
// traces and an access log. Each piece plugs into a hook of
// gateway.Options and works without the others:
//
//	reg := prometheus.NewRegistry()
//	m := telemetry.NewMetrics(reg)
//	tp, shutdownTracing, err := telemetry.NewTracerProvider(ctx) // no-op unless OTEL_TRACES_EXPORTER is set
//	...
//	gateway.Options{
//		Observer:    m,
//		PolicyHooks: m.PolicyHooks(),
//		Transport:   telemetry.TraceTransport(tp),
//		Extensions:  []graphql.HandlerExtension{m.Extension(), telemetry.TracingExtension(tp), telemetry.AccessLogExtension()},
//		Middleware:  []func(http.Handler) http.Handler{telemetry.TraceMiddleware(tp), telemetry.AccessLog(log)},
//		Routes:      map[string]http.Handler{"GET /metrics": m.Handler()},
//	}
//
// TraceMiddleware goes before AccessLog so that log lines carry the trace
// id; with both innermost, spans and log lines know the mux route.
//
// Nothing here records query text, variables or ids. Metric labels are the
// gateway's own service and endpoint names, status classes and operation
// names; operation names are client input, so they are bounded (see
// Metrics).
package telemetry
