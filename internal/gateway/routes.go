package gateway

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/sony/gobreaker/v2"

	"github.com/tributary-gw/tributary/internal/config"
	selfhosted "github.com/tributary-gw/tributary/internal/playground"
	"github.com/tributary-gw/tributary/internal/schemadiff"
)

// routes is the public mux: /graphql, the playground, health and
// readiness, the schema, cache invalidation and the caller's own routes
// (e.g. /metrics).
func (g *Gateway) routes(gql http.Handler, extra map[string]http.Handler) *http.ServeMux {
	cfg := g.cfg
	mux := http.NewServeMux()
	mux.Handle("/graphql", gql)
	if cfg.Playground {
		pg := selfhosted.Handler("/graphql", g.log)
		mux.Handle("GET /{$}", pg)
		mux.Handle("GET "+selfhosted.AssetPrefix, pg)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, http.StatusOK, "ok\n")
	})
	g.ready = http.HandlerFunc(g.readyz)
	if cfg.AdminAddr == "" {
		mux.Handle("GET /readyz", g.ready)
	}
	g.sdl = schemadiff.PublicSDL(g.engine.Schema())
	if cfg.SchemaEndpoint {
		mux.HandleFunc("GET /schema.graphql", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("Content-Type", "application/graphql; charset=utf-8")
			_, _ = w.Write([]byte(g.sdl))
		})
	}
	if cfg.Cache.AdminToken != "" {
		mux.Handle("DELETE /admin/cache/{service}/{id}", g.invalidate(cfg.Cache.AdminToken))
	}
	for pattern, h := range extra {
		mux.Handle(pattern, h)
	}
	return mux
}

// readyz answers /readyz: failing while draining, and listing each
// service's breaker for people. Readiness depends on the breakers only for
// critical services when readyz_backends is set, since a replica that
// serves partial data is better than none.
func (g *Gateway) readyz(w http.ResponseWriter, r *http.Request) {
	if g.draining.Load() {
		writeText(w, http.StatusServiceUnavailable, "draining\n")
		return
	}
	var b strings.Builder
	ready := true
	for _, name := range config.Services {
		state := g.policies[name].BreakerState()
		fmt.Fprintf(&b, "%s: %s\n", name, state)
		if g.cfg.ReadyzBackends && g.cfg.Service(name).Critical && state == gobreaker.StateOpen {
			ready = false
		}
	}
	if !ready {
		writeText(w, http.StatusServiceUnavailable, "not ready: a critical service's circuit is open\n"+b.String())
		return
	}
	writeText(w, http.StatusOK, "ready\n"+b.String())
}
