package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"

	"github.com/tributary-gw/tributary/graph/served"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/internal/telemetry"
	"github.com/tributary-gw/tributary/services/demo"
)

// serve runs the gateway for cfg until ctx ends, then drains: the public
// listener, the demo backends for services without a URL, the contract
// checks, telemetry, the gateway, the admin listener.
func serve(ctx context.Context, cfg *config.Config, stderr io.Writer, onListen func(listening, *gateway.Gateway)) error {
	log := newLogger(cfg.Log, stderr)
	// The public listener comes first: whether the demo's fault switches
	// may be served on it depends on where it listens.
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close() // after Serve, a no-op
	backends, err := startDemo(cfg, log)
	if err != nil {
		return err
	}
	if backends != nil {
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = backends.Close(sctx)
		}()
	}
	// contract_check: the published contracts against the checked-in ones
	// (for services without a URL, the demo's or the stand-in's own).
	if err := startContractChecks(ctx, cfg, log); err != nil {
		return err
	}
	obs, err := newObservability(ctx)
	if err != nil {
		return err
	}
	defer obs.shutdown()
	admin, routes := operatorRoutes(cfg, obs.metrics)
	if backends != nil {
		mountDemo(cfg, log, ln.Addr(), demoAdmin(backends), admin, routes)
	}
	gw, err := gateway.New(cfg, served.Graph(), obs.gatewayOptions(log, routes))
	if err != nil {
		return err
	}
	defer gw.Close()
	obs.watchCaches(gw)
	return listenAndDrain(ctx, cfg, log, ln, admin, gw, onListen)
}

// startDemo starts the demo backends when some service has no URL and
// points those services at them (a stand-in built from its contract
// serves one the demo does not implement); nil when every service has a
// URL.
func startDemo(cfg *config.Config, log *slog.Logger) (*demo.Backends, error) {
	missing := cfg.MissingURLs()
	if len(missing) == 0 {
		return nil, nil
	}
	backends, err := demo.Start(demo.DefaultDataset(), "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start demo backends: %w", err)
	}
	backends.SetFaults(demo.Faults{Latency: cfg.Demo.Latency, Jitter: cfg.Demo.Jitter, ErrorRate: cfg.Demo.ErrorRate})
	urls := backends.URLs()
	for _, s := range missing {
		sc := cfg.Service(s)
		sc.URL = urls[demo.Service(s)]
		cfg.SetService(s, sc)
	}
	log.Info("started the demo backends for the services without a URL", "services", missing, "urls", urls)
	if standIns := backends.StandIns(); len(standIns) > 0 {
		log.Warn("services without a URL and without a demo implementation run on stand-ins: deterministic data shaped by their contracts (set their url to use the real service)",
			"services", standIns)
	}
	return backends, nil
}

// observability is the process's metrics registry and tracer.
type observability struct {
	reg        *prometheus.Registry
	metrics    *telemetry.Metrics
	overBudget prometheus.Counter
	tp         trace.TracerProvider
	stop       func(context.Context) error
}

func newObservability(ctx context.Context) (*observability, error) {
	o := &observability{reg: prometheus.NewRegistry()}
	o.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	o.metrics = telemetry.NewMetrics(o.reg)
	o.overBudget = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tributary_fanout_budget_exceeded_total",
		Help: "Operations that wanted more backend calls than their fan-out budget (names are in the log).",
	})
	o.reg.MustRegister(o.overBudget)
	tp, shutdownTracing, err := telemetry.NewTracerProvider(ctx)
	if err != nil {
		return nil, err
	}
	o.tp, o.stop = tp, shutdownTracing
	return o, nil
}

// shutdown flushes the traces, for at most five seconds.
func (o *observability) shutdown() {
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = o.stop(sctx)
}

// gatewayOptions plug metrics, tracing and the access log into the gateway.
func (o *observability) gatewayOptions(log *slog.Logger, routes map[string]http.Handler) gateway.Options {
	return gateway.Options{
		Logger:        log,
		Observer:      o.metrics,
		PolicyHooks:   o.metrics.PolicyHooks(),
		CacheObserver: o.metrics,
		OnRedisError:  o.metrics.RedisError,
		OnOperation:   o.metrics.Operation,
		Transport:     telemetry.TraceTransport(o.tp),
		Extensions:    []graphql.HandlerExtension{o.metrics.Extension(), telemetry.TracingExtension(o.tp), telemetry.AccessLogExtension()},
		// Tracing outside the access log, so log lines carry the trace id.
		// Probes and scrapes every few seconds would drown the access log.
		Middleware: []func(http.Handler) http.Handler{telemetry.TraceMiddleware(o.tp),
			except(telemetry.AccessLog(log), "/healthz", "/readyz", "/metrics")},
		Routes: routes,
		// The operation name is in the log line; a label would be unbounded.
		OnBudgetExceeded: func(string) { o.overBudget.Inc() },
	}
}

