package graph

import (
	"context"
	"io"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/services/loaders"
)

// marshalList marshals the elements of a list of objects; the generated
// executor calls it where gqlgen calls graphql.MarshalSliceConcurrently
// (internal/compose rewrites the call). A goroutine per element is what
// lets every element's look-ups join one batch, but when loaders.InOrder
// says the first element and the fetch plan gather them all, the elements
// are marshalled one after another, and the later ones run their fields
// without goroutines of their own (resolveConcurrently): that saves the
// goroutines, their stacks and the garbage collector's scans of them.
func marshalList[T any](ctx context.Context, sel ast.SelectionSet, v []T, n int, workerLimit int64, omitPanicHandler bool,
	marshal func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	if n <= 1 {
		return graphql.MarshalSliceConcurrently(ctx, n, workerLimit, omitPanicHandler, marshal)
	}
	typeName, ok := inOrder(ctx, sel)
	if !ok {
		return graphql.MarshalSliceConcurrently(ctx, n, workerLimit, omitPanicHandler, marshal)
	}
	first, later := -1, int64(0)
	for i := range n {
		objs := loaders.CountObjects(v[i])
		if first < 0 && objs > 0 {
			first = i
		} else {
			later += objs
		}
	}
	ctx = loaders.Sequence(ctx, parsedSchema, sel, typeName, later)
	ret := make(graphql.Array, n)
	for i := range n {
		ret[i] = marshalElement(ctx, i, i != first, omitPanicHandler, marshal)
	}
	return ret
}

// marshalElement marshals element i under its own field context (its path
// index), a panic answering null with an error, as in gqlgen.
func marshalElement(ctx context.Context, i int, later, omitPanicHandler bool, marshal func(ctx context.Context, i int) graphql.Marshaler) (ret graphql.Marshaler) {
	fc := &graphql.FieldContext{Index: &i}
	ctx = graphql.WithFieldContext(ctx, fc)
	if later {
		ctx = loaders.Later(ctx, fc)
	}
	if !omitPanicHandler {
		defer func() {
			if r := recover(); r != nil {
				graphql.AddError(ctx, graphql.Recover(ctx, r))
				ret = graphql.Null
			}
		}()
	}
	return marshal(ctx, i)
}

// resolveConcurrently is (*graphql.FieldSet).ResolveConcurrently, which the
// generated executor calls for every field with a resolver (rewritten by
// internal/compose), except that a later element of a list marshalled in
// order resolves its fields in place: their batch results are there.
func resolveConcurrently(ctx context.Context, out *graphql.FieldSet, field graphql.CollectedField, oc *graphql.OperationContext,
	deferred *graphql.DeferredGroup, i int, recoverFromPanic, nonNull bool, resolve func(ctx context.Context) graphql.Marshaler,
) {
	if field.IsDeferred() || !loaders.LaterElement(ctx) {
		out.ResolveConcurrently(oc, deferred, i, recoverFromPanic, nonNull, resolve)
		return
	}
	v := resolveInPlace(ctx, oc, recoverFromPanic, resolve)
	out.Values[i] = v
	invalid := graphql.Marshaler(graphql.RequiredNull)
	if nonNull {
		invalid = graphql.Null
	}
	if v == invalid {
		atomic.AddUint32(&out.Invalids, 1)
	}
}

func resolveInPlace(ctx context.Context, oc *graphql.OperationContext, recoverFromPanic bool, resolve func(ctx context.Context) graphql.Marshaler) (v graphql.Marshaler) {
	if recoverFromPanic {
		defer func() {
			if r := recover(); r != nil {
				oc.Error(ctx, oc.Recover(ctx, r))
				v = graphql.Null
			}
		}()
	}
	return resolve(ctx)
}

// inOrder reports whether the list the executor is marshalling under ctx
// (the field that returned it) may be marshalled in order, and the type of
// its elements.
func inOrder(ctx context.Context, sel ast.SelectionSet) (string, bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		return "", false
	}
	name := fc.Field.Definition.Type.Name()
	if def := parsedSchema.Types[name]; def == nil || def.Kind != ast.Object {
		return "", false
	}
	return name, loaders.InOrder(graphql.GetOperationContext(ctx).Doc, sel, name)
}

// collectFields is graphql.CollectFields with the result kept across
// requests (see loaders.Collect); the generated executor calls it for every
// object it marshals.
func collectFields(oc *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
	return loaders.Collect(oc, sel, satisfies)
}

// newDeferredGroup is graphql.NewDeferredGroup for an object with fields;
// when none is deferred, the group is never used but for its (empty)
// Defers, so its path, field set and map are not built.
func newDeferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for i := range fields {
		if fields[i].IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{Context: ctx}
}

// objectOf is what an object marshals to: its collected fields and the
// values the field set resolved for them, written in order, the first of
// a repeated response key only (as gqlgen does). gqlgen's writer finds
// repeats with a map and an iterator per object; CollectFields merges
// repeated keys of one object type, so a short scan does, and objects with
// many fields keep gqlgen's writer.
func objectOf(fields []graphql.CollectedField, out *graphql.FieldSet) graphql.Marshaler {
	if len(fields) > maxScannedFields {
		return out
	}
	return object{fields: fields, values: out.Values}
}

const maxScannedFields = 32

type object struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

func (o object) MarshalGQL(w io.Writer) {
	io.WriteString(w, "{")
	first := true
fields:
	for i := range o.fields {
		key := o.fields[i].Alias
		for j := range i {
			if o.fields[j].Alias == key {
				continue fields
			}
		}
		if !first {
			io.WriteString(w, ",")
		}
		first = false
		// A response key is a GraphQL name: nothing in it needs escaping.
		io.WriteString(w, `"`)
		io.WriteString(w, key)
		io.WriteString(w, `":`)
		o.values[i].MarshalGQL(w)
	}
	io.WriteString(w, "}")
}
