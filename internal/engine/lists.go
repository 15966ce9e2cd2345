package engine

import (
	"reflect"

	"github.com/99designs/gqlgen/graphql"
)

// Lists of lists, as gqlgen's executor has them: each list level below
// the field's is marshalled on its own, so
//   - a null inner list is null where it may be, and [] where it may not
//     (gqlgen's marshaler of a non-null list writes a nil slice as empty);
//   - an inner list whose non-null element is null is null, and makes the
//     list holding it null when it may not be null itself;
//   - the objects of each innermost list are one group: what a batch
//     resolver below is handed, their paths field/i/j.

// list writes v, a non-nil list at nesting level (0: the field's value),
// sub the group of its objects (or, for an outer level, of its lists);
// false when it must be null.
func (w *writer) list(c *node, v reflect.Value, sub *group, level int) bool {
	start := len(w.buf)
	ok := true
	w.buf = append(w.buf, '[')
	for j := range v.Len() {
		if j > 0 {
			w.buf = append(w.buf, ',')
		}
		w.stack = append(w.stack, frame{n: c, idx: j})
		if level < len(c.inner) {
			if !w.innerList(c, v.Index(j), sub, j, level) {
				ok = false
			}
		} else if !w.value(c, v.Index(j), sub, j, c.elemNonNull) {
			ok = false
		}
		w.stack = w.stack[:len(w.stack)-1]
	}
	w.buf = append(w.buf, ']')
	if !ok {
		w.buf = append(w.buf[:start], "null"...)
		return false
	}
	return true
}

// innerList writes element j of a list of lists at level: itself a list;
// false when it is null and may not be.
func (w *writer) innerList(c *node, e reflect.Value, sub *group, j, level int) bool {
	nonNull := c.inner[level]
	if e.IsNil() {
		if nonNull {
			w.buf = append(w.buf, "[]"...)
			return true
		}
		w.buf = append(w.buf, "null"...)
		return true
	}
	var esub *group
	if sub != nil && sub.nested != nil {
		esub = sub.nested[j]
	}
	if !w.list(c, e, esub, level+1) {
		return !nonNull
	}
	return true
}

// nest makes the groups under lg, the group of a list of lists at level
// (lg.fc its context): one per element, the innermost holding objects and
// expanded, their calls queued.
func (r *run) nest(lg *group, n *node, v reflect.Value, level int, calls *[]*call) {
	lg.nested = r.mem.subs.take(v.Len())
	for j := range v.Len() {
		e := v.Index(j)
		if e.IsNil() {
			continue
		}
		ec := r.mem.elems.one()
		ec.idx = j
		ec.fc = graphql.FieldContext{Parent: lg.fc, Index: &ec.idx}
		sub := r.mem.groups.one()
		*sub = group{node: n, root: lg.root, round: lg.round, byID: lg.byID, fc: &ec.fc}
		lg.nested[j] = sub
		if level+1 < len(n.inner) {
			r.nest(sub, n, e, level+1, calls)
			continue
		}
		sub.list, sub.slice = true, e
		sub.objs = r.mem.vals.take(e.Len())
		for k := range sub.objs {
			if o := e.Index(k); !o.IsNil() {
				sub.objs[k] = o
			}
		}
		if n.deep {
			r.split(sub, n, calls)
			continue
		}
		r.expand(sub, calls)
	}
}
