package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// pair is two gateways over the same demo backends: one running operations
// on the plan engine, the reference on gqlgen's executor. (For writes, each
// has its own: refBackends, an identical set.)
type pair struct {
	t           *testing.T
	backends    *tributarytest.Backends
	refBackends *tributarytest.Backends
	plan, ref   *tributarytest.Gateway
	mu          sync.Mutex
	engines     map[string]int // operations per engine, on the plan gateway
}

func newPair(t *testing.T, mods ...func(*config.Config)) *pair {
	t.Helper()
	b := tributarytest.StartBackends(t, nil)
	return newPairOver(t, b, b, mods...)
}

// newPairOver is a pair whose plan gateway calls planB and whose
// reference calls refB.
func newPairOver(t *testing.T, planB, refB *tributarytest.Backends, mods ...func(*config.Config)) *pair {
	t.Helper()
	p := &pair{t: t, backends: planB, refBackends: refB, engines: map[string]int{}}
	build := func(eng string, b *tributarytest.Backends, onOp func(string)) *tributarytest.Gateway {
		return tributarytest.StartGateway(t, b.Config(mods...), gateway.Options{OnOperation: onOp, Reference: eng == engine.GQLGen})
	}
	p.plan = build(engine.Plan, planB, func(eng string) {
		p.mu.Lock()
		p.engines[eng]++
		p.mu.Unlock()
	})
	p.ref = build(engine.GQLGen, refB, nil)
	return p
}

// ask sends one request to gw and returns its body.
func (p *pair) ask(gw *tributarytest.Gateway, tok, q string, vars map[string]any) []byte {
	p.t.Helper()
	var header []string
	if tok != "" {
		header = []string{"Authorization", "Bearer " + tok}
	}
	return gw.Query(q, vars, header...).Raw
}

