//go:generate go run ./internal/compose/cmd/compose

// Command tributary is a GraphQL gateway over six backend REST services.
//
//	tributary [-config file.yaml]      run the gateway
//	tributary -check-config            validate the configuration and exit
//	tributary -print-config-reference  print the configuration reference (Markdown)
//	tributary -print-schema            print the public schema (SDL)
//	tributary -check-schema [-baseline api/schema.graphql] [-operations manifest.json|dir]
//	                                   compare the schema with the baseline; exit 1 on breaking
//	                                   changes or, given the operations clients use, on those
//	                                   that break one of them
//	tributary -check-contracts [-contract NAME=PATH|URL]... [-operations manifest.json|dir]
//	                                   compare the services' published contracts with the
//	                                   checked-in ones; exit 1 when a change breaks a field the
//	                                   graph serves (naming the connectors, fields and registered
//	                                   operations), 2 when a contract cannot be checked
//	tributary -explain op.graphql [-variables JSON] [-operation name] [-json]
//	                                   print the operation's plan: rounds, calls, cost estimate
//
// Services without a URL run on the embedded demo backends, or on stand-ins
// built from their contracts when the demo does not implement them.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"golang.org/x/term"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/internal/redisstore"
	"github.com/tributary-gw/tributary/internal/schemadiff"
	"github.com/tributary-gw/tributary/internal/telemetry"
	"github.com/tributary-gw/tributary/services/demo"
)

