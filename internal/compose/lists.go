package compose

import (
	"bytes"
	"fmt"
	"os"
)

// gqlgen marshals every list of objects with a goroutine per element. The
// executor's lists go through marshalList (graph/lists.go) instead, which
// keeps that for the lists that need it and marshals the others in order;
// the call keeps gqlgen's arguments, so the rewrite is this one string.
var (
	concurrentList = []byte("graphql.MarshalSliceConcurrently(ctx, len(v), ")
	plannedList    = []byte("marshalList(ctx, sel, len(v), ")
)

// RewriteLists points the generated executor's list marshalling at
// marshalList. It fails when gqlgen's template no longer has the call, so
// an upgrade cannot silently bring the goroutines back.
func RewriteLists(execFile string) error {
	src, err := os.ReadFile(execFile)
	if err != nil {
		return err
	}
	n := bytes.Count(src, concurrentList)
	if n == 0 && !bytes.Contains(src, plannedList) {
		return fmt.Errorf("compose: %s has no %q: gqlgen's list template changed; update internal/compose/lists.go", execFile, concurrentList)
	}
	return os.WriteFile(execFile, bytes.ReplaceAll(src, concurrentList, plannedList), 0o644)
}
