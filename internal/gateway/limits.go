package gateway

import (
	"cmp"
	"context"
	"fmt"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/cost"
)

// Limits rejects an operation before it runs — so before any backend call —
// when it is deeper, more aliased or more costly than configured, or when
// an argument is out of range (arguments.go). The cost is counted in
// what matters to the backends: the batched calls the query will make
// and the objects it fans out to, read from the operation's plan — the
// plan the engine then runs, made once per document (Engine.Estimate; an
// operation gqlgen's executor runs is read from the shape the planner
// normalized for it). Figures saturate; planning is linear in the
// document, and past MaxWork the operation is refused. The verdict per
// operation and variables is kept (verdicts.go).
type Limits struct {
	MaxDepth        int
	MaxAliases      int
	MaxBackendCalls int
	MaxItems        int
	// MaxIntrospectionItems bounds the objects introspection fields are
	// estimated to return (0: no limit). Introspection calls no backend,
	// but aliases and fragments can make its response huge.
	MaxIntrospectionItems int
	// MaxIntrospectionDepth bounds the nesting of fields below an
	// introspection root (__schema, __type), the root counting as 1 (0: no
	// limit). gqlparser bounds only the nesting of __Type's list fields;
	// an ofType chain is otherwise as deep as the client likes.
	MaxIntrospectionDepth int
	// DefaultListSize is assumed for lists without @listSize.
	DefaultListSize int
	// MaxArgumentLength bounds, in bytes, every string in an argument's
	// value — literal or variable, in lists and input objects too (0: no
	// limit). Such strings become backend URLs and cache keys.
	MaxArgumentLength int
	// MaxWrites bounds the writes (@write mutation fields) of one operation
	// (0: no limit): over it, none is sent.
	MaxWrites int
	// Fields describes the fields to the estimator; nil means the
	// schema's own declarations (cost.NewSchemaFields), which New sets.
	Fields cost.Fields
	// MaxWork caps the planning and estimating work units per document;
	// zero means cost.DefaultMaxWork.
	MaxWork int
	// Plans estimates an operation from its plan; nil means the
	// executable schema's (the engine's), which Validate sets.
	Plans PlanEstimator
	// VerdictBytes bounds the memory of the verdicts kept; zero means
	// DefaultVerdictBytes.
	VerdictBytes int64

	once     sync.Once
	verdicts *otter.Cache[verdictKey, verdict]
}

// CodeIntrospectionTooDeep refuses an introspection query nested deeper
// than Limits.MaxIntrospectionDepth.
const CodeIntrospectionTooDeep = "INTROSPECTION_TOO_DEEP"

var (
	_ graphql.HandlerExtension        = (*Limits)(nil)
	_ graphql.OperationContextMutator = (*Limits)(nil)
)

// ExtensionName implements graphql.HandlerExtension.
func (*Limits) ExtensionName() string { return "Limits" }

// PlanEstimator is what the limits need of the engine: the cost of an
// operation, read from its plan (engine.Engine implements it).
type PlanEstimator interface {
	Estimate(oc *graphql.OperationContext, defaultList int, fc cost.Fields) cost.Cost
}

