// Package served is Tributary's graph as the gateway serves it: gqlgen's
// generated executor (graph) over the resolvers (resolvers), and the
// per-request loaders their look-ups go through (services/loaders). The
// gateway (internal/gateway) knows no schema's code; the program and the
// test harness hand it Graph. Nothing here lists what the schema declares:
// the generated packages do.
package served

import (
	"context"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/resolvers"
	"github.com/tributary-gw/tributary/services/loaders"
)

// Graph is Tributary's graph for gateway.New and gateway.Explain.
func Graph() gateway.Graph {
	return gateway.Graph{Executable: executable, Invokers: invokers, Loaders: newLoaders}
}

// invokers are the typed calls of root (executable's) for the engine.
func invokers(root any) engine.Invokers { return graph.Invokers(root.(graph.ResolverRoot)) }

// executable is gqlgen's generated executor over a new resolver root.
func executable() (graphql.ExecutableSchema, any) {
	root := &resolvers.Resolver{}
	return graph.NewExecutableSchema(graph.Config{Resolvers: root}), root
}

// requestLoaders adapts services/loaders to what the gateway asks of them.
type requestLoaders struct {
	loaders.Runtime
	clients  loaders.Clients
	cfg      loaders.Config
	backstop time.Duration
}

var _ gateway.Loaders = (*requestLoaders)(nil)

func newLoaders(c gateway.LoadersConfig) gateway.Loaders {
	cfg := loaders.Config{
		Wait:      c.Wait,
		Backstop:  c.Backstop,
		Timer:     c.Timer,
		Disabled:  c.Disabled,
		Critical:  c.Critical,
		Authorize: c.Authorize,
		Cache:     c.Cache,
		Share:     c.Share,
		Workers:   c.Workers,
	}
	if c.FallbackEntries > 0 {
		cfg.Stale = loaders.NewStaleCache(c.FallbackEntries, c.FallbackBytes)
		if c.SharedFallback != nil {
			cfg.Stale.Share(c.SharedFallback)
		}
	}
	backstop := c.Backstop
	if backstop == 0 {
		backstop = loaders.DefaultBackstop
	}
	return &requestLoaders{clients: c.Clients, cfg: cfg, backstop: backstop}
}

func (l *requestLoaders) Middleware(next http.Handler) http.Handler {
	return loaders.Middleware(l.clients, l.cfg)(next)
}

func (l *requestLoaders) Report(ctx context.Context) (gateway.LoadersReport, bool) {
	rl, ok := loaders.From(ctx)
	if !ok {
		return gateway.LoadersReport{}, false
	}
	var rep gateway.LoadersReport
	for _, s := range rl.Degradation().StaleAnswers() {
		rep.Stale = append(rep.Stale, gateway.StaleAnswer{Path: s.Path, Service: s.Service, AgeSeconds: s.AgeSeconds})
	}
	if d := rl.Dispatcher(); d != nil {
		rep.Dispatched = true
		rep.Dispatches, rep.Backstops = d.Flushes(), d.Backstops()
	}
	return rep, true
}

func (l *requestLoaders) RecordWaits(ctx context.Context) (context.Context, func(service string) []string) {
	w := &loaders.Waits{}
	return loaders.WithWaits(ctx, w), w.Fields
}

func (l *requestLoaders) Backstop() time.Duration { return l.backstop }

func (l *requestLoaders) Fallback() (entries int, bytes int64, ok bool) {
	if l.cfg.Stale == nil {
		return 0, 0, false
	}
	return l.cfg.Stale.Len(), l.cfg.Stale.Bytes(), true
}

func (l *requestLoaders) Close() { l.cfg.Stale.Close() }
