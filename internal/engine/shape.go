package engine

import (
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/internal/cost"
)

// Shapes. An operation the plan does not run (introspection, and whatever
// else falls back to gqlgen's executor) still gets its selection
// normalized by the planner — fragments merged, @skip/@include applied,
// fields with the same selections sharing their nodes — into a plan that
// binds nothing and is never run: its shape. The cost estimate reads it as
// it reads a plan (estimate.go), so every operation is estimated from one
// normalization, linear in the document. A shape differs from a plan only
// where the plan would give up: every list is one level, an interface or
// union's fields are those of all its fragments merged (more than any one
// object selects, so the estimate can only be higher), introspection
// fields are nodes like others (the estimate counts them apart).

// shape normalizes oc's operation into a shape; nil when even that is
// not possible (no such root type, deeper than maxPlanDepth, more work
// than maxPlanWork).
func (p *planner) shape(oc *graphql.OperationContext) *plan {
	op := oc.Operation
	if op == nil {
		return nil
	}
	rootName, err := p.rootName(op.Operation)
	if err != nil {
		return nil
	}
	pl := &plan{shared: map[string]*node{}}
	defer func() { pl.shared = nil }()
	root := &node{elemType: rootName, exec: true}
	if err := p.shapeChildren(oc, pl, root, op.SelectionSet, 0); err != nil {
		return nil
	}
	pl.root = root
	if op.Operation == ast.Mutation {
		pl.serial = serialRoots(root)
	}
	planRounds(pl)
	return pl
}

// maxPlanWork bounds the selections planning visits (pl.work): a
// document whose fragments spread under many different fields makes the
// merged selections it plans grow as their product, not its size. Past
// it the operation is neither planned nor shaped, and the limits refuse
// it as too costly before anything else is spent on it.
const maxPlanWork = cost.DefaultMaxWork

var errTooComplex = fallback("more than %d selections to plan", maxPlanWork)

// shapeChildren is children (plan.go) for shapes.
func (p *planner) shapeChildren(oc *graphql.OperationContext, pl *plan, parent *node, sel ast.SelectionSet, depth int) error {
	shared, save, err := pl.enter(parent, sel, depth)
	if err != nil || shared {
		return err
	}
	defer save()
	for _, f := range collect(oc, sel, p.shapeSatisfies(parent.elemType), &pl.work) {
		n, err := p.shapeNode(oc, pl, parent, f, depth)
		if err != nil {
			return err
		}
		parent.add(n)
	}
	return nil
}

// shapeSatisfies is satisfies, and for an interface or union every type
// that may stand for it: all their fragments apply.
func (p *planner) shapeSatisfies(typeName string) []string {
	s := p.satisfies(typeName)
	def := p.schema.Types[typeName]
	if def == nil || def.Kind != ast.Interface && def.Kind != ast.Union {
		return s
	}
	s = slices.Clone(s)
	for _, t := range p.schema.GetPossibleTypes(def) {
		s = append(s, t.Name)
	}
	return s
}

// shapeNode is node (plan.go) for shapes: the field's type and where its
// value comes from, nothing bound.
func (p *planner) shapeNode(oc *graphql.OperationContext, pl *plan, parent *node, f graphql.CollectedField, depth int) (*node, error) {
	pl.nodes++
	pl.size += 128
	n := &node{key: f.Alias, field: f, object: parent.elemType, leaf: leafString}
	if f.Name == "__typename" {
		return n, nil
	}
	def := f.Definition
	if def == nil {
		return nil, fallback("field %s without definition", f.Name)
	}
	n.def, n.reg = def, p.fields.Lookup(parent.elemType, f.Name)
	t := def.Type
	for t.Elem != nil {
		n.list = true
		t = t.Elem
	}
	n.elemType = t.NamedType
	td := p.schema.Types[n.elemType]
	if td == nil {
		return nil, fallback("unknown type %s", n.elemType)
	}
	if !strings.HasPrefix(f.Name, "__") && (p.fields.Resolved(parent.elemType, f.Name) || p.isRoot(parent.elemType)) {
		n.src, n.exec = fromResolver, true
	}
	if td.Kind == ast.Scalar || td.Kind == ast.Enum {
		return n, nil
	}
	n.leaf = notLeaf
	if err := p.shapeChildren(oc, pl, n, f.Selections, depth+1); err != nil {
		return nil, err
	}
	return n, nil
}
