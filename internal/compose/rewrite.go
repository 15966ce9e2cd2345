package compose

import (
	"bytes"
	"fmt"
	"os"
)

// Two calls of gqlgen's executor are pointed at Tributary's own
// (graph/executor.go) by rewriting the generated file: each call keeps
// gqlgen's arguments, so a rewrite is one string.
//   - Lists of objects: gqlgen marshals them with a goroutine per element;
//     marshalList keeps that for the lists that need it and marshals the
//     others in order, and resolveConcurrently runs the fields of their
//     later elements in place.
//   - Field collection: gqlgen collects an object's fields once per request
//     and selection set, but builds its cache key (with allocations) for
//     every object; collectFields keeps the result across requests.
//   - @defer bookkeeping: gqlgen prepares it for every object, building the
//     object's whole path; newDeferredGroup only when a field is deferred.
//   - Writing an object: gqlgen's field set allocates a map (and an
//     iterator) per object to skip repeated response keys; objectOf writes
//     the collected fields, whose keys are already distinct.
var rewrites = []struct{ gqlgen, ours []byte }{
	{[]byte("graphql.MarshalSliceConcurrently(ctx, len(v), "), []byte("marshalList(ctx, sel, v, len(v), ")},
	{[]byte("out.ResolveConcurrently(ec.OperationContext, &deferred, i,"), []byte("resolveConcurrently(ctx, out, field, ec.OperationContext, &deferred, i,")},
	{[]byte("graphql.CollectFields(ec.OperationContext, sel, "), []byte("collectFields(ec.OperationContext, sel, ")},
	{[]byte("deferred := graphql.NewDeferredGroup(ctx)"), []byte("deferred := newDeferredGroup(ctx, fields)")},
	{[]byte("\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn out\n}"), []byte("\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn objectOf(fields, out)\n}")},
}

// RewriteExecutor applies the rewrites to the generated executor. It fails
// when gqlgen's templates no longer have a call, so an upgrade cannot
// silently bring the cost back.
func RewriteExecutor(execFile string) error {
	src, err := os.ReadFile(execFile)
	if err != nil {
		return err
	}
	for _, r := range rewrites {
		if !bytes.Contains(src, r.gqlgen) && !bytes.Contains(src, r.ours) {
			return fmt.Errorf("compose: %s has no %q: gqlgen's templates changed; update internal/compose/rewrite.go", execFile, r.gqlgen)
		}
		src = bytes.ReplaceAll(src, r.gqlgen, r.ours)
	}
	return os.WriteFile(execFile, src, 0o644)
}