// watchCaches exports the gateway's cache sizes as metrics.
func (o *observability) watchCaches(gw *gateway.Gateway) {
	o.reg.MustRegister(telemetry.CacheCollector(func() []telemetry.CacheSize {
		var out []telemetry.CacheSize
		for _, c := range gw.CacheSizes() {
			out = append(out, telemetry.CacheSize{Cache: c.Cache, Bytes: c.Bytes, Entries: c.Entries})
		}
		return out
	}))
}

// operatorRoutes places the operators' endpoints: with an admin listener
// they live there only (metrics, health, pprof); without one, /metrics is a
// route of the public mux. routes are the public mux's extra routes.
func operatorRoutes(cfg *config.Config, metrics *telemetry.Metrics) (admin *http.ServeMux, routes map[string]http.Handler) {
	admin = http.NewServeMux()
	routes = map[string]http.Handler{}
	if cfg.AdminAddr == "" {
		routes["GET /metrics"] = metrics.Handler()
		return admin, routes
	}
	admin.Handle("GET /metrics", metrics.Handler())
	admin.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	admin.HandleFunc("/debug/pprof/", pprof.Index)
	admin.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	admin.HandleFunc("/debug/pprof/profile", pprof.Profile)
	admin.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	admin.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return admin, routes
}

// mountDemo serves the demo backends' admin endpoints (faults, counters)
// under /_demo/pricing/faults, /_demo/catalog/stats, …: anyone who reaches
// them can take a service down, so only on the admin listener, or on the
// public one when it listens on loopback only. What they answer to GET
// changes nothing (the contract -check-contracts reads, the counters, the
// faults set): on the public listener always.
func mountDemo(cfg *config.Config, log *slog.Logger, public net.Addr, demoRoutes http.Handler, admin *http.ServeMux, routes map[string]http.Handler) {
	// Each service's contract is read-only and what -check-contracts
	// fetches by default: on the public listener always.
	routes["GET /_demo/{service}/openapi.yaml"] = demoRoutes
	const pattern = "/_demo/{service}/{rest...}"
	routes["GET "+pattern] = demoRoutes
	switch {
	case cfg.AdminAddr != "":
		admin.Handle(pattern, demoRoutes)
		log.Info("demo fault injection on the admin listener", "path", "PUT /_demo/{service}/faults")
	case isLoopback(public):
		routes[pattern] = demoRoutes
		log.Info("demo fault injection on the (loopback) public listener", "path", "PUT /_demo/{service}/faults")
	default:
		log.Warn("demo fault injection is not served: the public listener is not loopback and there is no admin_addr")
	}
}

// listenAndDrain serves gw on ln (and admin on admin_addr) until ctx ends
// or a listener fails; then readiness fails first so load balancers stop
// routing here, the listener closes and in-flight requests get the
// shutdown timeout to finish.
func listenAndDrain(ctx context.Context, cfg *config.Config, log *slog.Logger, ln net.Listener, admin *http.ServeMux, gw *gateway.Gateway, onListen func(listening, *gateway.Gateway)) error {
	addrs := listening{Public: ln.Addr()}
	var adminSrv *http.Server
	adminErrc := make(chan error, 1)
	if cfg.AdminAddr != "" {
		admin.Handle("GET /readyz", gw.ReadyHandler())
		aln, err := net.Listen("tcp", cfg.AdminAddr)
		if err != nil {
			return fmt.Errorf("listen (admin): %w", err)
		}
		addrs.Admin = aln.Addr()
		adminSrv = newAdminServer(admin, log)
		go func() { adminErrc <- adminSrv.Serve(aln) }()
		log.Info("admin listening", "addr", aln.Addr().String(), "paths", "/metrics /readyz /debug/pprof/")
	}
	if onListen != nil {
		onListen(addrs, gw)
	}
	srv := newPublicServer(gw, cfg.RequestTimeout, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("tributary listening", "addr", ln.Addr().String(), "playground", "http://"+displayAddr(ln.Addr())+"/")

	select {
	case err := <-errc:
		if adminSrv != nil {
			adminSrv.Close()
		}
		return err
	case err := <-adminErrc:
		srv.Close()
		return fmt.Errorf("admin listener: %w", err)
	case <-ctx.Done():
	}
	gw.Drain()
	log.Info("draining: /readyz now fails", "drain_delay", cfg.DrainDelay, "shutdown_timeout", cfg.ShutdownTimeout)
	if cfg.DrainDelay > 0 {
		time.Sleep(cfg.DrainDelay)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if adminSrv != nil {
		// After the public listener: /readyz keeps answering "draining"
		// while in-flight queries finish.
		defer adminSrv.Close()
	}
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func newPublicServer(h http.Handler, requestTimeout time.Duration, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Longer than the request deadline so a partial response can still
		// be written after it.
		WriteTimeout:   requestTimeout + 10*time.Second,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func newAdminServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		// A CPU profile or trace streams for its ?seconds= (30 by
		// default) before the first byte.
		WriteTimeout:   2 * time.Minute,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
