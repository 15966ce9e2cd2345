package engine

import (
	"github.com/vektah/gqlparser/v2/ast"
)

// Mutations run on the plan like queries, but their root fields one after
// another in document order (as GraphQL requires): each root field with
// its whole selection, round by round, before the next starts. A write's
// resolver makes the request's loaders forget what they hold, so what the
// selection (or a later root field) reads shows the write.
//
// @defer in a mutation is ignored: its fields come in the one payload,
// which incremental delivery allows (a server may always deliver deferred
// data early). Delivering them later would mean reading after every write
// of the operation what the client selected under one of them; gqlgen's
// executor, for its part, runs them and drops them (its mutation returns
// one payload with the deferred fields null), so the differential test
// compares a mutation with @defer on the plan against the same mutation
// without it on gqlgen's executor.

// rootName is the root type an operation of kind op runs on.
func (p *planner) rootName(op ast.Operation) (string, error) {
	switch {
	case op == ast.Query && p.schema.Query != nil:
		return p.schema.Query.Name, nil
	case op == ast.Mutation && p.schema.Mutation != nil:
		return p.schema.Mutation.Name, nil
	}
	return "", fallback("%s operations", op)
}

// isRoot reports whether typeName is a root type the plan runs: its
// resolvers take no parent.
func (p *planner) isRoot(typeName string) bool {
	return p.schema.Query != nil && typeName == p.schema.Query.Name ||
		p.schema.Mutation != nil && typeName == p.schema.Mutation.Name
}

// serialRoots splits a mutation's root into one root per root field, run
// one after another. A mutation's root selection is its own (no field
// shares it), so its fields' slots can be renumbered for their own roots.
func serialRoots(root *node) []*node {
	out := make([]*node, 0, len(root.children))
	for _, c := range root.children {
		r := &node{elemType: root.elemType, goType: root.goType, exec: true, children: []*node{c}}
		if c.exec {
			c.slot = 0
			r.execChildren = []*node{c}
		}
		out = append(out, r)
	}
	return out
}

// serial runs a mutation's root fields one after another.
func (r *run) serial() []*group {
	out := make([]*group, len(r.pl.serial))
	for i, root := range r.pl.serial {
		out[i] = r.execute(root)
	}
	return out
}
