package engine

import (
	"reflect"
	"slices"
)

// @auth on a batch field (the plugin makes none: an owner rule is decided
// per parent): each parent is authorized before the call, and the batch
// resolver is handed only those allowed, nil in the others' places (as for
// null elements), so nothing is fetched for a parent that may not see it.
// The others get the rule's error, at their own paths. gqlgen's executor
// answers the same, though it calls the resolver with every parent.

// allowed authorizes field c of g's objects, giving the denied their
// errors in fr; it returns g, or a copy of g without the denied (sharing
// its results), or nil when none is allowed.
func (r *run) allowed(g *group, c *node, args argSet, fr *fieldRes) *group {
	if c.reg == nil || c.reg.Auth == "" {
		return g
	}
	var m *group
	left := 0
	for i, o := range g.objs {
		if !o.IsValid() {
			continue
		}
		err := r.authorize(g.root, c, args, o)
		if err == nil {
			left++
			continue
		}
		fr.errs[i] = err
		if m == nil {
			cp := *g
			m = &cp
			m.objs = slices.Clone(g.objs)
			if g.list {
				m.slice = reflect.MakeSlice(g.slice.Type(), g.slice.Len(), g.slice.Len())
				reflect.Copy(m.slice, g.slice)
			}
		}
		m.objs[i] = reflect.Value{}
		if m.list {
			m.slice.Index(i).SetZero()
		}
	}
	switch {
	case m == nil:
		return g
	case left == 0:
		return nil
	}
	return m
}
