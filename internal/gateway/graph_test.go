package gateway_test

import (
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
)

// A gateway given no graph says so instead of failing on its first
// request.
func TestNewWithoutGraph(t *testing.T) {
	cfg := config.Default()
	gw, err := gateway.New(&cfg, gateway.Graph{}, gateway.Options{})
	if err == nil {
		gw.Close()
		t.Fatal("New without a graph: got a gateway, want an error")
	}
	if !strings.Contains(err.Error(), "no graph to serve") {
		t.Errorf("New without a graph: got %q, want it to say there is no graph", err)
	}
}
