package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/compose"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/schemadiff"
)

// exitError makes the program exit with code after printing err (nil: no
// message).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// Exit codes of -check-contracts, for a backend team's CI.
const (
	contractsBreak   = 1 // a published contract breaks what the graph reads or writes
	contractsUnknown = 2 // a contract could not be fetched, parsed or checked
)

// contractFlags collects -contract NAME=PATH|URL.
type contractFlags map[string]string

func (c contractFlags) String() string { return fmt.Sprint(map[string]string(c)) }

func (c contractFlags) Set(v string) error {
	name, src, ok := strings.Cut(v, "=")
	if !ok || name == "" || src == "" {
		return fmt.Errorf("want NAME=PATH|URL, got %q", v)
	}
	c[name] = src
	return nil
}

// fetchTimeout bounds fetching one published contract.
const fetchTimeout = 10 * time.Second

// contractSource is where service publishes its contract: -contract, else
// contract_url, else <url>/openapi.yaml, else the demo's own, through the
// gateway's /_demo/<service>/openapi.yaml at listen_addr.
func contractSource(cfg *config.Config, overrides contractFlags, service string) string {
	if s := overrides[service]; s != "" {
		return s
	}
	sc := cfg.Service(service)
	if sc.ContractURL != "" {
		return sc.ContractURL
	}
	if sc.URL != "" {
		return strings.TrimSuffix(sc.URL, "/") + "/openapi.yaml"
	}
	host, port, err := net.SplitHostPort(cfg.ListenAddr)
	if err != nil {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/_demo/" + service + "/openapi.yaml"
}

// fetchContract reads an OpenAPI document from an http(s) URL or a file.
func fetchContract(ctx context.Context, client *http.Client, src string) (*openapi3.T, error) {
	var b []byte
	if u, err := url.Parse(src); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", src, resp.Status)
		}
		if b, err = io.ReadAll(io.LimitReader(resp.Body, 16<<20)); err != nil {
			return nil, fmt.Errorf("GET %s: %w", src, err)
		}
	} else {
		var err error
		if b, err = os.ReadFile(src); err != nil {
			return nil, err
		}
	}
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = false
	doc, err := l.LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("%s: not valid OpenAPI: %w", src, err)
	}
	return doc, nil
}

// composed is the graph analysed against the contracts the binary carries
// (the registry's copies of the checked-in ones).
func composed() (*compose.Graph, error) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	return compose.AnalyzeContracts(schema, func(name, _ string) ([]byte, error) {
		if b := registry.Contract(name); b != nil {
			return b, nil
		}
		return nil, fmt.Errorf("the registry carries no contract for %s (run go generate)", name)
	})
}

// serviceDrift is the check of one service.
type serviceDrift struct {
	service, source string
	changes         []compose.Drift
	err             error
}

func (s serviceDrift) breaks() bool {
	for _, c := range s.changes {
		if c.Breaking {
			return true
		}
	}
	return false
}

// checkContracts compares the published contract of each service in
// services with the checked-in one.
func checkContracts(ctx context.Context, g *compose.Graph, cfg *config.Config, overrides contractFlags, services []string) []serviceDrift {
	client := &http.Client{Timeout: fetchTimeout}
	out := make([]serviceDrift, 0, len(services))
	for _, s := range services {
		sd := serviceDrift{service: s, source: contractSource(cfg, overrides, s)}
		if sd.source == "" {
			sd.err = fmt.Errorf("no contract_url, url or listen address to find its contract at")
		} else if doc, err := fetchContract(ctx, client, sd.source); err != nil {
			sd.err = err
		} else {
			sd.changes, sd.err = g.Drift(s, doc)
		}
		out = append(out, sd)
	}
	return out
}

