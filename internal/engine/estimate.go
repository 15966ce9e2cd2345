package engine

import (
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tributary-gw/tributary/internal/cost"
	"github.com/tributary-gw/tributary/internal/upstream"
)

// The plan's calls and cost, from one walk over the plan: per node (with
// whether its objects were fetched by id and the sizes a connection hands
// its fields) the fetch steps below it — each a use: the fields whose
// look-ups join one endpoint with one parameter set at one round relative
// to the node, and how many keys they ask per object of the node — and the
// objects, depth and aliases below it. Walked once per node and context
// (fields with the same selections share their nodes), it is linear in the
// plan, so in the document, even where the response is exponential in it.
// -explain numbers its calls from the uses and Estimate counts them: the
// calls the limits judge are the calls the plan makes.

// useKey names a use: a step at a round, with its parameters.
type useKey struct {
	off    int
	step   string // service and endpoint (stepOf)
	params string
	// one is set for an unbatched step: each parent is a call of its
	// own, never shared with another field's (the field's node names it).
	one *node
}

// use is the look-ups of a step at a round: see the top of this file.
type use struct {
	useKey
	service, endpoint string
	paramList         []string
	height            int   // the rounds its subtrees take after its own
	keys              int64 // keys per object of the node (unbatched: calls)
	ids               int   // ids known before anything runs; -1 from answers
	fields            []*node
}

// summary is what is below one object of a node.
type summary struct {
	uses              []*use
	at                map[useKey]int
	items, introItems int64
	depth, introDepth int64
	aliases           int64
}

// shaper walks a plan for one request's variables.
type shaper struct {
	vars        map[string]any
	fc          cost.Fields
	defaultList int64
	memo        map[walkKey]*summary
	work        int64
}

type walkKey struct {
	n     *node
	byID  bool
	sized string
	intro bool
}

func (s *summary) add(u *use) {
	if i, ok := s.at[u.useKey]; ok {
		o := s.uses[i]
		o.keys = cost.SatAdd(o.keys, u.keys)
		o.height = max(o.height, u.height)
		if u.ids < 0 || o.ids < 0 {
			o.ids = -1
		} else {
			o.ids += u.ids
		}
		for _, f := range u.fields {
			if !slices.Contains(o.fields, f) {
				o.fields = append(o.fields, f)
			}
		}
		return
	}
	if s.at == nil {
		s.at = map[useKey]int{}
	}
	s.at[u.useKey] = len(s.uses)
	s.uses = append(s.uses, u)
}

// below summarises the children of n for one object of n.
func (sh *shaper) below(n *node, byID bool, sized string, intro bool) *summary {
	k := walkKey{n, byID, sized, intro}
	if s, ok := sh.memo[k]; ok {
		return s
	}
	out := &summary{}
	sh.memo[k] = out // a cycle cannot happen; this only guards it
	for _, c := range n.children {
		sh.work++
		sh.child(out, c, byID, sized, intro)
	}
	return out
}

