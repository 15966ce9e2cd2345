package engine

import (
	"context"
	"reflect"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Typed calls: the graph's code generator (internal/compose) writes, from
// gqlgen's view of the schema, one Invoker per resolver and per model
// method a field is bound to: a plain function that asserts the parent and
// the arguments to the method's parameter types and calls the method
// directly, as gqlgen's generated executor does. The plan calls those
// instead of the methods by reflection (reflect.Value.Call: the frame's
// layout, its arguments and results boxed, on every call); a field the
// table has no invoker for, or one whose method is not the one the planner
// bound, is called by reflection as before.

// Invoker is the typed call of one field's resolver or model method.
type Invoker struct {
	// Func is the type of the method called: a resolver's method value
	// (context first), a model method's method expression (receiver
	// first). The planner uses Call only when Func is the type of the
	// method it bound, so Call's assertions cannot fail.
	Func reflect.Type
	// Call calls the method with parent (the model; a slice of the models
	// for a batch resolver; nil for a root field) and args (the field's
	// arguments in definition order, each of its parameter's type), and
	// returns its result as an any (nil only for a nil interface).
	Call func(ctx context.Context, parent any, args []any) (any, error)
}

// Invokers are a graph's typed calls by "Type.field".
type Invokers map[string]Invoker

// typed is the call of the invoker of key when it calls a method of type
// ft; nil otherwise (the method is called by reflection).
func (p *planner) typed(key string, ft reflect.Type) func(context.Context, any, []any) (any, error) {
	if inv, ok := p.invokers[key]; ok && inv.Call != nil && inv.Func == ft {
		return inv.Call
	}
	return nil
}

// result is an invoker's result as the value reflection's call would have
// given: of the method's result type ret when that is an interface (or
// the invoker returned a nil interface).
func result(out any, ret reflect.Type) reflect.Value {
	v := reflect.ValueOf(out)
	switch {
	case !v.IsValid():
		return reflect.Zero(ret)
	case ret.Kind() == reflect.Interface:
		iv := reflect.New(ret).Elem()
		iv.Set(v)
		return iv
	}
	return v
}

// params sets a call's parent (invalid for a root field) and arguments:
// as they are for a typed call, as reflection's parameters otherwise (with
// slot 0 left for the context, see invoke).
func (r *run) params(c *call, parent reflect.Value, args argSet) {
	if c.n.res.call != nil {
		if parent.IsValid() {
			c.parent = parent.Interface()
		}
		c.args = args.vals
		return
	}
	if !parent.IsValid() {
		c.in = args.in
		return
	}
	in := make([]reflect.Value, 2+len(args.in))
	in[1] = parent
	copy(in[2:], args.in)
	c.in, c.ctxSlot = in, true
}

// Untyped lists the fields of the schema the plan would call by
// reflection ("Type.field"): those bound to a resolver or a model method
// the invokers have no typed call for. Fields the plan cannot bind (their
// operations fall back to gqlgen's executor) are not listed.
func (e *Engine) Untyped() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := &e.planner
	var out []string
	for _, td := range p.schema.Types {
		if td.BuiltIn || td.Kind != ast.Object {
			continue
		}
		parent := &node{elemType: td.Name, goType: p.goTypeOf(td.Name)}
		if p.isRoot(td.Name) {
			parent.goType = p.rootType
		}
		for _, def := range td.Fields {
			if strings.HasPrefix(def.Name, "__") {
				continue
			}
			key := td.Name + "." + def.Name
			if p.fields.Resolved(td.Name, def.Name) || p.isRoot(td.Name) {
				if b, err := p.binding(parent, def); err == nil && b.call == nil {
					out = append(out, key)
				}
				continue
			}
			if parent.goType == nil {
				continue
			}
			m, _, err := property(parent.goType, def.Name)
			if err != nil || m == "" {
				continue
			}
			mt, _ := parent.goType.MethodByName(m)
			if b, err := p.methodBinding(mt, &node{def: def, object: td.Name}); err == nil && (b == nil || b.call == nil) {
				out = append(out, key)
			}
		}
	}
	slices.Sort(out)
	return out
}
