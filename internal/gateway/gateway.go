// Package gateway assembles Tributary: backend clients with their policies,
// the GraphQL executor with its transports and extensions, and the HTTP
// middleware chain. server.go adds the listener and signals; tests build a
// Gateway directly against httptest backends.
package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/sony/gobreaker/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/engine"
	selfhosted "github.com/tributary-gw/tributary/internal/playground"
	"github.com/tributary-gw/tributary/internal/redisstore"
	"github.com/tributary-gw/tributary/internal/schemadiff"
	"github.com/tributary-gw/tributary/internal/upstream"
	"github.com/tributary-gw/tributary/resolvers"
	"github.com/tributary-gw/tributary/services/loaders"
)

// Gateway is the assembled HTTP handler and what it owns.
type Gateway struct {
	cfg       *config.Config
	log       *slog.Logger
	transport *http.Transport
	policies  map[string]*upstream.Policy
	handler   http.Handler
	stale     *loaders.StaleCache
	cache     *connect.Cache
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
}

// New builds a gateway for cfg, whose backend URLs must all be set.
func New(cfg *config.Config, opts Options) (*Gateway, error) {
	g := &Gateway{
		cfg:       cfg,
		log:       opts.Logger,
		transport: upstream.NewTransport(upstream.TransportConfig{}),
		policies:  map[string]*upstream.Policy{},
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	var rt http.RoundTripper = g.transport
	if opts.Transport != nil {
		rt = opts.Transport(rt)
	}
	hc := upstream.NewHTTPClient(rt)
	bg, stop := context.WithCancel(context.Background())
	g.stop = stop
	built := false // the deferred clean-ups below run on failure only
	if cfg.Redis.URL != "" {
		rs, err := redisstore.New(redisstore.Config{
			URL: cfg.Redis.URL, Prefix: cfg.Redis.Prefix, Timeout: cfg.Redis.Timeout,
			Log: g.log, OnError: opts.OnRedisError,
		})
		if err != nil {
			stop()
			return nil, fmt.Errorf("gateway: %w", err)
		}
		g.redis = rs
		defer func() {
			if !built {
				_ = rs.Close()
			}
		}()
		if err := rs.Ping(bg); err != nil {
			g.log.Warn("redis does not answer yet: shared state degrades to in-process until it does", "err", err)
		}
	}
	secure, err := g.security(bg, cfg, upstream.NewHTTPClient(g.transport))
	if err != nil {
		stop()
		return nil, err
	}

	clients := loaders.Clients{}
	for _, name := range config.Services {
		sc := cfg.Service(name)
		p := upstream.NewPolicy(name, upstream.PolicyConfig{
			MaxRetries:                 sc.MaxRetries,
			RetryBackoff:               sc.RetryBackoff,
			RetryBudget:                sc.RetryBudget,
			RetryBurst:                 sc.RetryBurst,
			BreakerConsecutiveFailures: sc.BreakerConsecutiveFailures,
			BreakerFailureRatio:        sc.BreakerFailureRatio,
			BreakerMinRequests:         sc.BreakerMinRequests,
			BreakerWindow:              sc.BreakerWindow,
			BreakerCooldown:            sc.BreakerCooldown,
			BreakerProbes:              sc.BreakerProbes,
			MaxInFlight:                sc.MaxInFlight,
		}, opts.PolicyHooks)
		g.policies[name] = p
		ident := cfg.Auth.IdentityHeader
		if config.CallerIndependent(name) {
			ident = "" // its answers are the same for every caller
		}
		c, err := upstream.New(upstream.Config{
			Service:          name,
			BaseURL:          sc.URL,
			Timeout:          sc.Timeout,
			MaxResponseBytes: sc.MaxResponseBytes,
			Policy:           p,
			Forward:          sc.ForwardHeaders,
			IdentityHeader:   ident,
		}, hc, opts.Observer)
		if err != nil {
			stop()
			return nil, fmt.Errorf("gateway: %w", err)
		}
		clients[name] = c
	}
	critical := map[string]bool{}
	for _, name := range config.Services {
		critical[name] = cfg.Service(name).Critical
	}
	if cfg.FallbackEntries > 0 {
		g.stale = loaders.NewStaleCache(cfg.FallbackEntries, cfg.Memory.Fallback)
		if g.redis != nil {
			g.stale.Share(g.redis.Fallback())
		}
	}
	if cfg.Cache.Enabled {
		cc := connect.CacheConfig{
			Entries:  cfg.Cache.Entries,
			MaxBytes: cfg.Memory.EntityCache,
			MaxTTL:   cfg.Cache.MaxTTL,
			Observer: opts.CacheObserver,
			Log:      g.log,
		}
		if g.redis != nil {
			cc.Store = g.redis.Entities()
		}
		g.cache = connect.NewCache(cc)
		if g.redis != nil {
			g.wg.Go(func() { g.redis.Subscribe(bg, func(service, id string) { g.cache.Drop(service, id) }) })
		}
	}

	var share *connect.Share
	if cfg.Batch.Share && cfg.Batch.Mode != "off" {
		// Mode off measures one call per key: sharing would merge them.
		share = connect.NewShare(connect.ShareConfig{MaxQueued: cfg.Batch.ShareQueue})
	}

	root := &resolvers.Resolver{}
	var az *authorizer
	if cfg.Auth.Mode != "off" {
		az = &authorizer{staffRole: cfg.Auth.StaffRole}
	}
	ecfg := engine.Config{
		Schema:       graph.NewExecutableSchema(graph.Config{Resolvers: root}),
		Resolvers:    root,
		Runtime:      loaders.Runtime{},
		RootFailed:   rootFailed,
		OnOperation:  opts.OnOperation,
		Off:          cfg.Engine != "plan",
		MaxPlanBytes: int(cfg.Memory.Plans),
	}
	if az != nil {
		ecfg.Authorize = az.check
	}
	schema := engine.New(ecfg)
	g.engine = schema
	srv := handler.New(schema)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	// Streaming transports for @defer come before POST, which would
	// otherwise claim their requests.
	srv.AddTransport(transport.MultipartMixed{Boundary: "-", DeliveryTimeout: 5 * time.Millisecond})
	srv.AddTransport(transport.SSE{})
	srv.AddTransport(transport.POST{})
	// Bounded in bytes (a document's text and syntax tree) and in entries
	// (the loaders' per-document analyses keep as many).
	g.docs = newByteCache(cfg.Memory.QueryDocuments, 1000, documentWeight)
	srv.SetQueryCache(g.docs)
	if cfg.Limits.MaxTokens > 0 {
		srv.SetParserTokenLimit(cfg.Limits.MaxTokens)
	}
	g.limits = &Limits{
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
		// size, batch, argument bounds): swap in the directive registry
		// here.
		Fields:       NewSchemaFieldCost(schema.Schema()),
		VerdictBytes: cfg.Memory.Verdicts,
	}
	srv.Use(g.limits)
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		// "Did you mean …" would list the schema's field names to anyone.
		srv.SetDisableSuggestion(true)
	}
	srv.Use(&loaders.Batching{Schema: schema.Schema()})
	if cfg.Persisted.Manifest != "" {
		docs, err := loadManifest(cfg.Persisted.Manifest)
		if err != nil {
			stop()
			return nil, fmt.Errorf("gateway: %w", err)
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
	// After the mutators that may fill in the query (trusted documents,
	// APQ), so it sees the text that will be validated.
	srv.Use(newOverlapBound(0, cfg.Limits.MaxTokens))
	srv.SetErrorPresenter(presentError(g.log))
	srv.SetRecoverFunc(recoverPanic(g.log))
	var authorize func(ctx context.Context, rule, owner string) bool
	if az != nil {
		srv.Use(*az)
		authorize = az.allowed
	}
	perOp, _ := cfg.Budget.Parse() // validated by config
	srv.Use(budget{defaultCalls: cfg.Budget.DefaultCalls, perOperation: perOp, enforce: cfg.Budget.Enforce,
		log: g.log, onExceeded: opts.OnBudgetExceeded})
	srv.Use(criticalRoots{})
	// Innermost of the operation interceptors: what the others refuse is
	// never planned for the client.
	srv.Use(planReport{engine: schema, defaultListSize: cfg.Limits.DefaultListSize, fields: g.limits.Fields})
	srv.AroundResponses(reportDegradation)
	srv.AroundResponses(fanoutReport(cfg.Batch.Mode))
	srv.AroundResponses(collapseErrors)
	for _, ext := range opts.Extensions {
		srv.Use(ext)
	}

	mux := http.NewServeMux()
	gql := chain(srv, append(secure,
		spec,
		limitBody(cfg.MaxBodyBytes),
		withCallLog(cfg.FanoutReport),
		withPlanRequest(cfg.PlanReport),
		withDeadline(cfg.RequestTimeout),
		loaders.Middleware(clients, loaders.Config{
			Wait:      cfg.Batch.Wait,
			Backstop:  cfg.Batch.Backstop,
			Timer:     cfg.Batch.Mode == "timer",
			Disabled:  cfg.Batch.Mode == "off",
			Critical:  critical,
			Stale:     g.stale,
			Authorize: authorize,
			Cache:     g.cache,
			Share:     share,
		}),
	)...)
	mux.Handle("/graphql", gql)
	if cfg.Playground {
		pg := selfhosted.Handler("/graphql", g.log)
		mux.Handle("GET /{$}", pg)
		mux.Handle("GET "+selfhosted.AssetPrefix, pg)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, http.StatusOK, "ok\n")
	})
	g.ready = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.draining.Load() {
			writeText(w, http.StatusServiceUnavailable, "draining\n")
			return
		}
		// Each service's breaker, for people; readiness depends on them
		// only for critical services when configured, since a replica that
		// serves partial data is better than none.
		var b strings.Builder
		ready := true
		for _, name := range config.Services {
			state := g.policies[name].BreakerState()
			fmt.Fprintf(&b, "%s: %s\n", name, state)
			if cfg.ReadyzBackends && cfg.Service(name).Critical && state == gobreaker.StateOpen {
				ready = false
			}
		}
		if !ready {
			writeText(w, http.StatusServiceUnavailable, "not ready: a critical service's circuit is open\n"+b.String())
			return
		}
		writeText(w, http.StatusOK, "ready\n"+b.String())
	})
	if cfg.AdminAddr == "" {
		mux.Handle("GET /readyz", g.ready)
	}
	g.sdl = schemadiff.PublicSDL(schema.Schema())
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
	for pattern, h := range opts.Routes {
		mux.Handle(pattern, h)
	}
	g.handler = chain(chain(mux, opts.Middleware...), requestID)
	built = true
	return g, nil
}

