package gateway

import (
	"fmt"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/cost"
	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/internal/upstream"
)

// newAuthorizer is the @auth interceptor, nil when auth.mode is off.
func newAuthorizer(cfg *config.Config) *authorizer {
	if cfg.Auth.Mode == "off" {
		return nil
	}
	return &authorizer{staffRole: cfg.Auth.StaffRole}
}

// newEngine is the executable schema behind gqlgen's handler: the plan
// engine over the graph's generated schema and resolvers, dispatching its
// loaders l (gqlgen's executor alone for the tests' reference); resolver
// calls run on workers.
func newEngine(cfg *config.Config, graph Graph, l Loaders, az *authorizer, workers *engine.Workers, opts Options) *engine.Engine {
	es, root := graph.Executable()
	ecfg := engine.Config{
		Schema:       es,
		Resolvers:    root,
		Invokers:     graph.invokers(root),
		Runtime:      l,
		RootFailed:   rootFailed,
		OnOperation:  opts.OnOperation,
		Workers:      workers,
		Off:          opts.Reference,
		MaxPlanBytes: int(cfg.Memory.Plans),
		// A held step goes out well before the loaders' backstop would
		// send it by itself.
		MaxHold: l.Backstop() / 2,
	}
	if az != nil {
		ecfg.Authorize = az.check
	}
	return engine.New(ecfg)
}

// graphqlServer is gqlgen's handler around the engine: its transports,
// the document caches, and the extensions in the order they must run.
func (g *Gateway) graphqlServer(az *authorizer, opts Options) (*handler.Server, error) {
	cfg := g.cfg
	srv := handler.New(g.engine)
	addTransports(srv)
	// Bounded in bytes (a document's text and syntax tree) and in entries.
	g.docs = newByteCache(cfg.Memory.QueryDocuments, 1000, documentWeight)
	srv.SetQueryCache(g.docs)
	if cfg.Limits.MaxTokens > 0 {
		srv.SetParserTokenLimit(cfg.Limits.MaxTokens)
	}
	g.limits = newLimits(cfg, g.engine)
	srv.Use(g.limits)
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		// "Did you mean …" would list the schema's field names to anyone.
		srv.SetDisableSuggestion(true)
	}
	if err := g.usePersisted(srv); err != nil {
		return nil, err
	}
	// After the mutators that may fill in the query (trusted documents,
	// APQ), so it sees the text that will be validated.
	srv.Use(newOverlapBound(0, cfg.Limits.MaxTokens))
	srv.SetErrorPresenter(presentError(g.log))
	srv.SetRecoverFunc(recoverPanic(g.log))
	if az != nil {
		srv.Use(*az)
	}
	perOp, _ := cfg.Budget.Parse() // validated by config
	srv.Use(budget{defaultCalls: cfg.Budget.DefaultCalls, perOperation: perOp, enforce: cfg.Budget.Enforce,
		log: g.log, onExceeded: opts.OnBudgetExceeded})
	srv.Use(criticalRoots{g.loaders})
	// Innermost of the operation interceptors: what the others refuse is
	// never planned for the client.
	srv.Use(planReport{engine: g.engine, defaultListSize: cfg.Limits.DefaultListSize, fields: g.limits.Fields})
	srv.AroundResponses(reportDegradation(g.loaders))
	srv.AroundResponses(fanoutReport(cfg.Batch.Mode, g.loaders))
	srv.AroundResponses(collapseErrors)
	for _, ext := range opts.Extensions {
		srv.Use(ext)
	}
	return srv, nil
}

// addTransports adds the transports a client may speak: OPTIONS, GET,
// @defer's streaming transports and POST.
func addTransports(srv *handler.Server) {
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	// Streaming transports for @defer come before POST, which would
	// otherwise claim their requests.
	srv.AddTransport(transport.MultipartMixed{Boundary: "-", DeliveryTimeout: 5 * time.Millisecond})
	srv.AddTransport(transport.SSE{})
	srv.AddTransport(transport.POST{})
}

