package gateway_test

import (
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/tributarytest"
)

// env is the harness's gateway over its own demo backends; this package's
// tests add their helpers (queryAs, cacheControl …) on it.
type env struct{ *tributarytest.Env }

// newEnv starts the demo backends and a gateway over them; mods adjust the
// configuration before the gateway is built.
func newEnv(t *testing.T, mods ...func(*config.Config)) *env {
	t.Helper()
	return &env{tributarytest.New(t, mods...)}
}

// newEnvWith is newEnv with gateway options (extensions, routes).
func newEnvWith(t *testing.T, opts gateway.Options, mods ...func(*config.Config)) *env {
	t.Helper()
	return &env{tributarytest.NewWith(t, tributarytest.Options{Gateway: opts}, mods...)}
}

// Short names for the harness's, used throughout this package's tests.
type (
	gqlResponse = tributarytest.Response
	gqlError    = tributarytest.Error
)

var (
	get         = tributarytest.At
	eachService = tributarytest.EachService
)
