package tributarytest

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/tributary-gw/tributary/graph/served"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/demo"
)

// Gateway is a gateway (gateway.New) behind an httptest server, and a
// Client for it.
type Gateway struct {
	*Client
	Server *httptest.Server
	GW     *gateway.Gateway
}

// StartGateway builds a gateway serving Tributary's graph (graph/served)
// from cfg and opts (a nil Logger discards), serves it on httptest and
// stops both when the test ends. An invalid configuration fails the test.
func StartGateway(t testing.TB, cfg config.Config, opts gateway.Options) *Gateway {
	t.Helper()
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Fatalf("tributarytest: config: %v", errs)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	gw, err := gateway.New(&cfg, served.Graph(), opts)
	if err != nil {
		t.Fatalf("tributarytest: gateway: %v", err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(func() { srv.Close(); gw.Close() })
	c := newClient(t, srv.URL)
	c.HTTP.Transport = srv.Client().Transport
	return &Gateway{Client: c, Server: srv, GW: gw}
}

// Config is the default configuration with every declared service's URL
// pointing at b, then adjusted by mods: a test that replaces one service
// with a custom backend sets its URL in a mod.
func (b *Backends) Config(mods ...func(*config.Config)) config.Config {
	cfg := config.Default()
	cfg.SetBackendURLs(func(s string) string { return b.URL(demo.Service(s)) })
	for _, m := range mods {
		m(&cfg)
	}
	return cfg
}

// Env is a gateway over its own demo backends: the most common test
// environment. Its Client talks to the gateway; its Backends count and
// switch faults.
type Env struct {
	*Backends
	*Gateway
	T testing.TB
}

// Options configure New. The zero value is the default configuration over
// the default dataset.
type Options struct {
	// Gateway are the gateway's options (extensions, observers, routes).
	Gateway gateway.Options
	// Dataset is what the demo backends answer from; nil is
	// demo.DefaultDataset.
	Dataset *demo.Dataset
}

// New starts demo backends and a gateway over them; mods adjust the
// configuration before the gateway is built. Both stop when the test
// ends.
func New(t testing.TB, mods ...func(*config.Config)) *Env {
	t.Helper()
	return NewWith(t, Options{}, mods...)
}

// NewWith is New with options.
func NewWith(t testing.TB, opts Options, mods ...func(*config.Config)) *Env {
	t.Helper()
	b := StartBackends(t, opts.Dataset)
	g := StartGateway(t, b.Config(mods...), opts.Gateway)
	return &Env{Backends: b, Gateway: g, T: t}
}

// EachService is a configuration mod applying f to every service's
// configuration.
func EachService(f func(name string, sc *config.ServiceConfig)) func(*config.Config) {
	return func(c *config.Config) {
		for _, s := range config.Services {
			sc := c.Service(s)
			f(s, &sc)
			c.SetService(s, sc)
		}
	}
}

// WithService is a configuration mod applying f to one service's
// configuration.
func WithService(name string, f func(sc *config.ServiceConfig)) func(*config.Config) {
	return func(c *config.Config) {
		sc := c.Service(name)
		f(&sc)
		c.SetService(name, sc)
	}
}
