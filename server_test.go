package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/internal/schemadiff"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

// startRun runs the program with environ and returns its address, a way to
// stop it (as SIGTERM would) and its result.
func startRun(t *testing.T, environ []string) (string, context.CancelFunc, <-chan error) {
	t.Helper()
	l, stop, errc := startRunListening(t, environ)
	return "http://" + l.Public.String(), stop, errc
}

// startRunListening is startRun returning every listening address.
func startRunListening(t *testing.T, environ []string) (listening, context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan listening, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, nil, environ, io.Discard, io.Discard, func(l listening, _ *gateway.Gateway) { addrc <- l })
	}()
	select {
	case l := <-addrc:
		return l, cancel, errc
	case err := <-errc:
		cancel()
		t.Fatalf("run: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("gateway did not start")
	}
	return listening{}, cancel, errc
}

// On SIGTERM, /readyz fails at once while a slow in-flight query still
// completes; then the program exits cleanly.
func TestDrainFinishesInFlightQueries(t *testing.T) {
	url, stop, errc := startRun(t, []string{
		"TRIBUTARY_LISTEN_ADDR=127.0.0.1:0",
		"TRIBUTARY_DEMO_LATENCY=300ms",
		"TRIBUTARY_DRAIN_DELAY=200ms",
		"TRIBUTARY_SHUTDOWN_TIMEOUT=20s",
		"TRIBUTARY_LOG_LEVEL=error",
	})
	if got := status(t, url+"/readyz"); got != 200 {
		t.Fatalf("/readyz before shutdown: got %d, want 200", got)
	}

	var sawNotReady atomic.Bool
	type result struct {
		status int
		body   string
	}
	done := make(chan result, 1)
	go func() {
		// Two levels of 300 ms each: product, then its price.
		body, _ := json.Marshal(map[string]string{"query": `{ product(id: "p1") { name price { amount { formatted } } } }`})
		resp, err := http.Post(url+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			done <- result{0, err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, string(b)}
	}()
	// The query is in flight once catalog holds its call (300 ms).
	poll.Until(t, "the query to reach catalog", func() bool {
		resp, err := http.Get(url + "/_demo/catalog/stats")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var st struct{ InFlight int }
		return json.NewDecoder(resp.Body).Decode(&st) == nil && st.InFlight > 0
	})
	stop()
	sawNotReady.Store(poll.Wait(5*time.Second, func() bool {
		return status(t, url+"/readyz") == http.StatusServiceUnavailable
	}))
	r := <-done
	if !sawNotReady.Load() {
		t.Error("/readyz never reported not ready during the drain")
	}
	if r.status != 200 || !strings.Contains(r.body, `"formatted"`) {
		t.Errorf("in-flight query: got %d %s, want 200 with the price", r.status, r.body)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("run did not return after the drain")
	}
}

func status(t *testing.T, url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestStartupRejectsBadConfiguration(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"bad duration", []string{"TRIBUTARY_REQUEST_TIMEOUT=soon"}, []string{"request_timeout"}},
		{"unknown variable", []string{"TRIBUTARY_LISTEN_ADRES=:1"}, []string{"TRIBUTARY_LISTEN_ADRES"}},
		{"bad value", []string{"TRIBUTARY_PRICING_RETRY_BUDGET=3"}, []string{"pricing.retry_budget"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), []string{"-check-config"}, tt.environ, io.Discard, io.Discard, nil)
			if err == nil {
				t.Fatal("got no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
		})
	}
	if err := run(context.Background(), []string{"-check-config"}, nil, io.Discard, io.Discard, nil); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// The SDL endpoint serves the schema the gateway was generated from.
func TestSchemaEndpointAndBaseline(t *testing.T) {
	url, stop, errc := startRun(t, []string{"TRIBUTARY_LISTEN_ADDR=127.0.0.1:0", "TRIBUTARY_LOG_LEVEL=error"})
	defer func() { stop(); <-errc }()
	resp, err := http.Get(url + "/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sdl, _ := io.ReadAll(resp.Body)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-print-schema"}, nil, &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if string(sdl) != out.String() || !strings.Contains(string(sdl), "type Product") {
		t.Errorf("/schema.graphql differs from -print-schema")
	}
	parsed, err := schemadiff.Load("schema.graphql", string(sdl))
	if err != nil {
		t.Fatalf("/schema.graphql does not parse: %v", err)
	}
	if changes := schemadiff.Compare(graph.NewExecutableSchema(graph.Config{}).Schema(), parsed); len(changes) > 0 {
		t.Errorf("/schema.graphql differs from the generated schema:\n%s", schemadiff.Report(changes))
	}
	out.Reset()
	if err := run(context.Background(), []string{"-check-schema"}, nil, &out, io.Discard, nil); err != nil {
		t.Errorf("-check-schema against the committed baseline: %v\n%s", err, out.String())
	}
}

// With admin_addr, /metrics, /readyz and profiling are served on their own
// listener and not on the public one; without it, profiling is not served.
func TestAdminListener(t *testing.T) {
	tests := []struct {
		name       string
		giveAdmin  bool
		wantPublic map[string]int
		wantAdmin  map[string]int
	}{
		{
			name:       "admin listener",
			giveAdmin:  true,
			wantPublic: map[string]int{"/metrics": 404, "/readyz": 404, "/debug/pprof/": 404, "/healthz": 200},
			wantAdmin:  map[string]int{"/metrics": 200, "/readyz": 200, "/debug/pprof/": 200, "/debug/pprof/cmdline": 200, "/healthz": 200, "/graphql": 404},
		},
		{
			name:       "no admin listener",
			wantPublic: map[string]int{"/metrics": 200, "/readyz": 200, "/debug/pprof/": 404, "/healthz": 200},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			environ := []string{"TRIBUTARY_LISTEN_ADDR=127.0.0.1:0", "TRIBUTARY_LOG_LEVEL=error"}
			if tt.giveAdmin {
				environ = append(environ, "TRIBUTARY_ADMIN_ADDR=127.0.0.1:0")
			}
			l, stop, errc := startRunListening(t, environ)
			defer func() {
				stop()
				if err := <-errc; err != nil {
					t.Errorf("run: %v", err)
				}
			}()
			if (l.Admin != nil) != tt.giveAdmin {
				t.Fatalf("admin address: got %v, want one: %v", l.Admin, tt.giveAdmin)
			}
			check := func(base string, want map[string]int) {
				for path, code := range want {
					if got := status(t, base+path); got != code {
						t.Errorf("GET %s%s: got %d, want %d", base, path, got, code)
					}
				}
			}
			check("http://"+l.Public.String(), tt.wantPublic)
			if l.Admin != nil {
				check("http://"+l.Admin.String(), tt.wantAdmin)
			}
		})
	}
}

