package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// mutationRuns is the number of random mutations compared.
const mutationRuns = 120

// Random mutations — one to three writes (addReview, cancelOrder,
// updateProfile, aliased apart), with valid and invalid arguments (out of
// range, unknown ids), as an anonymous caller, an owner, a stranger and
// staff, now and then with a service down, with an Idempotency-Key header
// or without, each selecting a random selection of what it returns (which
// reads after the write) — get the same response from the plan engine as
// from gqlgen's executor. Writes change the backends, so each gateway has
// its own set of demo backends, identical and stamping the same time:
// they stay identical as long as both gateways send the same writes, which
// the plan's backend call counts, compared with gqlgen's, also check.
//
// One mutation in four puts parts of its selection under @defer, which the
// plan ignores (everything comes in the one payload, see engine/
// mutation.go): its response, read as multipart/mixed, is compared with
// gqlgen's to the same mutation without @defer (gqlgen's executor runs a
// mutation's deferred fields and drops them).
func TestDifferentialMutations(t *testing.T) {
	planB := tributarytest.StartBackends(t, nil)
	refB := tributarytest.StartBackends(t, nil)
	stamp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, b := range []*tributarytest.Backends{planB, refB} {
		for _, s := range demo.AllServices() {
			b.Server(s).SetClock(func() time.Time { return stamp })
		}
	}
	p := newPairOver(t, planB, refB, differentialConfig()...)
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	callers := []string{"", token(t, "u1"), token(t, "u2"), token(t, "u9", "support")}
	var orders []string // orders of u1 and u2 and someone else, every status
	for _, u := range []string{"u1", "u2", "u3"} {
		for _, o := range demo.DefaultDataset().OrdersByUser(u) {
			orders = append(orders, o.ID)
		}
	}
	writes, faulted, deferred := 0, 0, 0
	for seed := range uint64(mutationRuns) {
		g := newQueryGen(schema, seed)
		g.withAuth, g.directives = true, true
		g.defers, g.deferConst = seed%4 == 1, true
		q, vars, n := g.mutation(orders)
		// Blanked, not cut: error locations stay where they were.
		refQ := deferDirectives.ReplaceAllStringFunc(q, func(d string) string { return strings.Repeat(" ", len(d)) })
		if refQ != q {
			deferred++
		}
		writes += n
		if _, errs := gqlparser.LoadQueryWithRules(schema, q, nil); errs != nil {
			t.Fatalf("seed %d: the generator wrote an invalid mutation (%v):\n%s", seed, errs, q)
		}
		tok := callers[g.rnd.IntN(len(callers))]
		hdr := http.Header{}
		if g.chance(0.2) && refQ == q {
			// Resent under one key: the backends answer the first write again.
			hdr.Set("Idempotency-Key", fmt.Sprintf("k%d", g.rnd.IntN(3)))
		}
		var svc demo.Service
		if seed%9 == 0 {
			services := demo.AllServices()
			svc = services[int(seed/9)%len(services)]
			faulted++
			for _, b := range []*tributarytest.Backends{planB, refB} {
				b.Server(svc).SetFaults(demo.Faults{Down: true})
			}
		}
		planB.ResetStats()
		refB.ResetStats()
		var got []byte
		if refQ != q {
			parts := p.askStream(p.plan, tok, q, vars)
			if len(parts) != 1 {
				t.Fatalf("seed %d: a mutation with @defer answered %d payloads, want 1: %v\nmutation: %s", seed, len(parts), parts, q)
			}
			if raw, ok := parts[0]["raw"].(string); ok {
				got = []byte(raw)
			} else { // refused before execution: plain JSON
				got, _ = json.Marshal(parts[0])
			}
		} else {
			got = askWith(t, p.plan.Client, tok, hdr, q, vars)
		}
		want := askWith(t, p.ref.Client, tok, hdr, refQ, vars)
		if svc != "" {
			for _, b := range []*tributarytest.Backends{planB, refB} {
				b.Server(svc).SetFaults(demo.Faults{})
			}
		}
		c, w := canonical(t, got), canonical(t, want)
		if c != w {
			t.Fatalf("seed %d (caller %d, %s down, header %q): the plan's response differs from gqlgen's\nmutation: %s\nvars: %v\nplan:\n%s\ngqlgen:\n%s",
				seed, slices.Index(callers, tok), svc, hdr.Get("Idempotency-Key"), q, vars, c, w)
		}
		if pc, rc := writeCallsOf(planB.Backends), writeCallsOf(refB.Backends); pc != rc {
			t.Fatalf("seed %d: the plan sent %d writes, gqlgen's executor %d\nmutation: %s", seed, pc, rc, q)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Logf("%d mutations (%d writes asked, %d under a service down, %d with @defer): plan ran %d, gqlgen %d (the others were refused before execution)",
		mutationRuns, writes, faulted, deferred, p.engines[engine.Plan], p.engines[engine.GQLGen])
	if deferred < mutationRuns/8 {
		t.Errorf("%d mutations had @defer, want at least %d", deferred, mutationRuns/8)
	}
	if p.engines[engine.GQLGen] > 0 || p.engines[engine.Plan] < mutationRuns/2 {
		t.Errorf("%d mutations ran on the plan, %d on gqlgen's executor; want every one on the plan", p.engines[engine.Plan], p.engines[engine.GQLGen])
	}
}

// deferDirectives matches the @defer directives the generator writes.
var deferDirectives = regexp.MustCompile(` @defer\([^)]*\)`)

func writeCallsOf(b *demo.Backends) int64 {
	return b.Server(demo.Reviews).Stats().Calls(demo.EndpointReviewsCreate) +
		b.Server(demo.Orders).Stats().Calls(demo.EndpointOrdersCancel) +
		b.Server(demo.Users).Stats().Calls(demo.EndpointUsersUpdate)
}

// askWith POSTs one request with headers and returns its body.
func askWith(t *testing.T, c *tributarytest.Client, tok string, hdr http.Header, q string, vars map[string]any) []byte {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.URL+"/graphql", bytes.NewReader(body))
	req.Header = hdr.Clone()
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return raw
}

// mutation writes a random mutation of one to three writes (now and then
// more than limits.max_writes allows), its variables and how many writes
// it asks for.
func (g *queryGen) mutation(orders []string) (string, map[string]any, int) {
	m := g.schema.Mutation
	n := 1 + g.rnd.IntN(3)
	if g.chance(0.03) {
		n = 6
	}
	var sel []string
	for i := range n {
		f := m.Fields[g.rnd.IntN(len(m.Fields))]
		var b strings.Builder
		if i > 0 || g.chance(0.2) {
			fmt.Fprintf(&b, "w%d: ", i)
		}
		b.WriteString(f.Name + "(" + g.writeArgs(f, orders) + ")")
		if t := g.schema.Types[f.Type.Name()]; t.Kind == ast.Object {
			b.WriteString(" { " + g.selection(t, 2) + " }")
		}
		sel = append(sel, b.String())
	}
	if g.chance(0.1) {
		sel = append(sel, "__typename")
	}
	var b strings.Builder
	b.WriteString("mutation")
	if len(g.varDefs) > 0 {
		b.WriteString("(" + strings.Join(g.varDefs, ", ") + ")")
	}
	b.WriteString(" { " + strings.Join(sel, " ") + " }")
	for _, f := range g.frags {
		b.WriteString("\n" + f)
	}
	return b.String(), g.vars, n
}

// writeArgs writes a write's arguments: mostly valid, sometimes out of
// their bounds or naming what does not exist, sometimes through variables.
func (g *queryGen) writeArgs(f *ast.FieldDefinition, orders []string) string {
	var out []string
	for _, a := range f.Arguments {
		var val any
		switch a.Name {
		case "productId":
			val = fmt.Sprintf("p%d", 1+g.rnd.IntN(200))
			if g.chance(0.1) {
				val = "p99999"
			}
		case "rating":
			val = 1 + g.rnd.IntN(5)
			if g.chance(0.1) {
				val = []int{0, 6, -1}[g.rnd.IntN(3)]
			}
		case "body", "name":
			val = fmt.Sprintf("Text %d", g.rnd.IntN(1000))
			switch {
			case g.chance(0.07):
				val = ""
			case g.chance(0.05):
				val = strings.Repeat("x", 2001)
			}
		case "id":
			val = orders[g.rnd.IntN(len(orders))]
			if g.chance(0.1) {
				val = "o-unknown"
			}
		default:
			continue
		}
		lit, _ := json.Marshal(val)
		if g.chance(0.25) {
			v := fmt.Sprintf("v%d", len(g.varDefs))
			g.varDefs = append(g.varDefs, "$"+v+": "+a.Type.String())
			g.vars[v] = val
			lit = []byte("$" + v)
		}
		out = append(out, a.Name+": "+string(lit))
	}
	return strings.Join(out, ", ")
}