// Validate implements graphql.HandlerExtension: without Fields, the
// schema's own directives describe the fields; without Plans, the
// executable schema must be the engine.
func (l *Limits) Validate(es graphql.ExecutableSchema) error {
	if l.Fields == nil {
		l.Fields = cost.NewSchemaFields(es.Schema())
	}
	if l.Plans == nil {
		pe, ok := es.(PlanEstimator)
		if !ok {
			return fmt.Errorf("limits: the executable schema %T does not estimate plans", es)
		}
		l.Plans = pe
	}
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator. The
// verdict depends only on the operation and the variables' values, so it
// is worked out once per operation of a cached document and variables,
// and kept (bounded): a client repeating a query pays for its analysis
// once.
func (l *Limits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	l.once.Do(l.init)
	k, ok := verdictKeyOf(oc)
	if ok {
		if v, hit := l.verdicts.GetIfPresent(k); hit {
			setPlanned(oc, v.planned)
			return v.copyErr()
		}
	}
	err, pc := l.judge(oc)
	if ok {
		l.verdicts.Set(k, verdict{err: err, planned: pc})
	}
	setPlanned(oc, pc)
	if err != nil {
		return verdict{err: err}.copyErr()
	}
	return nil
}

// judge checks oc's arguments and estimate against the limits, and
// returns the calls the plan makes (nil when the arguments are refused).
func (l *Limits) judge(oc *graphql.OperationContext) (*gqlerror.Error, *plannedCost) {
	fc := l.Fields // set by Validate when the extension is used
	maxLen := l.MaxArgumentLength
	if oc.Operation.Operation == ast.Mutation && maxLen > 0 {
		// A write's strings are as long as its contract allows; its
		// resolver checks them against the contract before sending.
		maxLen = max(maxLen, registry.WriteArgBytes())
	}
	if err := CheckArguments(oc.Doc, oc.Operation, oc.Variables, fc, maxLen); err != nil {
		return err, nil
	}
	c := l.Plans.Estimate(oc, l.DefaultListSize, fc)
	if maxWork := cmp.Or(l.MaxWork, cost.DefaultMaxWork); c.Work > maxWork {
		c.Exhausted = true
	}
	pc := &plannedCost{Calls: c.Calls, PerService: c.PerService}
	writes := c.Writes
	c = c.WithWrites(writes)
	if l.MaxWrites > 0 && writes > l.MaxWrites {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("the operation has %d writes, the limit is %d; none was sent", writes, l.MaxWrites),
			Extensions: map[string]any{"code": CodeTooManyWrites, "writes": writes, "maxWrites": l.MaxWrites},
		}, nil
	}
	reject := func(code, msg string) (*gqlerror.Error, *plannedCost) {
		return &gqlerror.Error{Message: msg, Extensions: map[string]any{
			"code": code,
			"cost": map[string]any{"depth": c.Depth, "aliases": c.Aliases, "backendCalls": c.Calls, "items": c.Items,
				"introspectionItems": c.IntrospectionItems, "introspectionDepth": c.IntrospectionDepth, "perService": c.PerService},
		}}, nil
	}
	switch {
	case c.Exhausted:
		return reject("QUERY_TOO_COSTLY", "query is too complex to plan; simplify its fragments")
	case l.MaxDepth > 0 && c.Depth > l.MaxDepth:
		return reject("QUERY_TOO_DEEP", fmt.Sprintf("query depth %d exceeds the limit of %d", c.Depth, l.MaxDepth))
	case l.MaxAliases > 0 && c.Aliases > l.MaxAliases:
		return reject("TOO_MANY_ALIASES", fmt.Sprintf("query uses %d aliases, the limit is %d", c.Aliases, l.MaxAliases))
	case l.MaxBackendCalls > 0 && c.Calls > l.MaxBackendCalls:
		return reject("QUERY_TOO_COSTLY", fmt.Sprintf("query would make about %d backend calls, the limit is %d", c.Calls, l.MaxBackendCalls))
	case l.MaxItems > 0 && c.Items > l.MaxItems:
		return reject("QUERY_TOO_COSTLY", fmt.Sprintf("query would fan out to about %d items, the limit is %d", c.Items, l.MaxItems))
	case l.MaxIntrospectionDepth > 0 && c.IntrospectionDepth > l.MaxIntrospectionDepth:
		return reject(CodeIntrospectionTooDeep, fmt.Sprintf("introspection nests %d fields deep, the limit is %d", c.IntrospectionDepth, l.MaxIntrospectionDepth))
	case l.MaxIntrospectionItems > 0 && c.IntrospectionItems > l.MaxIntrospectionItems:
		return reject("QUERY_TOO_COSTLY", fmt.Sprintf("introspection would return about %d objects, the limit is %d", c.IntrospectionItems, l.MaxIntrospectionItems))
	}
	return nil, pc
}

// plannedCost is the backend calls an operation's plan makes (its reads; a
// write counts once), as the limits estimated them: the fan-out budget and
// report read it from the operation's stats (plannedFrom).
type plannedCost struct {
	Calls      int
	PerService map[string]int
}

const plannedStat = "tributary.planned"

func setPlanned(oc *graphql.OperationContext, p *plannedCost) {
	if p != nil {
		oc.Stats.SetExtension(plannedStat, p)
	}
}

// plannedFrom returns the calls oc's plan makes, as the limits estimated
// them; nil when the limits did not (or refused the operation).
func plannedFrom(oc *graphql.OperationContext) *plannedCost {
	p, _ := oc.Stats.GetExtension(plannedStat).(*plannedCost)
	return p
}

// CodeTooManyWrites refuses an operation with more writes than
// Limits.MaxWrites, before any is sent.
const CodeTooManyWrites = "TOO_MANY_WRITES"
