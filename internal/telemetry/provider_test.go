package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace/noop"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-gw/tributary/internal/telemetry"
)

// setenv sets the OTEL_* variables the tests use, clearing the others.
func setenv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_PROTOCOL",
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME"} {
		t.Setenv(k, env[k])
	}
}

func TestTracerProviderIsOffByDefault(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"unset", nil},
		{"none", map[string]string{"OTEL_TRACES_EXPORTER": "none"}},
		{"sdk disabled", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Off means nothing running in the background.
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			setenv(t, tt.env)
			tp, shutdown, err := telemetry.NewTracerProvider(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := tp.(noop.TracerProvider); !ok {
				t.Errorf("got %T, want noop.TracerProvider", tp)
			}
			if err := shutdown(context.Background()); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
}

func TestTracerProviderReportsEveryProblem(t *testing.T) {
	setenv(t, map[string]string{"OTEL_TRACES_EXPORTER": "otlp,zipkin", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"})
	_, _, err := telemetry.NewTracerProvider(context.Background())
	if err == nil {
		t.Fatal("got no error, want one")
	}
	for _, want := range []string{`"zipkin"`, `"http/json"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// OTLP over HTTP to a collector on httptest: the span arrives, with the
// service name from the environment.
func TestTracerProviderExportsOTLP(t *testing.T) {
	var (
		mu   sync.Mutex
		reqs []*coltracepb.ExportTraceServiceRequest
	)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		reqs = append(reqs, &req)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()

	setenv(t, map[string]string{
		"OTEL_TRACES_EXPORTER":        "otlp",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
		"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL,
		"OTEL_SERVICE_NAME":           "tributary-test",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tp, shutdown, err := telemetry.NewTracerProvider(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tp.(*sdktrace.TracerProvider); !ok {
		t.Fatalf("got %T, want *sdktrace.TracerProvider", tp)
	}
	_, span := tp.Tracer("test").Start(ctx, "probe")
	span.End()
	if err := shutdown(ctx); err != nil { // flushes
		t.Fatalf("shutdown: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	var names []string
	var service string
	for _, req := range reqs {
		for _, rs := range req.ResourceSpans {
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.Key == "service.name" {
					service = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					names = append(names, s.Name)
				}
			}
		}
	}
	if len(names) != 1 || names[0] != "probe" {
		t.Errorf("collector got spans %q, want [probe]", names)
	}
	if service != "tributary-test" {
		t.Errorf("service.name: got %q, want tributary-test", service)
	}
}

// The gRPC transport is chosen by the protocol and connects lazily.
func TestTracerProviderOTLPOverGRPC(t *testing.T) {
	setenv(t, map[string]string{
		"OTEL_TRACES_EXPORTER":               "otlp",
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
		"OTEL_EXPORTER_OTLP_ENDPOINT":        "http://127.0.0.1:1",
	})
	tp, shutdown, err := telemetry.NewTracerProvider(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tp.(*sdktrace.TracerProvider); !ok {
		t.Errorf("got %T, want *sdktrace.TracerProvider", tp)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Errorf("shutdown with nothing to export: %v", err)
	}
}
