package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/demo"
)

// env is a gateway over the six demo backends, all on httptest servers.
type env struct {
	t        *testing.T
	backends *demo.Backends
	srv      *httptest.Server
	gw       *gateway.Gateway
	// inFlight/peak count backend calls across all six services at once.
	inFlight, peak atomic.Int64
	// onRequest, when set, sees every backend request.
	onRequest func(demo.Service, *http.Request)

	spansMu sync.Mutex
	spans   []span // every backend call, for rounds()
}

// span is one backend call as the backend saw it.
type span struct {
	svc        demo.Service
	start, end time.Time
}

// newEnv starts the demo backends and a gateway over them; mods adjust the
// configuration before the gateway is built.
func newEnv(t *testing.T, mods ...func(*config.Config)) *env {
	t.Helper()
	return newEnvWith(t, gateway.Options{}, mods...)
}

// newEnvWith is newEnv with gateway options (extensions, routes); a nil
// Logger discards.
func newEnvWith(t *testing.T, opts gateway.Options, mods ...func(*config.Config)) *env {
	t.Helper()
	e := &env{t: t}
	b, err := demo.StartWith(demo.DefaultDataset(), e.mount)
	if err != nil {
		t.Fatal(err)
	}
	e.backends = b
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.Close(ctx)
	})
	cfg := config.Default()
	cfg.SetBackendURLs(func(s string) string { return b.URL(demo.Service(s)) })
	for _, m := range mods {
		m(&cfg)
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Fatalf("config: %v", errs)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	gw, err := gateway.New(&cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.gw = gw
	e.srv = httptest.NewServer(gw)
	t.Cleanup(func() { e.srv.Close(); gw.Close() })
	return e
}

// mount serves a demo backend on httptest, counting calls in flight across
// all services (the demo's own counters are per service).
func (e *env) mount(svc demo.Service, h http.Handler) (string, func(context.Context) error, error) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/_demo/") {
			if e.onRequest != nil {
				e.onRequest(svc, r)
			}
			start := time.Now()
			defer func() {
				e.spansMu.Lock()
				e.spans = append(e.spans, span{svc, start, time.Now()})
				e.spansMu.Unlock()
			}()
			n := e.inFlight.Add(1)
			defer e.inFlight.Add(-1)
			for {
				p := e.peak.Load()
				if n <= p || e.peak.CompareAndSwap(p, n) {
					break
				}
			}
		}
		h.ServeHTTP(w, r)
	}))
	return ts.URL, func(context.Context) error { ts.Close(); return nil }, nil
}

// rounds is the number of backend round trips the calls so far took one
// after another: the longest chain of calls each of which started after
// the one before it had answered. Calls of one round overlap; give the
// backends some latency so that they do.
func (e *env) rounds() int {
	e.spansMu.Lock()
	spans := slices.Clone(e.spans)
	e.spansMu.Unlock()
	slices.SortFunc(spans, func(a, b span) int { return a.start.Compare(b.start) })
	depth := make([]int, len(spans))
	best := 0
	for i, s := range spans {
		depth[i] = 1
		for j := range i {
			if !spans[j].end.After(s.start) {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
		best = max(best, depth[i])
	}
	return best
}

// withLatency gives every demo backend a latency, so that the calls of one
// round overlap.
func (e *env) withLatency(d time.Duration) {
	for _, s := range demo.AllServices() {
		e.backends.Server(s).SetFaults(demo.Faults{Latency: d})
	}
}

// eachService applies f to every service's configuration.
func eachService(f func(name string, sc *config.ServiceConfig)) func(*config.Config) {
	return func(c *config.Config) {
		for _, s := range config.Services {
			sc := c.Service(s)
			f(s, &sc)
			c.SetService(s, sc)
		}
	}
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Status     int
	Data       map[string]any  `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions map[string]any  `json:"extensions"`
	Raw        json.RawMessage `json:"-"`
}

// query POSTs a GraphQL request and decodes the answer.
func (e *env) query(q string, vars map[string]any) gqlResponse {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return e.do(req)
}

// queryNoFatal is query for use off the test goroutine; nil on failure.
func (e *env) queryNoFatal(q string, vars map[string]any) *gqlResponse {
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	resp, err := e.srv.Client().Post(e.srv.URL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var r gqlResponse
	if json.NewDecoder(resp.Body).Decode(&r) != nil {
		return nil
	}
	r.Status = resp.StatusCode
	return &r
}

func (e *env) do(req *http.Request) gqlResponse {
	e.t.Helper()
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := gqlResponse{Status: resp.StatusCode, Raw: raw}
	if err := json.Unmarshal(raw, &r); err != nil {
		e.t.Fatalf("response is not JSON (%v): %s", err, raw)
	}
	return r
}

// stats returns the calls per endpoint of one service since the last reset.
func (e *env) stats(svc demo.Service) demo.Stats { return e.backends.Server(svc).Stats() }

// calls returns the number of calls to one endpoint of svc.
func (e *env) calls(svc demo.Service, endpoint string) int64 { return e.stats(svc).Calls(endpoint) }

// totalCalls sums the calls to every service.
func (e *env) totalCalls() int64 {
	var n int64
	for _, s := range demo.AllServices() {
		n += e.stats(s).TotalCalls()
	}
	return n
}

// get walks a decoded JSON value along keys and indices.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}
