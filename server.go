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
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	"golang.org/x/term"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/graph/served"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/internal/redisstore"
	"github.com/tributary-gw/tributary/internal/schemadiff"
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
	f, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if f.explain != "" || f.printRef || f.printSchema || f.checkSchema {
		return f.offline(environ, stdout)
	}
	cfg, err := config.Load(f.configPath, environ)
	if err != nil {
		return err
	}
	switch {
	case f.checkContracts:
		ops := f.operations
		if ops == "" {
			ops = cfg.Persisted.Manifest
		}
		return contractsCommand(ctx, cfg, f.contracts, ops, stdout)
	case f.checkConfig:
		fmt.Fprintln(stdout, "configuration OK")
		return nil
	}
	return serve(ctx, cfg, stderr, onListen)
}

// flags are the command line's.
type flags struct {
	configPath                                      string
	checkConfig, printRef, printSchema, checkSchema bool
	baseline, operations                            string
	checkContracts                                  bool
	contracts                                       contractFlags
	explain, variables, operation                   string
	asJSON                                          bool
}

func parseFlags(args []string, stderr io.Writer) (*flags, error) {
	f := &flags{contracts: contractFlags{}}
	fs := flag.NewFlagSet("tributary", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.configPath, "config", "", "YAML configuration file (environment variables TRIBUTARY_* override it)")
	fs.BoolVar(&f.checkConfig, "check-config", false, "validate the configuration and exit")
	fs.BoolVar(&f.printRef, "print-config-reference", false, "print the configuration reference as Markdown and exit")
	fs.BoolVar(&f.printSchema, "print-schema", false, "print the public schema (SDL) and exit")
	fs.BoolVar(&f.checkSchema, "check-schema", false, "compare the schema with -baseline, print the changes, exit 1 on breaking ones")
	fs.StringVar(&f.baseline, "baseline", "api/schema.graphql", "baseline schema for -check-schema")
	fs.StringVar(&f.operations, "operations", "", "for -check-schema and -check-contracts: the operations clients use, a trusted-documents manifest (.json) or a directory of .graphql files; "+
		"-check-schema fails only on changes that break one of them, -check-contracts names the ones each change breaks (default: the configuration's persisted.manifest, if set)")
	fs.BoolVar(&f.checkContracts, "check-contracts", false, "compare each service's published contract (contract_url, or -contract) with the checked-in one; exit 1 when a change breaks what the graph reads or writes, 2 when a contract cannot be checked")
	fs.Var(f.contracts, "contract", "for -check-contracts: NAME=PATH|URL, the published contract of service NAME (repeatable; only the services given are checked)")
	fs.StringVar(&f.explain, "explain", "", "print the plan of the operation in this .graphql file (rounds, backend calls, where keys come from, the cost estimate, the engine) and exit")
	fs.StringVar(&f.variables, "variables", "", "for -explain: the variables, as a JSON object")
	fs.StringVar(&f.operation, "operation", "", "for -explain: the operation's name, when the file has several")
	fs.BoolVar(&f.asJSON, "json", false, "for -explain: print JSON")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return f, nil
}

// offline runs the commands that need no backend: -explain,
// -print-config-reference, -print-schema and -check-schema.
func (f *flags) offline(environ []string, stdout io.Writer) error {
	if f.explain != "" {
		cfg, err := config.Load(f.configPath, environ)
		if err != nil {
			return err
		}
		return explainCommand(cfg, f.explain, f.variables, f.operation, f.asJSON, stdout)
	}
	if f.printRef {
		_, err := io.WriteString(stdout, config.Reference())
		return err
	}
	ops := f.operations
	if f.checkSchema && ops == "" {
		cfg, err := config.Load(f.configPath, environ)
		if err != nil {
			return err
		}
		ops = cfg.Persisted.Manifest
	}
	return schemaCommand(f.checkSchema, f.baseline, ops, stdout)
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
	x, err := gateway.Explain(cfg, served.Graph(), string(q), operation, vars)
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
