// Package cost estimates what a GraphQL operation will cost before it
// runs: the batched backend calls it will make, the objects it fans out
// to, its depth and aliases, and the same for introspection. The gateway's
// limits (internal/gateway: Limits) refuse an operation over its budget
// with these figures; `-explain` prints them.
//
// The estimate reads what fields mean only through Fields (NewSchemaFields
// reads the generated registry, graph/registry), so it keeps no list of
// services or fields of its own. It is safe whatever the document: every
// figure saturates at MaxFigure instead of wrapping, each fragment is
// analysed once per context it is spread in (execution merges repeated
// spreads; so does the estimate), and the work is counted and capped
// (EstimateWith's maxWork), so a small document cannot make the gateway
// burn CPU before it answers.
package cost

import (
	"math"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph/registry"
)

// DefaultMaxWork is the estimator's work bound when none is given:
// orders of magnitude above what real operations need (GraphiQL's
// introspection query takes a few hundred units), far below what would
// take a noticeable time.
const DefaultMaxWork = 200_000

// MaxFigure is where every figure of a Cost saturates: large enough to be
// over any configured limit, small enough to print as itself in JSON.
const MaxFigure = math.MaxInt32

// maxInt is the largest GraphQL Int (a signed 32-bit integer).
const maxInt = math.MaxInt32

// Cost is what an operation is estimated to cost. Every figure is between
// 0 and MaxFigure.
type Cost struct {
	Depth   int
	Aliases int
	Calls   int
	Items   int
	// IntrospectionItems counts the objects of introspection fields,
	// which are not in Items (they cost no backend call).
	IntrospectionItems int
	// IntrospectionDepth is the deepest nesting of fields below an
	// introspection root, the root counting as 1.
	IntrospectionDepth int
	// PerService is the estimated calls per service.
	PerService map[string]int
	// Writes counts the operation's @write root fields.
	Writes int
	// Work is the estimator's work units for this document.
	Work int
	// Exhausted is set when the estimate stopped at the work bound.
	Exhausted bool
}

// WriteCost is what one write counts for in the backend-call estimate.
const WriteCost = 5

// Writes counts the @write fields among the operation's root fields
// (through fragments; a field under @skip or @include counts, which can
// only refuse more).
func Writes(doc *ast.QueryDocument, op *ast.OperationDefinition) int {
	if op.Operation != ast.Mutation {
		return 0
	}
	n := 0
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if d := registry.Lookup("Mutation", s.Name); d != nil && d.Write {
					n++
				}
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				// A fragment spread twice at the root runs its writes once:
				// execution merges the fields.
				if f := doc.Fragments.ForName(s.Name); f != nil && !seen[s.Name] {
					seen[s.Name] = true
					walk(f.SelectionSet)
				}
			}
		}
	}
	walk(op.SelectionSet)
	return n
}

// WithWrites returns c with n writes added to its calls, each counting
// WriteCost: a write costs more than a read, it may be retried and it
// drops cache entries on every replica.
func (c Cost) WithWrites(n int) Cost {
	c.Calls = int(min(SatAdd(int64(c.Calls), SatMul(int64(n), WriteCost-1)), MaxFigure))
	return c
}

// Estimate computes the cost of op, with fields described by fc, within
// DefaultMaxWork work units. vars must hold the coerced variables; the
// arguments should have passed the gateway's CheckArguments
// (out-of-range values are clamped to their bounds, never trusted).
func Estimate(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any, defaultList int, fc Fields) Cost {
	return EstimateWith(doc, op, vars, defaultList, fc, 0)
}

// EstimateWith computes the cost of op within maxWork work units (zero:
// DefaultMaxWork). Introspection fields count for aliases and
// IntrospectionItems but not for depth or Items (GraphiQL's own
// introspection query is deep). A work unit is one selection visited or
// one look-up entry merged into its parent's; the work never exceeds
// maxWork by more than one merge.
func EstimateWith(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any, defaultList int, fc Fields, maxWork int) Cost {
	if defaultList <= 0 {
		defaultList = 10
	}
	if maxWork <= 0 {
		maxWork = DefaultMaxWork
	}
	e := &estimator{vars: vars, defaultList: int64(defaultList), fc: fc, maxWork: int64(maxWork), memo: map[memoKey]*summary{}, ids: map[ast.Selection]int{}, limits: map[string]int64{},
		originIDs: map[originNode]int{}, grafts: map[[2]int]int{}}
	s := e.selections([]ast.SelectionSet{op.SelectionSet}, "", false)
	c := Cost{
		Depth:              int(s.depth),
		Aliases:            int(s.aliases),
		Items:              int(s.items),
		IntrospectionItems: int(s.introItems),
		IntrospectionDepth: int(s.introDepth),
		PerService:         map[string]int{},
		Work:               int(min(e.work, MaxFigure)),
		Exhausted:          e.exhausted,
	}
	var calls int64
	memo := map[callKey]int64{}
	for k := range s.keys {
		per := e.calls(s.keys, k, memo)
		calls = SatAdd(calls, per)
		c.PerService[k.service] = int(SatAdd(int64(c.PerService[k.service]), per))
	}
	c.Calls = int(calls)
	return c
}

// SatAdd and SatMul are + and × on non-negative figures, saturating at
// MaxFigure instead of overflowing (for counts of the same kind outside
// the estimate, such as the overlap bound's pairs).
func SatAdd(a, b int64) int64 {
	if a >= MaxFigure-b {
		return MaxFigure
	}
	return a + b
}

func SatMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > MaxFigure/b {
		return MaxFigure
	}
	return min(a*b, MaxFigure)
}
