package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// NewTracerProvider returns the tracer provider the standard OTEL_*
// environment variables describe, and the function that flushes and stops
// it (call it on shutdown).
//
// Tracing is off by default: when OTEL_TRACES_EXPORTER is unset or "none",
// or OTEL_SDK_DISABLED is "true", the provider is a no-op one and nothing
// runs in the background. Otherwise OTEL_TRACES_EXPORTER is a
// comma-separated list of:
//
//   - otlp: OTLP over OTEL_EXPORTER_OTLP_TRACES_PROTOCOL (or
//     OTEL_EXPORTER_OTLP_PROTOCOL) "http/protobuf" (the default) or "grpc";
//     the exporter reads OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS,
//     _TIMEOUT, _COMPRESSION, _INSECURE and _CERTIFICATE itself.
//   - console: spans as JSON on standard output, for debugging.
//
// The SDK reads OTEL_TRACES_SAMPLER[_ARG] and OTEL_BSP_*; the resource is
// service.name "tributary" unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES say otherwise. Every problem is reported at once.
func NewTracerProvider(ctx context.Context) (trace.TracerProvider, func(context.Context) error, error) {
	off := func(context.Context) error { return nil }
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return noop.NewTracerProvider(), off, nil
	}

	var (
		exporters []sdktrace.SpanExporter
		errs      []error
	)
	for name := range strings.SplitSeq(os.Getenv("OTEL_TRACES_EXPORTER"), ",") {
		switch name = strings.ToLower(strings.TrimSpace(name)); name {
		case "", "none":
		case "otlp":
			exp, err := otlpExporter(ctx)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			exporters = append(exporters, exp)
		case "console":
			exp, err := stdouttrace.New()
			if err != nil {
				errs = append(errs, fmt.Errorf("telemetry: console exporter: %w", err))
				continue
			}
			exporters = append(exporters, exp)
		default:
			errs = append(errs, fmt.Errorf("telemetry: OTEL_TRACES_EXPORTER: unsupported exporter %q (want otlp, console or none)", name))
		}
	}

	var res *resource.Resource
	if len(exporters) > 0 || len(errs) > 0 {
		var err error
		// Later options override earlier ones: the environment wins.
		res, err = resource.New(ctx,
			resource.WithAttributes(semconv.ServiceName("tributary")),
			resource.WithTelemetrySDK(),
			resource.WithFromEnv(),
		)
		if err != nil {
			errs = append(errs, fmt.Errorf("telemetry: resource: %w", err))
		}
	}
	if len(errs) > 0 {
		for _, exp := range exporters {
			errs = append(errs, exp.Shutdown(ctx))
		}
		return nil, nil, errors.Join(errs...)
	}
	if len(exporters) == 0 {
		return noop.NewTracerProvider(), off, nil
	}

	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	for _, exp := range exporters {
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	return tp, tp.Shutdown, nil
}

// otlpExporter picks the OTLP transport the environment asks for. Neither
// exporter connects before the first export.
func otlpExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	proto := strings.TrimSpace(os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
	if proto == "" {
		proto = strings.TrimSpace(os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL"))
	}
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch proto {
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("telemetry: OTLP protocol %q is not supported (want http/protobuf or grpc)", proto)
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry: otlp exporter: %w", err)
	}
	return exp, nil
}
