package engine

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph/registry"
)

// Explanation is a plan as people read it: which engine runs the
// operation, and the backend calls by round.
type Explanation struct {
	Engine string `json:"engine"`
	// Why the operation falls back to gqlgen's executor.
	Why string `json:"why,omitempty"`
	// PlanningWork is the selections seen while normalizing (linear in
	// the document); Nodes the response shape's fields.
	PlanningWork int     `json:"planningWork"`
	Nodes        int     `json:"nodes"`
	Rounds       []Round `json:"rounds"`
}

// Round is the backend calls that go out together.
type Round struct {
	Round int    `json:"round"`
	Calls []Call `json:"calls"`
}

// Call is one batched call (per batch limit): the fields whose look-ups
// join it, and where their keys come from.
type Call struct {
	Service  string   `json:"service"`
	Endpoint string   `json:"endpoint"`
	Params   []string `json:"params,omitempty"`
	Fields   []string `json:"fields"`
	Keys     []string `json:"keys"`
	// IDs is the ids known before anything runs (from arguments); -1 when
	// they come from answers.
	IDs int `json:"ids"`
}

// Explain plans the operation of oc without running it: the plan Exec
// would run, from the same cache (a request that asks for its plan does
// not plan twice).
func (e *Engine) Explain(oc *graphql.OperationContext) Explanation {
	pl, why := e.planFor(oc)
	if pl == nil {
		return Explanation{Engine: GQLGen, Why: why}
	}
	x := Explanation{Engine: Plan, PlanningWork: pl.work, Nodes: pl.nodes}
	type callKey struct {
		round             int
		service, endpoint string
		params            string
	}
	calls := map[callKey]*Call{}
	var order []callKey
	// The rounds as the run numbers them (rounds.go): steps of one
	// endpoint in one round are one call.
	last := 0
	var walk func(n *node, path string, parentRound int, parentByID bool)
	walk = func(n *node, path string, parentRound int, parentByID bool) {
		for _, c := range n.children {
			p := strings.TrimPrefix(path+"."+c.key, ".")
			round := parentRound
			if fetches(c) {
				round += stepOffset(c, parentByID)
				last = max(last, round)
				params := argsText(c.field.Arguments, c.reg.BatchArgs)
				endpoint := c.reg.Endpoint
				if endpoint == "" {
					endpoint = byIDEndpoint(c.reg.Service)
				}
				k := callKey{round, c.reg.Service, endpoint, strings.Join(params, ", ")}
				cl := calls[k]
				if cl == nil {
					cl = &Call{Service: c.reg.Service, Endpoint: endpoint, Params: params, IDs: -1}
					calls[k] = cl
					order = append(order, k)
				}
				cl.Fields = append(cl.Fields, c.object+"."+c.field.Name+" at "+p)
				key, ids := keysOf(c)
				if !slices.Contains(cl.Keys, key) {
					cl.Keys = append(cl.Keys, key)
				}
				if ids >= 0 {
					cl.IDs = max(cl.IDs, 0) + ids
				}
			}
			if c.leaf == notLeaf {
				walk(c, p, round, childByID(c, parentByID))
			}
		}
	}
	if pl.serial != nil {
		// A mutation's root fields run one after another: each one's
		// rounds come after the last of the one before.
		for _, root := range pl.serial {
			walk(root, "", last, false)
		}
	} else {
		walk(pl.root, "", 0, false)
	}
	slices.SortStableFunc(order, func(a, b callKey) int { return a.round - b.round })
	for _, k := range order {
		if len(x.Rounds) == 0 || x.Rounds[len(x.Rounds)-1].Round != k.round {
			x.Rounds = append(x.Rounds, Round{Round: k.round})
		}
		r := &x.Rounds[len(x.Rounds)-1]
		r.Calls = append(r.Calls, *calls[k])
	}
	return x
}

// byIDEndpoint names the endpoint a hand-written resolver of service
// calls: it fetches its object by the key it was given, through the
// service's by-id loader (the first, by name, if it has several), so that
// the plan names the call as the fan-out report does.
func byIDEndpoint(service string) string {
	var loader, endpoint string
	registry.Fields(func(_, _ string, d *registry.Field) {
		if d.Service == service && strings.HasSuffix(d.Loader, "ByIds") && (loader == "" || d.Loader < loader) {
			loader, endpoint = d.Loader, d.Endpoint
		}
	})
	if endpoint == "" {
		return "(hand-written resolver)"
	}
	return endpoint
}

// argsText writes the arguments that travel as parameters of the call.
func argsText(args ast.ArgumentList, batchArgs []string) []string {
	var out []string
	for _, a := range args {
		if slices.Contains(batchArgs, a.Name) {
			out = append(out, a.Name+": "+a.Value.String())
		}
	}
	return out
}

// keysOf says where a field's keys come from (its @connect key, or that of
// the connector a computed field reads) and how many are known up front.
func keysOf(n *node) (string, int) {
	d := n.def.Directives.ForName("connect")
	if d == nil {
		if c := n.def.Directives.ForName("computed"); c != nil {
			if from := c.Arguments.ForName("from"); from != nil {
				return "as " + n.object + "." + from.Value.Raw, -1
			}
		}
		for _, a := range n.field.Arguments {
			return "$args." + a.Name, 1 // a hand-written resolver keyed by its argument
		}
		return "", -1
	}
	k := d.Arguments.ForName("key")
	if k == nil {
		return "(none: one call per field)", -1
	}
	key := k.Value.Raw
	if arg, ok := strings.CutPrefix(key, "$args."); ok {
		if a := n.field.Arguments.ForName(arg); a != nil && a.Value.Kind == ast.ListValue {
			return key, len(a.Value.Children)
		}
		return key, 1
	}
	return strings.Replace(key, "$this", n.object, 1), -1
}

// Print writes x for people.
func (x Explanation) Print(w io.Writer) {
	if x.Engine != Plan {
		fmt.Fprintf(w, "engine: gqlgen (%s)\n", x.Why)
		return
	}
	fmt.Fprintf(w, "engine: plan (%d fields, planning work %d)\n", x.Nodes, x.PlanningWork)
	for _, r := range x.Rounds {
		fmt.Fprintf(w, "round %d:\n", r.Round)
		for _, c := range r.Calls {
			fmt.Fprintf(w, "  %s %s", c.Service, c.Endpoint)
			if len(c.Params) > 0 {
				fmt.Fprintf(w, " (%s)", strings.Join(c.Params, ", "))
			}
			fmt.Fprintf(w, "  keys: %s", strings.Join(c.Keys, ", "))
			if c.IDs >= 0 {
				fmt.Fprintf(w, "  ids: %d", c.IDs)
			}
			fmt.Fprintln(w)
			for _, f := range c.Fields {
				fmt.Fprintf(w, "    %s\n", f)
			}
		}
	}
}
