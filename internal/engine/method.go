package engine

import (
	"fmt"
	"reflect"
)

// Fields gqlgen binds to a method of the model that takes the field's
// arguments (in definition order) or returns an error besides the value
// run like the model's other properties, in the parent's turn, with the
// arguments converted as for a resolver; an error is the field's.

// methodBinding is how a method with arguments or an error, or one the
// graph has a typed call for, is called; nil for a method that takes and
// returns only the value and has no typed call (read calls it).
func (p *planner) methodBinding(m reflect.Method, n *node) (*binding, error) {
	t := m.Type
	nargs := len(n.def.Arguments)
	errOut := t.NumOut() == 2 && t.Out(1) == errorType
	if t.NumOut() != 1 && !errOut {
		return nil, fmt.Errorf("method %s returns %d values", m.Name, t.NumOut())
	}
	call := p.typed(n.object+"."+n.def.Name, t)
	if t.NumIn() == 1 && nargs == 0 && !errOut && call == nil {
		return nil, nil
	}
	if t.NumIn() != 1+nargs {
		return nil, fmt.Errorf("method %s does not take the field's arguments", m.Name)
	}
	b := &binding{fn: m.Func, out: t.Out(0), ret: t.Out(0), call: call}
	for i, a := range n.def.Arguments {
		conv, err := p.argConverter(t.In(1+i), a.Type)
		if err != nil {
			return nil, fmt.Errorf("method %s: argument %s: %v", m.Name, a.Name, err)
		}
		b.argNames = append(b.argNames, a.Name)
		b.argConv = append(b.argConv, conv)
	}
	return b, nil
}

// property reads field n of object o: a struct field or a method, called
// with the field's arguments for this request when it takes any.
func (r *run) property(o reflect.Value, n *node) (reflect.Value, error) {
	if n.res == nil {
		return r.read(o, n), nil
	}
	args, err := r.argValues(n)
	if err != nil {
		return reflect.Value{}, err
	}
	if n.res.call != nil {
		// Model methods take no context (methodBinding): ctx is unused.
		out, err := n.res.call(r.ctx, o.Interface(), args.vals)
		if err != nil {
			return reflect.Value{}, err
		}
		return result(out, n.res.ret), nil
	}
	in := make([]reflect.Value, 0, 1+len(args.in))
	in = append(append(in, o), args.in...)
	out := n.res.fn.Call(in)
	if len(out) == 2 && !out[1].IsNil() {
		return reflect.Value{}, out[1].Interface().(error)
	}
	return out[0], nil
}