// child adds child c of an object (fetched by id or not) to out.
func (sh *shaper) child(out *summary, c *node, byID bool, sized string, intro bool) {
	f := c.field
	if f.Alias != "" && f.Alias != f.Name {
		out.aliases = cost.SatAdd(out.aliases, 1)
	}
	if f.Name == "__typename" {
		return
	}
	if strings.HasPrefix(f.Name, "__") {
		intro = true // __schema, __type: no backend calls, not counted for depth
	}
	if intro {
		out.introDepth = max(out.introDepth, 1)
	} else {
		out.depth = max(out.depth, 1)
	}
	var info cost.FieldInfo
	if sh.fc != nil && c.def != nil {
		info, _ = sh.fc.Field(c.object, f.Name)
	}
	size, hasSize := sh.listSize(c, info)
	if n, ok := sizedLookup(sized, f.Name); ok {
		size, hasSize = n, true
	}
	childSized := ""
	if len(info.Size.SizedFields) > 0 {
		childSized = sizedChildren(info.Size.SizedFields, size)
		hasSize = false // the size applies to the named children
	}
	object := c.leaf == notLeaf && c.def != nil
	mult := int64(1)
	if c.list {
		if !hasSize {
			size = sh.defaultList
		}
		mult = size
		if object {
			if intro {
				out.introItems = cost.SatAdd(out.introItems, mult)
			} else {
				out.items = cost.SatAdd(out.items, mult)
			}
		}
	} else if object && childSized == "" && !intro {
		out.items = cost.SatAdd(out.items, 1)
	}
	off := 0
	if fetches(c) && !intro {
		off = stepOffset(c, byID)
		keys, ids := int64(1), -1
		if c.list && byIDOf(c) && c.reg.Loader != "" {
			keys = mult // a list fetched by its ids: each is a key
		}
		_, known := keysOf(c)
		if known >= 0 {
			ids = known
		}
		params := argsText(f.Arguments, c.reg.BatchArgs)
		u := &use{
			useKey:  useKey{off: off, step: stepOf(c), params: strings.Join(params, ", ")},
			service: c.reg.Service, endpoint: endpointOf(c), paramList: params,
			keys: keys, ids: ids, fields: []*node{c},
		}
		if c.rounds != nil {
			u.height = c.rounds.now[0].height
		}
		if c.reg.Unbatched {
			u.one = c
		}
		out.add(u)
	}
	if !object {
		return
	}
	sub := sh.below(c, childByID(c, byID), childSized, intro)
	for _, u := range sub.uses {
		lifted := *u
		lifted.off += off
		lifted.keys = cost.SatMul(u.keys, mult)
		lifted.fields = slices.Clone(u.fields)
		out.add(&lifted)
	}
	out.items = cost.SatAdd(out.items, cost.SatMul(sub.items, mult))
	out.introItems = cost.SatAdd(out.introItems, cost.SatMul(sub.introItems, mult))
	// Aliases count once per place they appear, not per object.
	out.aliases = cost.SatAdd(out.aliases, sub.aliases)
	if sub.depth > 0 {
		if intro {
			out.introDepth = max(out.introDepth, cost.SatAdd(sub.depth, 1))
		} else {
			out.depth = max(out.depth, cost.SatAdd(sub.depth, 1))
		}
	}
	if sub.introDepth > 0 {
		d := sub.introDepth
		if intro {
			d = cost.SatAdd(d, 1)
		}
		out.introDepth = max(out.introDepth, d)
	}
}

// listSize reads c's size rule: the slicing argument's value (or
// length), clamped to its declared bounds and to [0, MaxInt32], else the
// assumed size.
func (sh *shaper) listSize(c *node, info cost.FieldInfo) (int64, bool) {
	if arg := info.Size.SlicingArgument; arg != "" && c.def != nil {
		if ad := c.def.Arguments.ForName(arg); ad != nil {
			if n, _, ok := cost.Measure(c.field.Field, ad, sh.vars); ok {
				if r, ok := info.Bounds[arg]; ok {
					n = min(max(n, int64(r.Min)), int64(r.Max))
				}
				return min(max(n, 0), cost.MaxFigure), true
			}
		}
	}
	if info.Size.HasAssumed {
		return int64(info.Size.Assumed), true
	}
	return 0, false
}

// sizedChildren is the "name=size,…" list a connection passes down to its
// sized fields.
func sizedChildren(names []string, size int64) string {
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + "=" + strconv.FormatInt(size, 10)
	}
	return strings.Join(parts, ",")
}