// newLimits is the limits extension as configured.
func newLimits(cfg *config.Config, eng *engine.Engine) *Limits {
	return &Limits{
		MaxDepth:              cfg.Limits.MaxDepth,
		MaxAliases:            cfg.Limits.MaxAliases,
		MaxBackendCalls:       cfg.Limits.MaxBackendCalls,
		MaxItems:              cfg.Limits.MaxItems,
		MaxIntrospectionItems: cfg.Limits.MaxIntrospectionItems,
		MaxIntrospectionDepth: cfg.Limits.MaxIntrospectionDepth,
		DefaultListSize:       cfg.Limits.DefaultListSize,
		MaxArgumentLength:     cfg.Limits.MaxArgumentLength,
		MaxWrites:             cfg.Limits.MaxWrites,
		// The estimator's one view of what fields mean (service, list
		// size, batch, argument bounds), read from the registry.
		Fields: cost.NewSchemaFields(eng.Schema()),
		// The plan the engine runs is what the estimate reads.
		Plans:        eng,
		VerdictBytes: cfg.Memory.Verdicts,
	}
}

// usePersisted adds trusted documents (persisted.manifest) and automatic
// persisted queries, shared through Redis when it is configured.
func (g *Gateway) usePersisted(srv *handler.Server) error {
	cfg := g.cfg
	if cfg.Persisted.Manifest != "" {
		docs, err := loadManifest(cfg.Persisted.Manifest)
		if err != nil {
			return fmt.Errorf("gateway: %w", err)
		}
		srv.Use(trustedDocuments{docs: docs, only: cfg.Persisted.Only})
	}
	if cfg.Persisted.APQ && !cfg.Persisted.Only {
		// Bounded: a client cannot grow the cache past 1000 documents, nor
		// past memory.apq bytes.
		g.apq = newByteCache(cfg.Memory.APQ, 1000, apqWeight)
		var apq graphql.Cache[string] = g.apq
		if g.redis != nil {
			apq = g.redis.APQ(apq)
		}
		srv.Use(extension.AutomaticPersistedQuery{Cache: apq})
	}
	return nil
}

// loadersConfig is how the gateway configured by g.cfg wants its request
// loaders: over clients, deciding @auth with az (nil: auth off), with the
// entity cache, the sharing of calls across requests and the fallback cache
// as configured; reference leaves their dispatch to their wait window
// (gqlgen's executor runs every operation).
func (g *Gateway) loadersConfig(clients map[string]*upstream.Client, az *authorizer, reference bool) LoadersConfig {
	cfg := g.cfg
	critical := map[string]bool{}
	for _, name := range config.Services {
		critical[name] = cfg.Service(name).Critical
	}
	var share *connect.Share
	if cfg.Batch.Share && cfg.Batch.Mode != "off" {
		// Mode off measures one call per key: sharing would merge them.
		share = connect.NewShare(connect.ShareConfig{MaxQueued: cfg.Batch.ShareQueue, MaxCalls: cfg.Batch.ShareCalls, Go: g.workers.Go})
	}
	lc := LoadersConfig{
		Clients:         clients,
		Wait:            cfg.Batch.Wait,
		Backstop:        cfg.Batch.Backstop,
		Timer:           cfg.Batch.Mode == "timer" || reference,
		Disabled:        cfg.Batch.Mode == "off",
		Critical:        critical,
		Cache:           g.cache,
		Share:           share,
		Workers:         g.workers,
		FallbackEntries: cfg.FallbackEntries,
		FallbackBytes:   cfg.Memory.Fallback,
	}
	if az != nil {
		lc.Authorize = az.allowed
	}
	if g.redis != nil {
		lc.SharedFallback = g.redis.Fallback()
	}
	return lc
}

// requestMiddleware is what every /graphql request passes through after
// the security middleware, outermost first: the GraphQL-over-HTTP rules,
// the body bound, the fan-out report's call log, the deadline and the
// request's loaders.
func (g *Gateway) requestMiddleware() []func(http.Handler) http.Handler {
	cfg := g.cfg
	return []func(http.Handler) http.Handler{
		spec,
		limitBody(cfg.MaxBodyBytes),
		g.withCallLog(cfg.FanoutReport),
		withPlanRequest(cfg.PlanReport),
		withDeadline(cfg.RequestTimeout),
		g.loaders.Middleware,
	}
}
