// Package benchenv runs, for benchmarks and tests, a real gateway behind
// httptest over the six demo backends (zero latency, in process), and talks
// to it the way a frontend does: POST application/json over HTTP.
package benchenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/bench/workload"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// Env is a gateway over the demo backends.
type Env struct {
	Backends *demo.Backends
	// URL is the gateway's GraphQL endpoint.
	URL    string
	Client *http.Client
}

// Start starts the demo backends and a gateway over them, configured as the
// binary would be by the environment variables environ (e.g.
// "TRIBUTARY_BATCH_MODE=off"), with the backend URLs added. Both stop when
// tb ends.
func Start(tb testing.TB, environ ...string) *Env {
	tb.Helper()
	b := tributarytest.StartBackends(tb, nil)
	return StartOver(tb, b.Backends, environ...)
}

// StartOver is Start over backends already running.
func StartOver(tb testing.TB, b *demo.Backends, environ ...string) *Env {
	tb.Helper()
	env := append([]string{}, environ...)
	for _, s := range config.Services {
		env = append(env, "TRIBUTARY_"+strings.ToUpper(s)+"_URL="+b.URL(demo.Service(s)))
	}
	cfg, err := config.Load("", env)
	if err != nil {
		tb.Fatalf("benchenv: config: %v", err)
	}
	gw := tributarytest.StartGateway(tb, *cfg, gateway.Options{})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	tb.Cleanup(tr.CloseIdleConnections)
	return &Env{Backends: b, URL: gw.URL + "/graphql", Client: c}
}

// Query POSTs w's query and returns the response body; a non-200 status or
// a response with errors is an error.
func (e *Env) Query(ctx context.Context, w workload.Workload) ([]byte, error) {
	return Post(ctx, e.Client, e.URL, w.Body())
}

// ErrGraphQL is wrapped by Post's error when the answer is a 200 that
// carries GraphQL errors (as opposed to a failed exchange or another status).
var ErrGraphQL = errors.New("benchenv: answer has errors")

// Post POSTs a GraphQL body to url and returns the answer; a non-200 status
// or an answer with "errors" is an error.
func Post(ctx context.Context, c *http.Client, url string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return raw, fmt.Errorf("benchenv: status %d: %.300s", resp.StatusCode, raw)
	}
	if bytes.Contains(raw, []byte(`"errors"`)) {
		return raw, fmt.Errorf("%w: %.300s", ErrGraphQL, raw)
	}
	return raw, nil
}

// TotalCalls is the number of calls to all six backends since the last
// ResetStats.
func (e *Env) TotalCalls() int64 {
	var n int64
	for _, s := range demo.AllServices() {
		n += e.Backends.Server(s).Stats().TotalCalls()
	}
	return n
}
