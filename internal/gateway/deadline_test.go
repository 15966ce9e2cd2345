package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
)

// outlastDeadline holds every operation until its request's deadline has
// passed, as a slow validation would: the operation then starts with a
// done context.
type outlastDeadline struct{}

func (outlastDeadline) ExtensionName() string                   { return "outlastDeadline" }
func (outlastDeadline) Validate(graphql.ExecutableSchema) error { return nil }
func (outlastDeadline) MutateOperationContext(ctx context.Context, _ *graphql.OperationContext) *gqlerror.Error {
	<-ctx.Done()
	return nil
}

// A request whose deadline passes before its operation runs is answered
// with a GraphQL error carrying a code: gqlgen alone writes the body `null`.
func TestDeadlineBeforeExecutionAnswersAnError(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, gateway.Options{Extensions: []graphql.HandlerExtension{outlastDeadline{}}},
		func(c *config.Config) { c.RequestTimeout = 20 * time.Millisecond })
	tests := []struct {
		name       string
		accept     string
		wantStatus int
	}{
		{"application/json", "application/json", http.StatusOK},
		{"graphql-response+json", "application/graphql-response+json", http.StatusGatewayTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": `{ product(id: "p1") { name } }`})
			req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", tt.accept)
			resp, err := e.Server.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var r gqlResponse
			if err := json.Unmarshal(raw, &r); err != nil || len(r.Errors) == 0 {
				t.Fatalf("body: got %s, want a GraphQL error", raw)
			}
			if got := r.Errors[0].Extensions["code"]; got != gateway.CodeRequestTimeout {
				t.Errorf("code: got %v, want %s", got, gateway.CodeRequestTimeout)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status: got %d, want %d", resp.StatusCode, tt.wantStatus)
			}
		})
	}
}
