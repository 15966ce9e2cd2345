package served_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/graph/served"
	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/loaders"
)

// The loaders the gateway gets keep the loaders' defaults and bounds: a
// zero backstop is the loaders' own (the engine holds steps for half of
// it), no fallback cache without entries, a bounded one with them.
func TestLoaders(t *testing.T) {
	tests := []struct {
		name         string
		give         gateway.LoadersConfig
		wantBackstop time.Duration
		wantFallback bool
	}{
		{name: "defaults", wantBackstop: loaders.DefaultBackstop},
		{name: "configured", give: gateway.LoadersConfig{Backstop: 3 * time.Millisecond, FallbackEntries: 10, FallbackBytes: 1 << 20},
			wantBackstop: 3 * time.Millisecond, wantFallback: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := served.Graph().Loaders(tt.give)
			defer l.Close()
			if got := l.Backstop(); got != tt.wantBackstop {
				t.Errorf("Backstop: got %v, want %v", got, tt.wantBackstop)
			}
			n, bytes, ok := l.Fallback()
			if ok != tt.wantFallback || n != 0 || bytes != 0 {
				t.Errorf("Fallback: got %d entries, %d bytes, %v; want 0, 0, %v", n, bytes, ok, tt.wantFallback)
			}
		})
	}
}

// A request that went through the loaders' middleware has loaders, and
// their report starts empty; a context without them reports none.
func TestReport(t *testing.T) {
	l := served.Graph().Loaders(gateway.LoadersConfig{})
	defer l.Close()
	if _, ok := l.Report(context.Background()); ok {
		t.Error("Report without loaders: got ok, want none")
	}
	var (
		rep gateway.LoadersReport
		ok  bool
	)
	l.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		rep, ok = l.Report(r.Context())
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", nil))
	if !ok || len(rep.Stale) != 0 || !rep.Dispatched || rep.Dispatches != 0 {
		t.Errorf("Report in a request: got %+v, %v; want an empty report of the engine's dispatches", rep, ok)
	}
	ctx, fields := l.RecordWaits(context.Background())
	if ctx == context.Background() || len(fields("catalog")) != 0 {
		t.Error("RecordWaits: want a context recording waits, none recorded yet")
	}
}

// Every field of the schema the plan calls a resolver or a model method
// for has a generated typed call: none is left to reflection (a field
// added without one would be slower, not wrong). Without the table each of
// those fields would be called by reflection, so the check is not empty.
func TestEveryCallTyped(t *testing.T) {
	g := served.Graph()
	es, root := g.Executable()
	invokers := g.Invokers(root)
	typed := engine.New(engine.Config{Schema: es, Resolvers: root, Invokers: invokers})
	if u := typed.Untyped(); len(u) > 0 {
		t.Errorf("called by reflection, no typed call generated: %v", u)
	}
	reflected := engine.New(engine.Config{Schema: es, Resolvers: root})
	u := reflected.Untyped()
	for k := range invokers {
		if !slices.Contains(u, k) {
			t.Errorf("the plan calls no resolver or method for %s, which has a typed call", k)
		}
	}
	if len(u) != len(invokers) {
		t.Errorf("without the table %d fields are called by reflection, the table has %d", len(u), len(invokers))
	}
}
