package engine

import (
	"reflect"

	"github.com/99designs/gqlgen/graphql"
)

// Custom scalars whose Go type marshals itself (graphql.Marshaler). Two
// kinds fall back to gqlgen's executor: a scalar gqlgen binds to marshal
// functions (as graph/ binds Time to graphql.MarshalTime; the plan knows
// the built-in ones and Time) is not found by reflection, and a
// graphql.ContextMarshaler's errors are reported by gqlgen only where the
// value is finally written (not in a branch a null cut away), which the
// plan's writer does not track.

var marshalerType = reflect.TypeFor[graphql.Marshaler]()

// marshals reports whether values of t (or pointers to them) marshal
// themselves.
func marshals(t reflect.Type) bool {
	return t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType)
}

// appendWriter is an io.Writer appending to a byte slice.
type appendWriter struct{ b *[]byte }

func (a appendWriter) Write(p []byte) (int, error) {
	*a.b = append(*a.b, p...)
	return len(p), nil
}

// marshal writes v, a custom scalar's value (not a nil pointer).
func (w *writer) marshal(v reflect.Value) bool {
	m, ok := v.Interface().(graphql.Marshaler)
	if !ok {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		m = p.Interface().(graphql.Marshaler)
	}
	m.MarshalGQL(appendWriter{&w.buf})
	return true
}