// canonical is a response made comparable: data byte for byte (key order
// included), errors and stale answers sorted (gqlgen adds them in the
// order its goroutines finish), the paths a collapsed error lists sorted
// with the first of them as its path, and ages of stale answers zeroed.
func canonical(t *testing.T, raw []byte) string {
	var r struct {
		Data       json.RawMessage  `json:"data"`
		Errors     []map[string]any `json:"errors"`
		Extensions map[string]any   `json:"extensions"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, raw)
	}
	var errs []string
	for _, e := range r.Errors {
		if ext, ok := e["extensions"].(map[string]any); ok {
			if ps, ok := ext["affectedPaths"].([]any); ok {
				ss := make([]string, len(ps))
				for i, p := range ps {
					b, _ := json.Marshal(p)
					ss[i] = string(b)
				}
				slices.Sort(ss)
				ext["affectedPaths"] = ss
				e["path"] = ss[0]
			}
		}
		b, _ := json.Marshal(e)
		errs = append(errs, string(b))
	}
	slices.Sort(errs)
	if trib, ok := r.Extensions["tributary"].(map[string]any); ok {
		if stale, ok := trib["stale"].([]any); ok {
			var ss []string
			for _, s := range stale {
				m := s.(map[string]any)
				m["ageSeconds"] = 0
				b, _ := json.Marshal(m)
				ss = append(ss, string(b))
			}
			slices.Sort(ss)
			trib["stale"] = ss
		}
	}
	ext, _ := json.Marshal(r.Extensions)
	return fmt.Sprintf("data: %s\nerrors:\n%s\nextensions: %s", r.Data, joinLines(errs), ext)
}

func joinLines(ss []string) string {
	var b bytes.Buffer
	for _, s := range ss {
		b.WriteString("  " + s + "\n")
	}
	return b.String()
}

// differentialRuns is the number of random operations compared.
const differentialRuns = 1500

// Random operations from the schema — nested, aliased, with fragments,
// inline fragments, @skip/@include on variables, unknown ids, arguments
// in and out of range, as an anonymous caller, the owner, a stranger and
// staff, with a service down or too slow now and then — get the same
// response from the plan engine as from gqlgen's executor: data byte for
// byte, errors with their paths, codes and locations. In total the plan
// makes no more backend calls than gqlgen's executor, as the backends
// count them.
func TestDifferentialPlanMatchesGQLGen(t *testing.T) {
	t.Parallel()
	d := newDifferential(t)
	var planCalls, refCalls int64
	var faulted, differ int
	for seed := range uint64(differentialRuns) {
		pc, rc, f := d.compare(t, seed, seed)
		if f {
			faulted++
		}
		// gqlgen's executor batches by the loaders' wait window, which a
		// loaded machine can split, and which answers are in when the plan
		// dispatches depends on timing too: the calls are compared in
		// total.
		if pc != rc {
			differ++
		}
		planCalls += pc
		refCalls += rc
	}
	p := d.p
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Logf("%d operations (%d under faults): plan ran %d, gqlgen %d (the others were refused before execution); backend calls: plan %d, gqlgen %d, differing on %d operations",
		differentialRuns, faulted, p.engines[engine.Plan], p.engines[engine.GQLGen], planCalls, refCalls, differ)
	if p.engines[engine.GQLGen] > 0 || p.engines[engine.Plan] < differentialRuns*3/4 {
		t.Errorf("%d operations ran on the plan, %d on gqlgen's executor; want every one that ran on the plan", p.engines[engine.Plan], p.engines[engine.GQLGen])
	}
	if planCalls > refCalls+refCalls/100 {
		t.Errorf("the plan made %d backend calls in all, gqlgen's executor %d", planCalls, refCalls)
	}
}

// FuzzDifferential is the differential test over any seed: the generator's
// query for the seed, a caller and faults chosen by the second.
func FuzzDifferential(f *testing.F) {
	for _, s := range []uint64{1, 7, 250, 820} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, seed, faults uint64) {
		// A pair per input: the backends and gateways live as long as t.
		d := newDifferential(t)
		d.defers = faults%2 == 1 // @defer in half the inputs
		d.compare(t, seed, faults)
	})
}

// differential is a pair set up to compare random operations.
type differential struct {
	p       *pair
	schema  *ast.Schema
	callers []string
	// defers has the generator write @defer; such operations are read
	// whole as multipart/mixed (see deferdiff_test.go).
	defers bool
}

func newDifferential(t *testing.T) *differential {
	p := newPair(t, differentialConfig()...)
	return &differential{
		p: p, schema: graph.NewExecutableSchema(graph.Config{}).Schema(),
		callers: []string{"", token(t, "u1"), token(t, "u2"), token(t, "u9", "support")},
	}
}

// differentialConfig is the gateways' configuration in the differential
// tests: no limits in the way, no cache, no retries, no breaker.
func differentialConfig() []func(*config.Config) {
	return []func(*config.Config){withJWT, func(c *config.Config) {
		c.Limits.MaxDepth, c.Limits.MaxAliases, c.Limits.MaxBackendCalls, c.Limits.MaxItems = 0, 0, 0, 0
		c.Budget.DefaultCalls = 0
		c.Cache.Enabled = false // calls are compared per operation
		c.FanoutReport = false
	}, eachService(func(_ string, sc *config.ServiceConfig) {
		sc.Timeout = 500 * time.Millisecond // long enough for a loaded machine under -race
		sc.MaxRetries = 0
		// A breaker opens by the calls each gateway has seen; the two are
		// compared under the same faults, not the same history.
		sc.BreakerConsecutiveFailures, sc.BreakerFailureRatio = 0, 0
	})}
}

// compare runs the query of seed on both gateways, under the faults that
// sel picks, and fails t when the responses differ; it returns the backend
// calls of each and whether a fault was injected.
func (d *differential) compare(t *testing.T, seed, sel uint64) (planCalls, refCalls int64, faulted bool) {
	p := d.p
	g := newQueryGen(d.schema, seed)
	g.withAuth, g.directives, g.defers = true, true, d.defers
	q, vars := g.query()
	if _, errs := gqlparser.LoadQueryWithRules(d.schema, q, nil); errs != nil {
		t.Fatalf("seed %d: the generator wrote an invalid query (%v):\n%s", seed, errs, q)
	}
	tok := d.callers[g.rnd.IntN(len(d.callers))]
	// Faults: now and then one service fails, or answers too late.
	var faults demo.Faults
	switch {
	case sel%250 == 0:
		faults = demo.Faults{Latency: 700 * time.Millisecond}
	case sel%7 == 0:
		faults = demo.Faults{Down: true}
	}
	var svc demo.Service
	if faults != (demo.Faults{}) {
		services := demo.AllServices()
		svc = services[int(sel/7)%len(services)]
		p.backends.Server(svc).SetFaults(faults)
		defer p.backends.Server(svc).SetFaults(demo.Faults{})
	}
	var c, w string
	// Without an injected fault a call can still miss its timeout on a
	// loaded machine (-race, parallel packages), on one side and not the
	// other: such a pair is asked again, a few times at most.
	for try := 0; ; try++ {
		p.backends.ResetStats()
		if strings.Contains(q, "@defer") {
			got := p.askStream(p.plan, tok, q, vars)
			planCalls = p.backends.TotalCalls()
			p.backends.ResetStats()
			want := p.askStream(p.ref, tok, q, vars)
			refCalls = p.backends.TotalCalls()
			c, w = canonicalStream(t, got), canonicalStream(t, want)
		} else {
			got := p.ask(p.plan, tok, q, vars)
			planCalls = p.backends.TotalCalls()
			p.backends.ResetStats()
			want := p.ask(p.ref, tok, q, vars)
			refCalls = p.backends.TotalCalls()
			c, w = canonical(t, got), canonical(t, want)
		}
		if c == w || try == 3 || faults != (demo.Faults{}) ||
			!strings.Contains(c+w, `"SERVICE_TIMEOUT"`) {
			break
		}
	}
	if c != w {
		t.Fatalf("seed %d (caller %d, faults %+v on %s): the plan's response differs from gqlgen's\nquery: %s\nvars: %v\nplan:\n%s\ngqlgen:\n%s",
			seed, slices.Index(d.callers, tok), faults, svc, q, vars, c, w)
	}
	return planCalls, refCalls, faults != (demo.Faults{})
}
