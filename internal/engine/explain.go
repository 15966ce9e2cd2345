package engine

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
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
// not plan twice). Its calls are numbered as the run makes them
// (estimate.go's walk, rounds.go's rule): steps of one endpoint in one
// round are one call, and keys held for a later round go in its call.
func (e *Engine) Explain(oc *graphql.OperationContext) Explanation {
	pl, why := e.planFor(oc)
	if pl == nil {
		return Explanation{Engine: GQLGen, Why: why}
	}
	x := Explanation{Engine: Plan, PlanningWork: pl.work, Nodes: pl.nodes}
	sh := &shaper{vars: oc.Variables, defaultList: 1, memo: map[walkKey]*summary{}}
	calls, _ := sh.planCalls(pl)
	paths := firstPaths(pl)
	for _, u := range calls {
		round := u.off
		if len(x.Rounds) == 0 || x.Rounds[len(x.Rounds)-1].Round != round {
			x.Rounds = append(x.Rounds, Round{Round: round})
		}
		cl := Call{Service: u.service, Endpoint: u.endpoint, Params: u.paramList, IDs: u.ids}
		for _, f := range u.fields {
			cl.Fields = append(cl.Fields, f.object+"."+f.field.Name+" at "+paths[f])
			key, _ := keysOf(f)
			if !slices.Contains(cl.Keys, key) {
				cl.Keys = append(cl.Keys, key)
			}
		}
		r := &x.Rounds[len(x.Rounds)-1]
		r.Calls = append(r.Calls, cl)
	}
	return x
}

// firstPaths is, for every node of pl, the first response path that
// reaches it (a node shared by fields with the same selections is shown
// at one of them): one visit per node.
func firstPaths(pl *plan) map[*node]string {
	paths := map[*node]string{}
	var walk func(n *node, path string)
	walk = func(n *node, path string) {
		for _, c := range n.children {
			if _, ok := paths[c]; ok {
				continue
			}
			p := strings.TrimPrefix(path+"."+c.key, ".")
			paths[c] = p
			walk(c, p)
		}
	}
	walk(pl.root, "")
	return paths
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
