package telemetry_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/demo"
)

// env is a gateway over the six demo backends, all on httptest servers,
// built as internal/gateway's tests build it, with the telemetry under
// test plugged in through gateway.Options.
type env struct {
	t        *testing.T
	backends *demo.Backends
	srv      *httptest.Server

	mu sync.Mutex
	// traceparents are the traceparent headers each backend received
	// ("" for a call without one).
	traceparents map[demo.Service][]string
}

// newEnv starts the demo backends and a gateway over them with opts; mods
// adjust the configuration before the gateway is built.
func newEnv(t *testing.T, opts gateway.Options, mods ...func(*config.Config)) *env {
	t.Helper()
	e := &env{t: t, traceparents: map[demo.Service][]string{}}
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
	e.srv = httptest.NewServer(gw)
	t.Cleanup(func() { e.srv.Close(); gw.Close() })
	return e
}

// mount serves a demo backend on httptest, recording the traceparent of
// every contract call.
func (e *env) mount(svc demo.Service, h http.Handler) (string, func(context.Context) error, error) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/_demo/") {
			e.mu.Lock()
			e.traceparents[svc] = append(e.traceparents[svc], r.Header.Get("traceparent"))
			e.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	return ts.URL, func(context.Context) error { ts.Close(); return nil }, nil
}

// received returns the traceparent headers svc received.
func (e *env) received(svc demo.Service) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.traceparents[svc]...)
}

// withService applies f to one service's configuration.
func withService(name string, f func(sc *config.ServiceConfig)) func(*config.Config) {
	return func(c *config.Config) {
		sc := c.Service(name)
		f(&sc)
		c.SetService(name, sc)
	}
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Status int
	Header http.Header
	Data   map[string]any `json:"data"`
	Errors []gqlError     `json:"errors"`
	Raw    []byte         `json:"-"`
}

// query POSTs a GraphQL request with extra headers (name, value pairs) and
// decodes the answer.
func (e *env) query(q string, vars map[string]any, header ...string) gqlResponse {
	e.t.Helper()
	return e.post(map[string]any{"query": q, "variables": vars}, header...)
}

// post POSTs a GraphQL request body.
func (e *env) post(body map[string]any, header ...string) gqlResponse {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := gqlResponse{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if err := json.Unmarshal(raw, &r); err != nil {
		e.t.Fatalf("response is not JSON (%v): %s", err, raw)
	}
	return r
}

// get GETs path and returns the status and body.
func (e *env) get(path string) (int, []byte) {
	e.t.Helper()
	resp, err := e.srv.Client().Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, body
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape reads /metrics.
func (e *env) scrape() metrics {
	e.t.Helper()
	status, body := e.get("/metrics")
	if status != http.StatusOK {
		e.t.Fatalf("GET /metrics: got status %d, want 200", status)
	}
	var out metrics
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, ok := parseSample(line)
		if !ok {
			e.t.Fatalf("unparsable metrics line %q", line)
		}
		out = append(out, s)
	}
	return out
}

// parseSample parses `name{k="v",...} value` (no timestamps: promhttp
// writes none).
func parseSample(line string) (sample, bool) {
	s := sample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return s, false
	}
	s.name, line = line[:i], line[i:]
	if line[0] == '{' {
		line = line[1:]
		for line[0] != '}' {
			eq := strings.IndexByte(line, '=')
			if eq < 0 || len(line) < eq+2 || line[eq+1] != '"' {
				return s, false
			}
			key := line[:eq]
			line = line[eq+2:]
			var v strings.Builder
			j := 0
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' && j+1 < len(line) {
					j++
					if line[j] == 'n' {
						v.WriteByte('\n')
						continue
					}
				}
				v.WriteByte(line[j])
			}
			if j == len(line) {
				return s, false
			}
			s.labels[key] = v.String()
			line = strings.TrimPrefix(line[j+1:], ",")
			if line == "" {
				return s, false
			}
		}
		line = line[1:]
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(line), 64)
	if err != nil {
		return s, false
	}
	s.value = v
	return s, true
}

type metrics []sample

// get returns the value of the series of name with exactly the given labels
// (name, value pairs).
func (ms metrics) get(name string, labels ...string) (float64, bool) {
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, s := range ms {
		if s.name == name && maps.Equal(s.labels, want) {
			return s.value, true
		}
	}
	return 0, false
}

// sum adds the values of every series of name.
func (ms metrics) sum(name string) float64 {
	var n float64
	for _, s := range ms {
		if s.name == name {
			n += s.value
		}
	}
	return n
}

// series returns the series of name.
func (ms metrics) series(name string) []sample {
	var out []sample
	for _, s := range ms {
		if s.name == name {
			out = append(out, s)
		}
	}
	return out
}
