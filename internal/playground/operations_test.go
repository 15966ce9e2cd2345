package playground_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/services/demo/demotest"
)

// operationsFile holds the example operations of GraphiQL's default tabs.
const operationsFile = "../../web/graphiql/src/operations.js"

// newGateway is a real gateway over the demo backends, on httptest servers
// that stop when the test ends.
func newGateway(t *testing.T, logger *slog.Logger) http.Handler {
	t.Helper()
	b := demotest.Start(t)
	cfg := config.Default()
	cfg.SetBackendURLs(func(s string) string { return b.URL(demo.Service(s)) })
	gw, err := gateway.New(&cfg, gateway.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	return gw
}

// TestExampleOperations runs the operations of the playground's default
// tabs against the gateway: a schema change that breaks one fails here.
func TestExampleOperations(t *testing.T) {
	src, err := os.ReadFile(operationsFile)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, m := range regexp.MustCompile("(?s)`([^`]*)`").FindAllStringSubmatch(string(src), -1) {
		ops = append(ops, m[1])
	}
	wantNames := []string{"query ProductPage", "query Listing", "query Dashboard", "mutation CancelOrder"}
	if len(ops) != len(wantNames) {
		t.Fatalf("%s: got %d operations, want %d", operationsFile, len(ops), len(wantNames))
	}

	srv := httptest.NewServer(newGateway(t, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	for i, op := range ops {
		t.Run(wantNames[i], func(t *testing.T) {
			if !strings.Contains(op, wantNames[i]+" {") {
				t.Fatalf("operation %d is not %s:\n%s", i, wantNames[i], op)
			}
			body, err := json.Marshal(map[string]any{"query": op})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Post(srv.URL+"/graphql", "application/json", strings.NewReader(string(body)))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got status %d, want 200: %s", resp.StatusCode, raw)
			}
			var got struct {
				Data   map[string]json.RawMessage `json:"data"`
				Errors []json.RawMessage          `json:"errors"`
			}
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("decode %s: %v", raw, err)
			}
			if len(got.Errors) > 0 {
				t.Errorf("got errors, want none: %s", raw)
			}
			if len(got.Data) != 1 {
				t.Fatalf("got data %s, want one root field", raw)
			}
			for field, v := range got.Data {
				if string(v) == "null" {
					t.Errorf("got %s: null, want a value", field)
				}
			}
		})
	}
}
