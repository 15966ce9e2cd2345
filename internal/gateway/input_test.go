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

// A request that names no document is not a well-formed GraphQL-over-HTTP
// request: 400 with BAD_REQUEST, never a run. One that names its query in
// another spelling JSON or a URL allows still runs, and a persisted
// query's hash is left to the persisted-query protocol.
func TestRequestsWithoutAQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	post := func(body string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return req
	}
	get := func(rawQuery string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, e.Server.URL+"/graphql?"+rawQuery, nil)
		return req
	}
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantCode   string
		wantData   bool
	}{
		{"misspelled key", post(`{"qeury":"{ __typename }"}`), http.StatusBadRequest, "BAD_REQUEST", false},
		{"empty object", post(`{}`), http.StatusBadRequest, "BAD_REQUEST", false},
		{"variables only", post(`{"variables":{"id":"p1"}}`), http.StatusBadRequest, "BAD_REQUEST", false},
		{"GET without parameters", get(""), http.StatusBadRequest, "BAD_REQUEST", false},
		{"GET with another parameter", get("operationName=X"), http.StatusBadRequest, "BAD_REQUEST", false},
		{"escaped key", post(`{"\u0071uery":"{ __typename }"}`), http.StatusOK, "", true},
		{"escaped GET key", get("qu%65ry=%7B__typename%7D"), http.StatusOK, "", true},
		{"persisted query hash", post(`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + strings.Repeat("ab", 32) + `"}}}`), http.StatusOK, "PERSISTED_QUERY_NOT_FOUND", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Do(tt.req)
			if r.Status != tt.wantStatus {
				t.Errorf("status: got %d, want %d (%s)", r.Status, tt.wantStatus, r.Raw)
			}
			if tt.wantCode != "" && (len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != tt.wantCode) {
				t.Errorf("want an error with code %s, got %s", tt.wantCode, r.Raw)
			}
			if tt.wantData && r.Data["__typename"] != "Query" {
				t.Errorf("want data, got %s", r.Raw)
			}
		})
	}
	if got := e.TotalCalls(); got != 0 {
		t.Errorf("backend calls: got %d, want 0", got)
	}
}
