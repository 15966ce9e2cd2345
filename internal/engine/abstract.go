package engine

import (
	"fmt"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Fields of interface or union type: the plan has a variant per possible
// object type, its selection collected as that type (fields of the
// interface, fragments on the interface, the union or the type), and a
// value is written as the variant of its Go type, as gqlgen's generated
// type switch does. The Go type of each possible type is found among the
// types the resolvers take and return and what those hold (goTypes); a
// value of another type is an error at its path.

// variant is one possible object type of an abstract node.
type variant struct {
	goType reflect.Type // pointer to the model's struct
	node   *node        // the field as of that type: its children
}

// abstractNode plans n, a field of interface or union type td, a variant
// per possible type.
func (p *planner) abstractNode(oc *graphql.OperationContext, pl *plan, n *node, td *ast.Definition, depth int) error {
	for _, pt := range p.schema.GetPossibleTypes(td) {
		gt := p.goTypeOf(pt.Name)
		if gt == nil {
			return fallback("%s: no Go type found for %s", n.elemType, pt.Name)
		}
		vn := &node{key: n.key, quoted: n.quoted, field: n.field, def: n.def, object: n.object, reg: n.reg,
			src: n.src, elemType: pt.Name, goType: gt}
		if err := p.children(oc, pl, vn, n.field.Selections, depth+1); err != nil {
			return err
		}
		n.variants = append(n.variants, variant{goType: gt, node: vn})
		if vn.exec {
			n.deep = true
		}
	}
	if n.deep {
		n.exec = true
	}
	return nil
}

// goTypeOf finds the Go type of object type name: a pointer to a struct
// named so, among the types the resolvers take or return and what they
// hold (gqlgen's models bind by name).
func (p *planner) goTypeOf(name string) reflect.Type {
	if p.goTypes == nil {
		p.goTypes = map[string]reflect.Type{}
		seen := map[reflect.Type]bool{}
		var walk func(t reflect.Type)
		walk = func(t reflect.Type) {
			for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
				t = t.Elem()
			}
			if seen[t] || t.PkgPath() == "" && t.Kind() != reflect.Struct {
				return
			}
			seen[t] = true
			if t.Kind() == reflect.Struct {
				if _, dup := p.goTypes[t.Name()]; !dup && t.Name() != "" {
					p.goTypes[t.Name()] = reflect.PointerTo(t)
				}
				for i := range t.NumField() {
					walk(t.Field(i).Type)
				}
			}
			pt := reflect.PointerTo(t)
			for i := range pt.NumMethod() {
				m := pt.Method(i).Type
				for j := 1; j < m.NumIn(); j++ {
					walk(m.In(j))
				}
				for j := range m.NumOut() {
					walk(m.Out(j))
				}
			}
		}
		if p.resolvers.IsValid() {
			for i := range p.resolvers.NumMethod() {
				m := p.resolvers.Method(i)
				if m.Type().NumIn() != 0 || m.Type().NumOut() != 1 {
					continue
				}
				r := m.Type().Out(0)
				for j := range r.NumMethod() {
					mt := r.Method(j).Type
					for k := range mt.NumIn() {
						walk(mt.In(k))
					}
					for k := range mt.NumOut() {
						walk(mt.Out(k))
					}
				}
			}
		}
	}
	return p.goTypes[name]
}

// concrete is v, a value of an abstract field, as its variant: a pointer
// to the model (a struct value is copied), and the variant's index; -1
// for a type no variant has.
func (n *node) concrete(v reflect.Value) (reflect.Value, int) {
	if v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if v.Kind() != reflect.Pointer {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		v = p
	}
	for k, vr := range n.variants {
		if vr.goType == v.Type() {
			return v, k
		}
	}
	return v, -1
}

// unexpectedType is gqlgen's error for a value of no possible type.
func unexpectedType(v reflect.Value) error {
	return fmt.Errorf("unexpected type %s", v.Type())
}

// split makes, of sub (the group of an abstract field's values), a group
// per variant holding the objects of its type (the others masked out) and
// expands them.
func (r *run) split(sub *group, n *node, calls *[]*call) {
	sub.variants = r.mem.subs.take(len(n.variants))
	for k, vr := range n.variants {
		vg := r.mem.groups.one()
		*vg = group{node: vr.node, list: sub.list, fc: sub.fc, root: sub.root, round: sub.round, byID: sub.byID,
			objs: r.mem.vals.take(len(sub.objs))}
		if sub.list {
			// What a batch resolver of the type is handed: its objects, nil
			// in the others' places.
			vg.slice = reflect.MakeSlice(reflect.SliceOf(vr.goType), len(sub.objs), len(sub.objs))
		}
		any := false
		for j, o := range sub.objs {
			if !o.IsValid() {
				continue
			}
			if c, kk := n.concrete(o); kk == k {
				vg.objs[j], any = c, true
				if sub.list {
					vg.slice.Index(j).Set(c)
				}
			}
		}
		if any {
			sub.variants[k] = vg
			r.expand(vg, calls)
		}
	}
}

// abstractValue writes v, a value of abstract field c, as its variant.
func (w *writer) abstractValue(c *node, v reflect.Value, sub *group, j int) bool {
	o, k := c.concrete(v)
	if k < 0 {
		w.r.oc.Error(w.ctxHere(), graphql.AddFieldLocationToError(w.ctxHere(), unexpectedType(o)))
		w.buf = append(w.buf, "null"...)
		return true
	}
	var vg *group
	if sub != nil && sub.variants != nil {
		vg = sub.variants[k]
	}
	return w.object(c.variants[k].node, vg, j, o)
}
