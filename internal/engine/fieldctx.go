package engine

import (
	"context"
	"reflect"
	"unsafe"

	"github.com/99designs/gqlgen/graphql"
)

// fieldContext is a context carrying a field context, as
// graphql.WithFieldContext makes it, but allocated with the resolver call
// it is for (call.fctx) instead of on its own: graphql.GetFieldContext
// finds fc in it as in gqlgen's own, every other value in the parent.
type fieldContext struct {
	context.Context
	fc *graphql.FieldContext
}

func (c *fieldContext) Value(key any) any {
	if key == fieldContextKey {
		return c.fc
	}
	return c.Context.Value(key)
}

// fieldContextKey is the key gqlgen keeps a field context under (its type
// is unexported): the one graphql.GetFieldContext asks a context for. Nil
// if it asks for none, then withField falls back to WithFieldContext.
var fieldContextKey = func() any {
	p := &keyProbe{Context: context.Background()}
	graphql.GetFieldContext(p)
	return p.key
}()

// keyProbe records the key it is asked for.
type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any {
	p.key = key
	return nil
}

// withField returns ctx carrying fc (its Parent left as set), held in at.
func withField(ctx context.Context, fc *graphql.FieldContext, at *fieldContext) context.Context {
	if fieldContextKey == nil {
		parent := fc.Parent
		ctx = graphql.WithFieldContext(ctx, fc)
		fc.Parent = parent
		return ctx
	}
	*at = fieldContext{Context: ctx, fc: fc}
	return at
}

// sliceHeader is the layout of a Go slice (the runtime's and reflect's).
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// singleList is g's one object as a list of one, what a batch resolver
// takes: a slice whose header and element live in the group, instead of
// reflect.MakeSlice's two allocations. Resolvers read their parents; one
// that appends gets a new array (the capacity is one).
func (g *group) singleList() reflect.Value {
	if g.single.IsValid() {
		return g.single
	}
	t := reflect.SliceOf(g.node.goType)
	o := g.objs[0]
	if o.Kind() != reflect.Pointer || o.Type() != g.node.goType {
		g.single = reflect.MakeSlice(t, 1, 1)
		g.single.Index(0).Set(o)
		return g.single
	}
	g.singleElem = o.UnsafePointer()
	g.singleHdr = sliceHeader{data: unsafe.Pointer(&g.singleElem), len: 1, cap: 1}
	g.single = reflect.NewAt(t, unsafe.Pointer(&g.singleHdr)).Elem()
	return g.single
}
