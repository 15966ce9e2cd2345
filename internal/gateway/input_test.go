package gateway_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
)

// Hostile or broken requests get a clear error and cost no backend call.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.MaxBodyBytes = 1 << 10 })
	tests := []struct {
		name       string
		body       string
		ct         string
		wantStatus int
	}{
		{"body over the limit", `{"query":"{ product(id: \"p1\") { name } }","pad":"` + strings.Repeat("x", 2048) + `"}`, "application/json", http.StatusRequestEntityTooLarge},
		{"malformed JSON", `{"query": "{ product(id: \"p1\") { name } }"`, "application/json", http.StatusBadRequest},
		{"not a query", `{"query": "{ product(id: "}`, "application/json", http.StatusOK},
		{"unknown field", `{"query": "{ nope }"}`, "application/json", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader([]byte(tt.body)))
			req.Header.Set("Content-Type", tt.ct)
			r := e.Do(req)
			if r.Status != tt.wantStatus {
				t.Errorf("status: got %d, want %d (%s)", r.Status, tt.wantStatus, r.Raw)
			}
			if len(r.Errors) == 0 || r.Errors[0].Message == "" {
				t.Errorf("want an error message, got %s", r.Raw)
			}
		})
	}
	if got := e.TotalCalls(); got != 0 {
		t.Errorf("backend calls: got %d, want 0", got)
	}
}