// -check-schema with the operations clients registered: against a baseline
// that still has a field the schema dropped, only an operation selecting
// it fails the check, named with the field; otherwise the change is
// reported as breaking in theory and the check passes.
func TestCheckSchemaAgainstOperations(t *testing.T) {
	sdl, err := os.ReadFile("api/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	baseline := filepath.Join(dir, "baseline.graphql")
	// The baseline had Product.legacySku; the current schema has not.
	old := strings.Replace(string(sdl), "type Product {\n  id: ID!\n", "type Product {\n  id: ID!\n  legacySku: String\n", 1)
	if old == string(sdl) {
		t.Fatal("api/schema.graphql has no 'type Product { id: ID!' to edit")
	}
	if err := os.WriteFile(baseline, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	manifest := func(docs ...string) string {
		m := map[string]string{}
		for _, d := range docs {
			sum := sha256.Sum256([]byte(d))
			m[hex.EncodeToString(sum[:])] = d
		}
		b, _ := json.Marshal(m)
		p := filepath.Join(t.TempDir(), "persisted-documents.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	opsDir := filepath.Join(dir, "ops")
	if err := os.Mkdir(opsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(opsDir, "sku.graphql"), []byte(`query Sku { product(id: "p1") { legacySku } }`), 0o644); err != nil {
		t.Fatal(err)
	}
	const uses = `query ProductSku { product(id: "p1") { name legacySku } }`
	const safe = `query ProductName { product(id: "p1") { name } }`
	tests := []struct {
		name    string
		args    []string
		environ []string
		wantErr error
		want    []string
	}{
		{"no operations: any breaking change fails", nil, nil, errBreaking,
			[]string{"FIELD_REMOVED", "Product.legacySku"}},
		{"an operation uses the field", []string{"-operations", manifest(uses, safe)}, nil, errBreaksOperations,
			[]string{"ProductSku", "at product.legacySku", "[FIELD_REMOVED]", "1 broken of 2"}},
		{"no operation uses it", []string{"-operations", manifest(safe)}, nil, nil,
			[]string{"Breaking in theory", "Product.legacySku", "0 broken of 1"}},
		{"directory of .graphql files", []string{"-operations", opsDir}, nil, errBreaksOperations,
			[]string{"Sku (" + filepath.Join(opsDir, "sku.graphql") + ") at product.legacySku"}},
		{"the configured manifest by default", nil, []string{"TRIBUTARY_PERSISTED_MANIFEST=" + manifest(safe)}, nil,
			[]string{"Registered operations: 1", "0 broken of 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			args := append([]string{"-check-schema", "-baseline", baseline}, tt.args...)
			err := run(context.Background(), args, tt.environ, &out, io.Discard, nil)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v\n%s", err, tt.wantErr, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// The demo backends' fault switches take services down for everyone: they
// are served on the admin listener, or on a public listener bound to
// loopback, never on a public listener open to the network.
func TestDemoFaultSwitchesOnlyOnLoopbackOrAdmin(t *testing.T) {
	tests := []struct {
		name       string
		giveListen string
		giveAdmin  bool
		wantPublic int // status of PUT /_demo/pricing/faults on the public listener
		wantAdmin  int
	}{
		// 405: the public listener answers GET only.
		{name: "public listener on every interface", giveListen: "0.0.0.0:0", wantPublic: 405},
		{name: "public listener on every interface, admin listener", giveListen: "0.0.0.0:0", giveAdmin: true, wantPublic: 405, wantAdmin: 200},
		{name: "public listener on loopback", giveListen: "127.0.0.1:0", wantPublic: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			environ := []string{"TRIBUTARY_LISTEN_ADDR=" + tt.giveListen, "TRIBUTARY_LOG_LEVEL=error"}
			if tt.giveAdmin {
				environ = append(environ, "TRIBUTARY_ADMIN_ADDR=127.0.0.1:0")
			}
			l, stop, errc := startRunListening(t, environ)
			defer func() {
				stop()
				if err := <-errc; err != nil {
					t.Errorf("run: %v", err)
				}
			}()
			// Test traffic goes to 127.0.0.1 whatever the listener binds.
			public := "http://127.0.0.1:" + portOf(l.Public.String())
			put := func(base string) int {
				req, _ := http.NewRequest(http.MethodPut, base+"/_demo/pricing/faults", strings.NewReader(`{"down":true}`))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				// Whoever may, puts it back.
				if resp.StatusCode == 200 {
					req, _ := http.NewRequest(http.MethodPut, base+"/_demo/pricing/faults", strings.NewReader(`{"down":false}`))
					if resp, err := http.DefaultClient.Do(req); err == nil {
						resp.Body.Close()
					}
				}
				return resp.StatusCode
			}
			if got := put(public); got != tt.wantPublic {
				t.Errorf("PUT /_demo/pricing/faults on the public listener: got %d, want %d", got, tt.wantPublic)
			}
			if tt.giveAdmin {
				if got := put("http://" + l.Admin.String()); got != tt.wantAdmin {
					t.Errorf("PUT /_demo/pricing/faults on the admin listener: got %d, want %d", got, tt.wantAdmin)
				}
			}
			// What GET answers changes nothing, and -check-contracts reads
			// the contracts through the gateway: public.
			if got := status(t, public+"/_demo/pricing/openapi.yaml"); got != 200 {
				t.Errorf("GET /_demo/pricing/openapi.yaml on the public listener: got %d, want 200", got)
			}
			// The refused switch changed nothing: prices still answer.
			body, _ := json.Marshal(map[string]string{"query": `{ product(id: "p1") { price { amount { formatted } } } }`})
			resp, err := http.Post(public+"/graphql", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(b), `"formatted"`) {
				t.Errorf("query after the switches: got %s, want the price", b)
			}
		})
	}
}

func portOf(addr string) string { return addr[strings.LastIndex(addr, ":")+1:] }

// Every cache that requests fill reports its size on /metrics.
func TestCacheSizeMetrics(t *testing.T) {
	url, stop, errc := startRun(t, []string{"TRIBUTARY_LISTEN_ADDR=127.0.0.1:0", "TRIBUTARY_LOG_LEVEL=error", "TRIBUTARY_CACHE_ENABLED=true"})
	defer func() {
		stop()
		if err := <-errc; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	body, _ := json.Marshal(map[string]string{"query": `{ product(id: "p1") { name } }`})
	resp, err := http.Post(url+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, c := range []string{"query_documents", "apq", "verdicts", "entity_cache", "fallback"} {
		for _, m := range []string{"tributary_cache_bytes", "tributary_cache_entries"} {
			if want := m + `{cache="` + c + `"}`; !strings.Contains(string(b), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	}
	if !strings.Contains(string(b), `tributary_cache_entries{cache="query_documents"} 1`) {
		t.Errorf("/metrics: want one cached document after one query")
	}
}