func main() {
	// go-redis logs through a process-wide logger, once per failed
	// reconnect, in its own format; the gateway logs when a use of Redis
	// fails and recovers (internal/redisstore), so its lines are dropped.
	redis.SetLogger(redisstore.LibraryLog(slog.New(slog.DiscardHandler)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr, nil); err != nil {
		var exit *exitError
		if errors.As(err, &exit) {
			if exit.err != nil {
				fmt.Fprintln(os.Stderr, "tributary:", exit.err)
			}
			os.Exit(exit.code)
		}
		fmt.Fprintln(os.Stderr, "tributary:", err)
		os.Exit(1)
	}
}

// errBreaking makes -check-schema exit non-zero after its report.
var (
	errBreaking         = errors.New("the schema has breaking changes against the baseline")
	errBreaksOperations = errors.New("the schema has changes that break registered operations")
)

// listening is where the program listens; Admin is nil without
// admin_addr.
type listening struct {
	Public, Admin net.Addr
}

// run is the whole program; ctx ends on SIGINT/SIGTERM. onListen, if set,
// is told the listening addresses and the gateway (tests use it).
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer, onListen func(listening, *gateway.Gateway)) error {
	fs := flag.NewFlagSet("tributary", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration file (environment variables TRIBUTARY_* override it)")
	checkConfig := fs.Bool("check-config", false, "validate the configuration and exit")
	printRef := fs.Bool("print-config-reference", false, "print the configuration reference as Markdown and exit")
	printSchema := fs.Bool("print-schema", false, "print the public schema (SDL) and exit")
	checkSchema := fs.Bool("check-schema", false, "compare the schema with -baseline, print the changes, exit 1 on breaking ones")
	baseline := fs.String("baseline", "api/schema.graphql", "baseline schema for -check-schema")
	operations := fs.String("operations", "", "for -check-schema and -check-contracts: the operations clients use, a trusted-documents manifest (.json) or a directory of .graphql files; "+
		"-check-schema fails only on changes that break one of them, -check-contracts names the ones each change breaks (default: the configuration's persisted.manifest, if set)")
	checkContracts := fs.Bool("check-contracts", false, "compare each service's published contract (contract_url, or -contract) with the checked-in one; exit 1 when a change breaks what the graph reads or writes, 2 when a contract cannot be checked")
	contracts := contractFlags{}
	fs.Var(contracts, "contract", "for -check-contracts: NAME=PATH|URL, the published contract of service NAME (repeatable; only the services given are checked)")
	explain := fs.String("explain", "", "print the plan of the operation in this .graphql file (rounds, backend calls, where keys come from, the cost estimate, the engine) and exit")
	variables := fs.String("variables", "", "for -explain: the variables, as a JSON object")
	operation := fs.String("operation", "", "for -explain: the operation's name, when the file has several")
	asJSON := fs.Bool("json", false, "for -explain: print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *explain != "" {
		cfg, err := config.Load(*configPath, environ)
		if err != nil {
			return err
		}
		return explainCommand(cfg, *explain, *variables, *operation, *asJSON, stdout)
	}
	if *printRef {
		_, err := io.WriteString(stdout, config.Reference())
		return err
	}
	if *printSchema || *checkSchema {
		ops := *operations
		if *checkSchema && ops == "" {
			cfg, err := config.Load(*configPath, environ)
			if err != nil {
				return err
			}
			ops = cfg.Persisted.Manifest
		}
		return schemaCommand(*checkSchema, *baseline, ops, stdout)
	}
	cfg, err := config.Load(*configPath, environ)
	if err != nil {
		return err
	}
	if *checkContracts {
		ops := *operations
		if ops == "" {
			ops = cfg.Persisted.Manifest
		}
		return contractsCommand(ctx, cfg, contracts, ops, stdout)
	}
	// The demo backends serve the services without a URL; a stand-in built
	// from its contract serves one the demo does not implement.
	missing := cfg.MissingURLs()
	if *checkConfig {
		fmt.Fprintln(stdout, "configuration OK")
		return nil
	}
	log := newLogger(cfg.Log, stderr)

	// The public listener comes first: whether the demo's fault switches
	// may be served on it depends on where it listens.
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close() // after Serve, a no-op

	routes := map[string]http.Handler{}
	var demoRoutes http.Handler
	if len(missing) > 0 {
		backends, err := demo.Start(demo.DefaultDataset(), "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("start demo backends: %w", err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = backends.Close(sctx)
		}()
		backends.SetFaults(demo.Faults{Latency: cfg.Demo.Latency, Jitter: cfg.Demo.Jitter, ErrorRate: cfg.Demo.ErrorRate})
		urls := backends.URLs()
		for _, s := range missing {
			sc := cfg.Service(s)
			sc.URL = urls[demo.Service(s)]
			cfg.SetService(s, sc)
		}
		demoRoutes = demoAdmin(backends)
		log.Info("started the demo backends for the services without a URL", "services", missing, "urls", urls)
		if standIns := backends.StandIns(); len(standIns) > 0 {
			log.Warn("services without a URL and without a demo implementation run on stand-ins: deterministic data shaped by their contracts (set their url to use the real service)",
				"services", standIns)
		}
	}
	// contract_check: the published contracts against the checked-in ones
	// (for services without a URL, the demo's or the stand-in's own).
	if err := startContractChecks(ctx, cfg, log); err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := telemetry.NewMetrics(reg)
	overBudget := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tributary_fanout_budget_exceeded_total",
		Help: "Operations that wanted more backend calls than their fan-out budget (names are in the log).",
	})
	reg.MustRegister(overBudget)
	tp, shutdownTracing, err := telemetry.NewTracerProvider(ctx)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdownTracing(sctx)
	}()

	// With an admin listener, operators' endpoints live there only.
	admin := http.NewServeMux()
	if cfg.AdminAddr != "" {
		admin.Handle("GET /metrics", metrics.Handler())
		admin.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
		admin.HandleFunc("/debug/pprof/", pprof.Index)
		admin.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		admin.HandleFunc("/debug/pprof/profile", pprof.Profile)
		admin.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		admin.HandleFunc("/debug/pprof/trace", pprof.Trace)
	} else {
		routes["GET /metrics"] = metrics.Handler()
	}
	// The demo backends' admin endpoints (faults, counters) under
	// /_demo/pricing/faults, /_demo/catalog/stats, …: anyone who reaches
	// them can take a service down, so only on the admin listener, or on
	// the public one when it listens on loopback only. What they answer to
	// GET changes nothing (the contract -check-contracts reads, the
	// counters, the faults set): on the public listener always.
	if demoRoutes != nil {
		// Each service's contract is read-only and what -check-contracts
		// fetches by default: on the public listener always.
		routes["GET /_demo/{service}/openapi.yaml"] = demoRoutes
		const pattern = "/_demo/{service}/{rest...}"
		routes["GET "+pattern] = demoRoutes
		switch {
		case cfg.AdminAddr != "":
			admin.Handle(pattern, demoRoutes)
			log.Info("demo fault injection on the admin listener", "path", "PUT /_demo/{service}/faults")
		case isLoopback(ln.Addr()):
			routes[pattern] = demoRoutes
			log.Info("demo fault injection on the (loopback) public listener", "path", "PUT /_demo/{service}/faults")
		default:
			log.Warn("demo fault injection is not served: the public listener is not loopback and there is no admin_addr")
		}
	}
	gw, err := gateway.New(cfg, gateway.Options{
		Logger:        log,
		Observer:      metrics,
		PolicyHooks:   metrics.PolicyHooks(),
		CacheObserver: metrics,
		OnRedisError:  metrics.RedisError,
		OnOperation:   metrics.Operation,
		Transport:     telemetry.TraceTransport(tp),
		Extensions:    []graphql.HandlerExtension{metrics.Extension(), telemetry.TracingExtension(tp), telemetry.AccessLogExtension()},
		// Tracing outside the access log, so log lines carry the trace id.
		// Probes and scrapes every few seconds would drown the access log.
		Middleware: []func(http.Handler) http.Handler{telemetry.TraceMiddleware(tp),
			except(telemetry.AccessLog(log), "/healthz", "/readyz", "/metrics")},
		Routes: routes,
		// The operation name is in the log line; a label would be unbounded.
		OnBudgetExceeded: func(string) { overBudget.Inc() },
	})
	if err != nil {
		return err
	}
	defer gw.Close()
	reg.MustRegister(telemetry.CacheCollector(func() []telemetry.CacheSize {
		var out []telemetry.CacheSize
		for _, c := range gw.CacheSizes() {
			out = append(out, telemetry.CacheSize{Cache: c.Cache, Bytes: c.Bytes, Entries: c.Entries})
		}
		return out
	}))

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
		adminSrv = &http.Server{
			Handler:           admin,
			ReadHeaderTimeout: 5 * time.Second,
			// A CPU profile or trace streams for its ?seconds= (30 by
			// default) before the first byte.
			WriteTimeout:   2 * time.Minute,
			IdleTimeout:    120 * time.Second,
			MaxHeaderBytes: 64 << 10,
			ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		go func() { adminErrc <- adminSrv.Serve(aln) }()
		log.Info("admin listening", "addr", aln.Addr().String(), "paths", "/metrics /readyz /debug/pprof/")
	}
	if onListen != nil {
		onListen(addrs, gw)
	}
	srv := &http.Server{
		Handler:           gw,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Longer than the request deadline so a partial response can still
		// be written after it.
		WriteTimeout:   cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
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
	// Readiness fails first so load balancers stop routing here, then the
	// listener closes and in-flight requests get the drain time to finish.
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

// except applies mw to every request but those for the given paths.
func except(mw func(http.Handler) http.Handler, paths ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		wrapped := mw(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if slices.Contains(paths, r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			wrapped.ServeHTTP(w, r)
		})
	}
}