// sizedLookup finds name in a "name=size,…" list.
func sizedLookup(sized, name string) (int64, bool) {
	for sized != "" {
		var part string
		part, sized, _ = strings.Cut(sized, ",")
		if k, v, ok := strings.Cut(part, "="); ok && k == name {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// held applies the rounds' holding rule (rounds.go) to the uses of one
// execution root: the uses of a queue whose subtrees fetch nothing are
// held for the queue's next round, and so on while what is held fetches
// nothing below it — as the run holds their keys for the calls that will
// add that round's. Unbatched steps are never held.
func held(uses []*use) []*use {
	type queue struct{ step, params string }
	rounds := map[queue][]int{}
	for _, u := range uses {
		q := queue{u.step, u.useKey.params}
		if u.one == nil && !slices.Contains(rounds[q], u.off) {
			rounds[q] = append(rounds[q], u.off)
		}
	}
	moveTo := map[useKey]int{} // a use's round after holding
	for q, rs := range rounds {
		slices.Sort(rs)
		at := func(r int) []*use {
			var out []*use
			for _, u := range uses {
				if u.step == q.step && u.useKey.params == q.params && u.off == r && u.one == nil {
					out = append(out, u)
				}
			}
			return out
		}
		var group []*use // held so far
		for i, r := range rs {
			group = append(group, at(r)...)
			flat := true
			for _, u := range group {
				flat = flat && u.height == 0
			}
			if !flat || i == len(rs)-1 {
				for _, u := range group {
					if u.off != r {
						moveTo[u.useKey] = r
					}
				}
				group = nil
			}
		}
	}
	out := &summary{}
	for _, u := range uses {
		if r, ok := moveTo[u.useKey]; ok {
			m := *u
			m.off = r
			m.fields = slices.Clone(u.fields)
			out.add(&m)
			continue
		}
		out.add(u)
	}
	slices.SortStableFunc(out.uses, func(a, b *use) int { return a.off - b.off })
	return out.uses
}

// planCalls is the calls of a plan as the run makes them, in order of
// rounds, and the summary of its shape. A mutation's serial roots run one
// after another: each one's rounds follow the last of the one before.
func (sh *shaper) planCalls(pl *plan) ([]*use, *summary) {
	roots := pl.serial
	if roots == nil {
		roots = []*node{pl.root}
	}
	total := &summary{}
	var calls []*use
	base := 0
	for _, root := range roots {
		s := sh.below(root, false, "", false)
		last := 0
		var uses []*use
		for _, u := range s.uses {
			m := *u
			m.off += base
			last = max(last, m.off)
			uses = append(uses, &m)
		}
		calls = append(calls, held(uses)...)
		base = max(base, last)
		total.items = cost.SatAdd(total.items, s.items)
		total.introItems = cost.SatAdd(total.introItems, s.introItems)
		total.aliases = cost.SatAdd(total.aliases, s.aliases)
		total.depth = max(total.depth, s.depth)
		total.introDepth = max(total.introDepth, s.introDepth)
	}
	return calls, total
}

// Estimate is the cost of oc's operation from its plan (the plan Exec
// runs, or for an operation gqlgen's executor runs, the shape the planner
// normalized for it): the calls the plan makes — each use's keys in
// batches of its service's batch limit (fc's BatchLimit, from the
// registry's @source), an unbatched step one call per parent — with list
// sizes from fc and the request's variables (defaultList for a list
// without a size), the objects, depth and aliases. Figures saturate at
// cost.MaxFigure. An operation the planner could not shape at all is
// reported Exhausted. Work counts the planning work and the walk's.
func (e *Engine) Estimate(oc *graphql.OperationContext, defaultList int, fc cost.Fields) cost.Cost {
	pl := e.shapeOf(oc)
	if pl == nil {
		return cost.Cost{Exhausted: true, PerService: map[string]int{}}
	}
	if defaultList <= 0 {
		defaultList = 10
	}
	sh := &shaper{vars: oc.Variables, fc: fc, defaultList: int64(defaultList), memo: map[walkKey]*summary{}}
	calls, s := sh.planCalls(pl)
	c := cost.Cost{
		Depth: int(min(s.depth, cost.MaxFigure)), Aliases: int(min(s.aliases, cost.MaxFigure)),
		Items: int(min(s.items, cost.MaxFigure)), IntrospectionItems: int(min(s.introItems, cost.MaxFigure)),
		IntrospectionDepth: int(min(s.introDepth, cost.MaxFigure)),
		PerService:         map[string]int{},
		Work:               int(min(cost.SatAdd(int64(pl.work), sh.work), cost.MaxFigure)),
	}
	var total int64
	for _, u := range calls {
		n := u.keys
		if u.one == nil {
			limit := int64(upstream.MaxBatch)
			if sh.fc != nil && len(u.fields) > 0 {
				if info, ok := sh.fc.Field(u.fields[0].object, u.fields[0].field.Name); ok && info.BatchLimit > 0 {
					limit = int64(info.BatchLimit)
				}
			}
			n = (n + limit - 1) / limit
		}
		total = cost.SatAdd(total, n)
		c.PerService[u.service] = int(min(cost.SatAdd(int64(c.PerService[u.service]), n), cost.MaxFigure))
	}
	c.Calls = int(min(total, cost.MaxFigure))
	for _, root := range pl.root.children {
		if root.reg != nil && root.reg.Write {
			c.Writes++
		}
	}
	return c
}
