// Package cost holds what an operation is estimated to cost before it
// runs — the batched backend calls it will make, the objects it fans out
// to, its depth and aliases, and the same for introspection — and what the
// estimate reads of the schema (Fields: services, list sizes, argument
// bounds, batch limits from the registry). The figures are computed from
// the operation's plan by the engine (internal/engine: Engine.Estimate),
// the plan it then runs, so no second walk of the query can disagree with
// it; the gateway's limits (internal/gateway: Limits) refuse an operation
// over its budget with them and `-explain` prints them. Every figure
// saturates at MaxFigure instead of wrapping.
package cost

import "math"

// DefaultMaxWork is the estimator's work bound when none is given:
// orders of magnitude above what real operations need (GraphiQL's
// introspection query takes a few hundred units), far below what would
// take a noticeable time.
const DefaultMaxWork = 200_000

// MaxFigure is where every figure of a Cost saturates: large enough to be
// over any configured limit, small enough to print as itself in JSON.
const MaxFigure = math.MaxInt32

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
	// Work is the planning and estimating work units for this document
	// (linear in it).
	Work int
	// Exhausted is set when the operation could not be planned at all, or
	// (the limits set it) its work is over the bound.
	Exhausted bool
}

// WriteCost is what one write counts for in the backend-call estimate.
const WriteCost = 5

// WithWrites returns c with n writes added to its calls, each counting
// WriteCost: a write costs more than a read, it may be retried and it
// drops cache entries on every replica.
func (c Cost) WithWrites(n int) Cost {
	c.Calls = int(min(SatAdd(int64(c.Calls), SatMul(int64(n), WriteCost-1)), MaxFigure))
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