// demoAdmin routes /_demo/{service}/… to that backend's own admin endpoint
// /_demo/… (faults and counters of a demo backend, the contract of any).
func demoAdmin(b *demo.Backends) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv := b.Handler(demo.Service(r.PathValue("service")))
		if srv == nil {
			http.Error(w, `{"error":"unknown service"}`, http.StatusNotFound)
			return
		}
		r2 := r.Clone(r.Context())
		// What follows /_demo/{service}/ ({rest...}, or the fixed tail of
		// a pattern such as GET /_demo/{service}/openapi.yaml).
		r2.URL.Path = "/_demo/" + strings.TrimPrefix(r.URL.Path, "/_demo/"+r.PathValue("service")+"/")
		r2.URL.RawPath = ""
		srv.ServeHTTP(w, r2)
	})
}

// schemaCommand prints the public schema, or checks it against a baseline.
// With operations (a manifest or a directory of .graphql files), only a
// breaking change that breaks one of them fails the check; the others are
// reported as breaking in theory.
// explainCommand prints the plan of the operation in file.
func explainCommand(cfg *config.Config, file, variables, operation string, asJSON bool, stdout io.Writer) error {
	q, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var vars map[string]any
	if variables != "" {
		d := json.NewDecoder(strings.NewReader(variables))
		d.UseNumber()
		if err := d.Decode(&vars); err != nil {
			return fmt.Errorf("-variables: %w", err)
		}
	}
	x, err := gateway.Explain(cfg, string(q), operation, vars)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(x)
	}
	x.Print(stdout)
	fmt.Fprintf(stdout, "cost estimate: %d backend calls %v, %d items, depth %d\n", x.Cost.Calls, x.Cost.PerService, x.Cost.Items, x.Cost.Depth)
	return nil
}

func schemaCommand(check bool, baseline, operations string, stdout io.Writer) error {
	current := graph.NewExecutableSchema(graph.Config{}).Schema()
	if !check {
		_, err := io.WriteString(stdout, schemadiff.PublicSDL(current))
		return err
	}
	b, err := os.ReadFile(baseline)
	if err != nil {
		return fmt.Errorf("read baseline: %w", err)
	}
	old, err := schemadiff.Load(baseline, string(b))
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	changes := schemadiff.Compare(old, current)
	fmt.Fprintln(stdout, schemadiff.Report(changes))
	if operations != "" {
		ops, err := schemadiff.ReadOperations(operations)
		if err != nil {
			return err
		}
		usage := schemadiff.CheckOperations(old, current, changes, ops)
		fmt.Fprintln(stdout)
		fmt.Fprintln(stdout, schemadiff.UsageReport(usage, operations))
		if usage.Fails() {
			fmt.Fprintf(stdout, "\nThese changes break operations that clients registered: keep the old fields (deprecate them) until no client sends them.\n")
			return errBreaksOperations
		}
		return nil
	}
	if schemadiff.HasBreaking(changes) {
		fmt.Fprintf(stdout, "\nIf the breaking change is intended, accept it in the same commit:\n  go run . -print-schema > %s\n", baseline)
		return errBreaking
	}
	return nil
}

// isLoopback reports whether a listens on a loopback address only
// (127.0.0.1, ::1), not on every interface.
func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

func displayAddr(a net.Addr) string {
	s := a.String()
	if strings.HasPrefix(s, "[::]:") || strings.HasPrefix(s, "0.0.0.0:") {
		return "localhost:" + s[strings.LastIndex(s, ":")+1:]
	}
	return s
}

func newLogger(c config.LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	format := c.Format
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