// ReadyHandler answers /readyz (for the admin listener; the public mux
// serves it itself when no admin address is configured).
func (g *Gateway) ReadyHandler() http.Handler { return g.ready }

// PlansMade reports how many operation plans the engine has made (tests:
// a plan is kept and not made again).
func (g *Gateway) PlansMade() int64 { return g.engine.Planned() }

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
	if g.redis != nil {
		_ = g.redis.Close()
	}
	g.transport.CloseIdleConnections()
	g.stale.Close()
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

// CodeRequestTimeout answers a request whose deadline passed before its
// operation could run.
const CodeRequestTimeout = "REQUEST_TIMEOUT"

// withDeadline bounds every GraphQL request: backend calls made for it get
// the smaller of their own timeout and the time left. gqlgen answers an
// operation whose context is already done with a nil response, which its
// transports write as the body `null`; a client cannot tell that from a
// broken gateway, so that body is replaced by a GraphQL error with a code.
func withDeadline(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(&deadlineWriter{ResponseWriter: w, ctx: ctx}, r.WithContext(ctx))
		})
	}
}

type deadlineWriter struct {
	http.ResponseWriter
	ctx         context.Context
	wroteHeader bool
	wroteBody   bool
}

var nullBody = []byte("null")

func (w *deadlineWriter) WriteHeader(code int) {
	w.wroteHeader = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	if !w.wroteBody && w.ctx.Err() != nil && bytes.Equal(bytes.TrimSpace(b), nullBody) {
		w.wroteBody = true
		msg := "the request did not complete within its deadline"
		if !w.wroteHeader {
			status := http.StatusOK // application/json: errors travel in a 200
			if strings.HasPrefix(w.Header().Get("Content-Type"), "application/graphql-response+json") {
				status = http.StatusGatewayTimeout
			}
			w.Header().Del("Content-Length")
			w.ResponseWriter.WriteHeader(status)
		}
		_ = json.NewEncoder(w.ResponseWriter).Encode(map[string]any{
			"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": CodeRequestTimeout}}},
		})
		return len(b), nil
	}
	w.wroteBody = true
	return w.ResponseWriter.Write(b)
}

// Flush keeps streaming transports working through the wrapper.
func (w *deadlineWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// limitBody caps the request body. gqlgen reads bodies whole and answers a
// read error with 200, so the body is read here first: over the cap is a
// clean 413 before any parsing.
func limitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tooLarge := func() {
				writeRequestError(w, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE",
					fmt.Sprintf("request body is larger than %d bytes", n))
			}
			if r.ContentLength > n {
				tooLarge()
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				body, err := io.ReadAll(io.LimitReader(r.Body, n+1))
				if err != nil {
					writeRequestError(w, http.StatusBadRequest, "BAD_REQUEST", "could not read the request body")
					return
				}
				if int64(len(body)) > n {
					tooLarge()
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			next.ServeHTTP(w, r)
		})
	}
}

var _ graphql.ResponseMiddleware = collapseErrors
