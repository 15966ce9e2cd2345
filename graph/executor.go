package graph

import (
	"context"
	"io"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/services/loaders"
)

// marshalList marshals the elements of a list of objects; the generated
// executor calls it where gqlgen calls graphql.MarshalSliceConcurrently
// (internal/compose rewrites the call). A goroutine per element is what
// lets every element's look-ups join one batch, but most lists do not need
// it: when loaders.InOrder says nothing under an element waits except
// batch fields resolved once for the whole list, the elements are
// marshalled one after another, which saves the goroutines, their stacks
// and the garbage collector's scans of them.
func marshalList(ctx context.Context, sel ast.SelectionSet, n int, workerLimit int64, omitPanicHandler bool,
	marshal func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	if n <= 1 || !inOrder(ctx, sel) {
		return graphql.MarshalSliceConcurrently(ctx, n, workerLimit, omitPanicHandler, marshal)
	}
	ret := make(graphql.Array, n)
	for i := range n {
		ret[i] = marshalElement(ctx, i, omitPanicHandler, marshal)
	}
	return ret
}

// marshalElement marshals element i under its own field context (its path
// index), a panic answering null with an error, as in gqlgen.
func marshalElement(ctx context.Context, i int, omitPanicHandler bool, marshal func(ctx context.Context, i int) graphql.Marshaler) (ret graphql.Marshaler) {
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
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

// inOrder reports whether the list the executor is marshalling under ctx
// (the field that returned it) may be marshalled in order.
func inOrder(ctx context.Context, sel ast.SelectionSet) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		return false
	}
	name := fc.Field.Definition.Type.Name()
	if def := parsedSchema.Types[name]; def == nil || def.Kind != ast.Object {
		return false
	}
	return loaders.InOrder(sel, name)
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
