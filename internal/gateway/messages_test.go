package gateway_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
)

// Error messages are short and say nothing of the gateway's internals: a
// decode error neither echoes the body nor names Go types.
func TestErrorMessagesAreShortAndFreeOfInternals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	secret := strings.Repeat("SECRET-BODY-", 70_000) // ~840 KB, under the 1 MiB body limit
	long := strings.Repeat("a", 5000)
	tests := []struct {
		name     string
		body     string
		wantCode string
		wantText string
	}{
		{"truncated JSON echoing a large body", `{"query": "{ __typename }", "pad": "` + secret, "BAD_REQUEST", "not valid JSON"},
		{"query is a number", `{"query": 1, "pad": "` + secret + `"}`, "BAD_REQUEST", `"query" must be a string, got a number`},
		{"variables is a string", `{"query": "{ __typename }", "variables": "x"}`, "BAD_REQUEST", `"variables" must be an object, got a string`},
		{"batched array", `[{"query": "{ __typename }"}]`, "BAD_REQUEST", "must be a JSON object, got an array"},
		{"empty body", ``, "BAD_REQUEST", "empty"},
		{"long unknown field name", `{"query": "{ ` + long + ` }"}`, "GRAPHQL_VALIDATION_FAILED", "Cannot query field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader([]byte(tt.body)))
			req.Header.Set("Content-Type", "application/json")
			r := e.Do(req)
			if len(r.Errors) == 0 {
				t.Fatalf("no error: %.300s", r.Raw)
			}
			msg := r.Errors[0].Message
			if len(msg) > gateway.MaxMessageBytes {
				t.Errorf("message: got %d bytes, want at most %d", len(msg), gateway.MaxMessageBytes)
			}
			if len(r.Raw) > 4<<10 {
				t.Errorf("answer: got %d bytes, want at most 4 KiB", len(r.Raw))
			}
			for _, leak := range []string{"SECRET", "Go struct", "Go value", "RawParams", "graphql.", "interface {}", "map["} {
				if strings.Contains(string(r.Raw), leak) {
					t.Errorf("answer contains %q: %.300s", leak, r.Raw)
				}
			}
			if got := r.Errors[0].Extensions["code"]; got != tt.wantCode {
				t.Errorf("code: got %v, want %s (%s)", got, tt.wantCode, msg)
			}
			if !strings.Contains(msg, tt.wantText) {
				t.Errorf("message: got %q, want it to contain %q", msg, tt.wantText)
			}
		})
	}
}

// "Did you mean …" lists field names, so it is off when introspection is.
func TestSuggestionsFollowIntrospection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		introspection bool
		wantSuggest   bool
	}{
		{"introspection on", true, true},
		{"introspection off", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *config.Config) { c.Introspection = tt.introspection })
			r := e.Query(`{ product(id: "p1") { nme } }`, nil)
			if len(r.Errors) == 0 {
				t.Fatalf("no error: %s", r.Raw)
			}
			if got := strings.Contains(r.Errors[0].Message, "Did you mean"); got != tt.wantSuggest {
				t.Errorf("suggestion in %q: got %v, want %v", r.Errors[0].Message, got, tt.wantSuggest)
			}
		})
	}
}
