// Package gateway assembles Tributary around a Graph its caller gives
// (graph.go; graph/served for Tributary's schema): backend clients with
// their policies (backends.go), the GraphQL executor with its transports
// and extensions (executor.go), the HTTP middleware chain and routes
// (middleware.go, routes.go). serve.go (package main) adds the listeners
// and signals; tests build a Gateway directly against httptest backends.
package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/internal/redisstore"
	"github.com/tributary-gw/tributary/internal/upstream"
)

// Gateway is the assembled HTTP handler and what it owns.
type Gateway struct {
	cfg       *config.Config
	log       *slog.Logger
	transport *http.Transport
	policies  map[string]*upstream.Policy
	handler   http.Handler
	// loaders are the graph's request loaders; nil until New made them.
	loaders Loaders
	cache   *connect.Cache
	// The caches of documents and verdicts, for CacheSizes; apq is nil
	// without automatic persisted queries.
	docs   *byteCache[*ast.QueryDocument]
	apq    *byteCache[string]
	limits *Limits
	sdl    string
	// redis is the state shared with the other replicas; nil without
	// redis.url.
	redis *redisstore.Store
	// stop ends the gateway's background work (JWKS refresh, the
	// invalidation subscription); wg waits for it.
	stop context.CancelFunc
	wg   sync.WaitGroup
	// draining is set on shutdown: /readyz fails first, so load balancers
	// stop sending traffic before the listener closes.
	draining atomic.Bool
	// engine runs the operations (and falls back to gqlgen's executor).
	engine *engine.Engine
	// workers run its resolver calls and the loaders' backend calls.
	workers *engine.Workers
	// ready answers /readyz: on the public mux, or on the admin listener
	// when admin_addr is set.
	ready http.Handler
}

// Options are the parts a caller may supply; zero values take defaults.
type Options struct {
	Logger *slog.Logger
	// Observer sees every backend call attempt (metrics); may be nil.
	Observer upstream.Observer
	// PolicyHooks observe retries and breaker transitions (metrics).
	PolicyHooks upstream.PolicyHooks
	// Transport decorates the shared backend transport (tracing); may be nil.
	Transport func(http.RoundTripper) http.RoundTripper
	// Extensions are added to the GraphQL executor (metrics, tracing,
	// access log), after the built-in ones.
	Extensions []graphql.HandlerExtension
	// Middleware wraps the whole handler, outermost first (tracing, access
	// log); it runs after the request id is assigned.
	Middleware []func(http.Handler) http.Handler
	// Routes adds handlers to the mux (e.g. "GET /metrics").
	Routes map[string]http.Handler
	// OnBudgetExceeded is told the name of each operation that wanted more
	// backend calls than its budget (metrics).
	OnBudgetExceeded func(operation string)
	// CacheObserver sees the entity cache's hits and misses (metrics); may
	// be nil.
	CacheObserver connect.CacheObserver
	// OnRedisError is told the use of every failed Redis command
	// (metrics); may be nil.
	OnRedisError func(use string)
	// OnOperation is told which engine ran each operation, engine.Plan or
	// engine.GQLGen (metrics); may be nil.
	OnOperation func(engine string)
	// Reference runs every operation on gqlgen's executor, its loaders
	// dispatched by their own wait window (batch.wait): the reference the
	// differential tests compare the plan engine against. Never in
	// production.
	Reference bool
}

// New builds a gateway serving graph for cfg, whose backend URLs must all
// be set. It assembles the parts in order of dependence: shared state
// (Redis), the security middleware, the backend clients, the caches, the
// request loaders, the engine and gqlgen's server around it, then the
// routes.
func New(cfg *config.Config, graph Graph, opts Options) (g *Gateway, err error) {
	if graph.Executable == nil || graph.Loaders == nil {
		return nil, errors.New("gateway: no graph to serve: Graph.Executable and Graph.Loaders are required")
	}
	g = &Gateway{
		cfg:       cfg,
		log:       opts.Logger,
		transport: upstream.NewTransport(upstream.TransportConfig{}),
		policies:  map[string]*upstream.Policy{},
		workers:   engine.NewWorkers(0),
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	bg, stop := context.WithCancel(context.Background())
	g.stop = stop
	defer func() {
		if err != nil {
			g.Close() // what was started so far
		}
	}()
	if err := g.connectRedis(bg, opts.OnRedisError); err != nil {
		return nil, err
	}
	secure, err := g.security(bg, cfg, upstream.NewHTTPClient(g.transport))
	if err != nil {
		return nil, err
	}
	clients, err := g.backendClients(opts)
	if err != nil {
		return nil, err
	}
	g.startCaches(bg, opts.CacheObserver)
	az := newAuthorizer(cfg)
	g.loaders = graph.Loaders(g.loadersConfig(clients, az, opts.Reference))
	g.engine = newEngine(cfg, graph, g.loaders, az, g.workers, opts)
	srv, err := g.graphqlServer(az, opts)
	if err != nil {
		return nil, err
	}
	gql := chain(srv, append(secure, g.requestMiddleware()...)...)
	g.handler = chain(chain(g.routes(gql, opts.Routes), opts.Middleware...), requestID)
	return g, nil
}

// ReadyHandler answers /readyz (for the admin listener; the public mux
// serves it itself when no admin address is configured).
func (g *Gateway) ReadyHandler() http.Handler { return g.ready }

// PlansMade reports how many operation plans the engine has made (tests:
// a plan is kept and not made again).
func (g *Gateway) PlansMade() int64 { return g.engine.Planned() }

// Workers reports the workers that run resolver and backend calls: how
// many are kept and how many are running a call now.
func (g *Gateway) Workers() (alive, busy int) { return g.workers.Alive(), g.workers.Busy() }

// SDL is the public schema.
func (g *Gateway) SDL() string { return g.sdl }

// Drain makes /readyz fail from now on; in-flight and new requests are
// still served until the server shuts down.
func (g *Gateway) Drain() { g.draining.Store(true) }

func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.handler.ServeHTTP(w, r) }

// Close releases idle backend connections and background work.
func (g *Gateway) Close() {
	g.stop()
	g.wg.Wait()
	g.workers.Close()
	if g.redis != nil {
		_ = g.redis.Close()
	}
	g.transport.CloseIdleConnections()
	if g.loaders != nil {
		g.loaders.Close()
	}
	g.cache.Close()
	g.docs.Close()
	g.apq.Close()
}

// chain wraps h in mws; the first runs outermost.
func chain(h http.Handler, mws ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}
