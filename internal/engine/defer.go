package engine

import (
	"context"
	"reflect"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// @defer on the plan, as gqlgen's executor delivers it (the differential
// test holds the two together):
//
//   - A field is deferred when it has a resolver, is not a root field, and
//     is selected only under @defer fragments (graphql.CollectedField's
//     IsDeferred). Other fields of a deferred fragment come in the initial
//     payload; a deferred field is null there.
//   - Each object with deferred fields that is written whole (none of its
//     own non-null fields is null) delivers one payload per label, in the
//     order the labels first occur among its fields, at the object's path.
//     A field under several labels is written in the first of them only.
//     A payload with a non-null field that is null has data null.
//   - The deferred fields run after the initial payload is out, in rounds
//     of their own: every deferred object of a phase together, so each
//     endpoint still gets one call per round and batch limit. Deferred
//     fields inside deferred payloads run in the phase after.
//
// gqlgen differs in one case on purpose: a field it is asked to defer
// twice under one label (two unlabelled @defer fragments selecting the same
// field) makes its executor wait forever for a second completion; the plan
// delivers the field once under that label.

// deferField records that n, a child of parent, is delivered later under
// f's labels.
func deferField(pl *plan, parent, n *node, f graphql.CollectedField) {
	if n.src != fromResolver || n.res.root {
		return // gqlgen defers only resolvers below the root
	}
	pl.work += len(f.Deferrables)
	for _, d := range f.Deferrables {
		v := slices.Index(parent.views, d.Label)
		if v < 0 {
			v = len(parent.views)
			parent.views = append(parent.views, d.Label)
		}
		if !slices.Contains(n.deferIn, v) {
			n.deferIn = append(n.deferIn, v)
		}
	}
	pl.deferred = true
}

// satisfies is what an object type satisfies for fragment type conditions
// (gqlgen's implementors): its name, its interfaces, the unions holding it.
func (p *planner) satisfies(typeName string) []string {
	if s, ok := p.satisfied[typeName]; ok {
		return s
	}
	s := []string{typeName}
	if def := p.schema.Types[typeName]; def != nil {
		s = append(s, def.Interfaces...)
	}
	for _, t := range p.schema.Types {
		if t.Kind == ast.Union && slices.Contains(t.Types, typeName) {
			s = append(s, t.Name)
		}
	}
	if p.satisfied == nil {
		p.satisfied = map[string][]string{}
	}
	p.satisfied[typeName] = s
	return s
}

// deferredObject is an object written with deferred fields still to come.
type deferredObject struct {
	g    *group
	i    int
	o    reflect.Value
	path []frame // the object's path (a copy of the writer's stack)
}

// deferred is a run's incremental delivery: the objects waiting for their
// deferred fields, and the payloads made and not yet handed out.
type deferred struct {
	waiting []deferredObject
	ready   []*graphql.Response
}

// next returns the next incremental payload, running the next phase when
// none is ready; nil when all were delivered.
func (r *run) next(ctx context.Context) *graphql.Response {
	d := &r.deferred
	if len(d.ready) == 0 {
		if len(d.waiting) == 0 {
			return nil
		}
		objs := d.waiting
		d.waiting = nil
		r.runDeferred(objs)
		r.writeDeferred(ctx, objs)
	}
	resp := d.ready[0]
	d.ready = d.ready[1:]
	hasNext := len(d.ready) > 0 || len(d.waiting) > 0
	resp.HasNext = &hasNext
	return resp
}

// runDeferred fetches the deferred fields of objs in rounds: per group,
// only for the objects written (a batch resolver still gets the group's
// whole list, as gqlgen hands it over).
func (r *run) runDeferred(objs []deferredObject) {
	masks := map[*group]*group{}
	var order []*group
	for _, d := range objs {
		m, ok := masks[d.g]
		if !ok {
			// The group's field results and context chain, its objects
			// masked to those written.
			m = &group{node: d.g.node, list: d.g.list, slice: d.g.slice, fc: d.g.fc, elemFC: d.g.elemFC, root: d.g.root, res: d.g.res,
				round: d.g.round, byID: d.g.byID,
				objs: make([]reflect.Value, len(d.g.objs))}
			masks[d.g] = m
			order = append(order, m)
		}
		m.objs[d.i] = d.g.objs[d.i]
	}
	start := r.scratch()
	for _, m := range order {
		for _, c := range m.node.execChildren {
			if len(c.deferIn) > 0 {
				r.expandField(m, c, &m.res[c.slot], &start)
			}
		}
	}
	r.last = r.pl.spanAll
	r.drive(start)
}

// writeDeferred writes the payloads of objs, one per object and label.
func (r *run) writeDeferred(ctx context.Context, objs []deferredObject) {
	for _, d := range objs {
		n := d.g.node
		written := make([]bool, len(n.children))
		invalid := make([]bool, len(n.children))
		for v, label := range n.views {
			// Errors go with the payload whose fields raised them.
			pctx := graphql.WithFreshResponseContext(ctx)
			r.base = graphql.WithFieldContext(pctx, &graphql.FieldContext{Object: "Query"})
			w := writer{r: r, buf: make([]byte, 0, 128), stack: slices.Clone(d.path)}
			w.buf = append(w.buf, '{')
			first, bad := true, false
			for k, c := range n.children {
				if !slices.Contains(c.deferIn, v) {
					continue
				}
				if written[k] {
					bad = bad || invalid[k]
					continue
				}
				written[k] = true
				if !first {
					w.buf = append(w.buf, ',')
				}
				first = false
				w.buf = append(w.buf, c.quoted...)
				w.stack = append(w.stack, frame{n: c, idx: -1})
				if !w.field(c, d.g, d.i, d.o) {
					invalid[k], bad = true, true
				}
				w.stack = w.stack[:len(w.stack)-1]
			}
			w.buf = append(w.buf, '}')
			data := w.buf
			if bad {
				data = []byte("null")
			}
			r.deferred.ready = append(r.deferred.ready, &graphql.Response{
				Data: data, Label: label, Path: pathOf(d.path), Errors: graphql.GetErrors(pctx),
			})
		}
	}
}

// pathOf is a writer's stack as a response path.
func pathOf(frames []frame) ast.Path {
	p := make(ast.Path, len(frames))
	for i, f := range frames {
		if f.idx >= 0 {
			p[i] = ast.PathIndex(f.idx)
		} else {
			p[i] = ast.PathName(f.n.key)
		}
	}
	return p
}
