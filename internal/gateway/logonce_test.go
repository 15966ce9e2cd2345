package gateway_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// One failed batch call for 20 products fails 20 prices in the answer and
// is one line in the log.
func TestFailedBatchLogsOnce(t *testing.T) {
	t.Parallel()
	var log tributarytest.LogBuffer
	e := newEnvWith(t, gateway.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))}, func(c *config.Config) {
		sc := c.Service("pricing")
		sc.MaxRetries = 0
		c.SetService("pricing", sc)
	})
	e.Backends.Server(demo.Pricing).SetFaults(demo.Faults{Down: true})
	r := e.Query(`{ products(first: 20) { nodes { id price { amount { formatted } } } } }`, nil)
	affected := 0
	for _, err := range r.Errors {
		if err.Extensions["service"] == "pricing" {
			n, _ := err.Extensions["affectedCount"].(float64)
			affected += max(int(n), 1)
		}
	}
	if affected != 20 {
		t.Fatalf("pricing errors cover %d prices, want 20 (one per product): %+v", affected, r.Errors)
	}
	if n := strings.Count(log.String(), "backend call failed"); n != 1 {
		t.Errorf("logged %d times for one failed call, want once:\n%s", n, log.String())
	}
	if got := e.Backends.Server(demo.Pricing).Stats().Endpoints[demo.EndpointPrices].Calls; got != 1 {
		t.Errorf("pricing calls: %d, want 1 (one batch)", got)
	}
}