// contractsCommand is -check-contracts: it prints a report and returns an
// exitError with contractsBreak when a change breaks what the graph reads
// or writes, contractsUnknown when a contract could not be checked.
func contractsCommand(ctx context.Context, cfg *config.Config, overrides contractFlags, operations string, stdout io.Writer) error {
	for name := range overrides {
		if registry.Contract(name) == nil {
			return &exitError{contractsUnknown, fmt.Errorf("-contract %s: no such service (declared: %s)", name, strings.Join(registry.Services(), ", "))}
		}
	}
	g, err := composed()
	if err != nil {
		return &exitError{contractsUnknown, fmt.Errorf("compose the graph: %w", err)}
	}
	var ops []schemadiff.Operation
	if operations != "" {
		if ops, err = schemadiff.ReadOperations(operations); err != nil {
			return &exitError{contractsUnknown, err}
		}
	}
	services := registry.Services()
	if len(overrides) > 0 {
		services = services[:0]
		for _, s := range registry.Services() {
			if overrides[s] != "" {
				services = append(services, s)
			}
		}
	}
	results := checkContracts(ctx, g, cfg, overrides, services)
	selects := operationSelections(ops)
	code := 0
	for _, r := range results {
		checkedIn := ""
		for _, s := range registry.Sources() {
			if s.Name == r.service {
				checkedIn = s.Contract
			}
		}
		fmt.Fprintf(stdout, "%s: %s against %s\n", r.service, r.source, checkedIn)
		if r.err != nil {
			fmt.Fprintf(stdout, "  COULD NOT CHECK: %v\n", r.err)
			code = max(code, contractsUnknown)
			continue
		}
		if len(r.changes) == 0 {
			fmt.Fprintln(stdout, "  no changes")
		}
		for _, c := range r.changes {
			if !c.Breaking {
				fmt.Fprintf(stdout, "  safe      %s: %s\n", c.Where, c.What)
				continue
			}
			if code == 0 {
				code = contractsBreak
			}
			fmt.Fprintf(stdout, "  BREAKING  %s: %s\n", c.Where, c.What)
			for _, conn := range c.Connectors {
				fmt.Fprintf(stdout, "    connector  %s\n", conn)
			}
			fmt.Fprintf(stdout, "    fields     %s\n", strings.Join(c.Fields, ", "))
			if operations != "" {
				hit := selects.of(c.Selected)
				if len(hit) == 0 {
					hit = []string{"none"}
				}
				fmt.Fprintf(stdout, "    operations %s\n", strings.Join(hit, ", "))
			}
		}
	}
	if operations != "" {
		fmt.Fprintf(stdout, "\nRegistered operations: %d, from %s.\n", len(ops), operations)
		for _, bad := range selects.invalid {
			fmt.Fprintf(stdout, "  (not checked: %s)\n", bad)
		}
	}
	switch code {
	case contractsBreak:
		fmt.Fprintln(stdout, "\nThese changes break fields the graph serves: keep the old contract's shape (add, do not rename or remove) until the gateway follows.")
		return &exitError{code: contractsBreak}
	case contractsUnknown:
		return &exitError{code: contractsUnknown}
	}
	return nil
}

// selections are the fields each registered operation selects.
type selections struct {
	ops     []schemadiff.Operation
	fields  []map[string]string
	invalid []string
}

func operationSelections(ops []schemadiff.Operation) *selections {
	s := &selections{}
	if len(ops) == 0 {
		return s
	}
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, op := range ops {
		f, err := schemadiff.Selections(schema, op)
		if err != nil {
			s.invalid = append(s.invalid, fmt.Sprintf("%s (%s): %v", op.Name, op.Source, err))
			continue
		}
		s.ops = append(s.ops, op)
		s.fields = append(s.fields, f)
	}
	return s
}

// of lists the operations that select one of fields, each with where.
func (s *selections) of(fields []string) []string {
	var out []string
	// The fields read from a changed property name where an operation
	// reads it; the connector's own field (first) only where it does not.
	if len(fields) > 1 {
		fields = append(slices.Clone(fields[1:]), fields[0])
	}
	for i, op := range s.ops {
		for _, f := range fields {
			if where, ok := s.fields[i][f]; ok {
				out = append(out, fmt.Sprintf("%s (%s, at %s)", op.Name, op.Source, where))
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// startContractChecks runs contract_check at start for the services that
// ask for it: warn logs every change that breaks the graph; fail refuses to
// start on one, or when the contract cannot be fetched.
func startContractChecks(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	var services []string
	for _, s := range registry.Services() {
		if m := cfg.Service(s).ContractCheck; m == "warn" || m == "fail" {
			services = append(services, s)
		}
	}
	if len(services) == 0 {
		return nil
	}
	g, err := composed()
	if err != nil {
		return fmt.Errorf("contract_check: %w", err)
	}
	var errs []error
	for _, r := range checkContracts(ctx, g, cfg, nil, services) {
		fail := cfg.Service(r.service).ContractCheck == "fail"
		if r.err != nil {
			if fail {
				errs = append(errs, fmt.Errorf("%s.contract_check: %s: %w", r.service, r.source, r.err))
			} else {
				log.Warn("could not check the published contract", "service", r.service, "contract", r.source, "error", r.err)
			}
			continue
		}
		for _, c := range r.changes {
			if !c.Breaking {
				continue
			}
			log.Warn("the published contract breaks fields the graph serves", "service", r.service, "contract", r.source,
				"change", c.Where+": "+c.What, "connectors", c.Connectors, "fields", c.Fields)
		}
		if fail && r.breaks() {
			errs = append(errs, fmt.Errorf("%s.contract_check: %s breaks fields the graph serves (see the log)", r.service, r.source))
		}
	}
	return errors.Join(errs...)
}
