package gateway

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/upstream"
)

// Limits rejects an operation before it runs — so before any backend call —
// when it is deeper, more aliased or more costly than configured. The cost
// is counted in what matters to the backends: the batched calls the query
// will make (each @service field is one call per service per level, one
// more per 100 keys) and the objects it fans out to (list sizes from the
// `first`-style argument named by @listSize, else its assumed size).
type Limits struct {
	MaxDepth        int
	MaxAliases      int
	MaxBackendCalls int
	MaxItems        int
	// DefaultListSize is assumed for lists without @listSize.
	DefaultListSize int
}

var (
	_ graphql.HandlerExtension        = Limits{}
	_ graphql.OperationContextMutator = Limits{}
)

// ExtensionName implements graphql.HandlerExtension.
func (Limits) ExtensionName() string { return "Limits" }

// Validate implements graphql.HandlerExtension.
func (Limits) Validate(graphql.ExecutableSchema) error { return nil }

// Cost is what an operation is estimated to cost.
type Cost struct {
	Depth   int
	Aliases int
	Calls   int
	Items   int
	// PerService is the estimated calls per service.
	PerService map[string]int
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (l Limits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	c := Estimate(oc.Doc, oc.Operation, oc.Variables, l.DefaultListSize)
	reject := func(code, msg string) *gqlerror.Error {
		return &gqlerror.Error{Message: msg, Extensions: map[string]any{
			"code": code,
			"cost": map[string]any{"depth": c.Depth, "aliases": c.Aliases, "backendCalls": c.Calls, "items": c.Items, "perService": c.PerService},
		}}
	}
	switch {
	case l.MaxDepth > 0 && c.Depth > l.MaxDepth:
		return reject("QUERY_TOO_DEEP", fmt.Sprintf("query depth %d exceeds the limit of %d", c.Depth, l.MaxDepth))
	case l.MaxAliases > 0 && c.Aliases > l.MaxAliases:
		return reject("TOO_MANY_ALIASES", fmt.Sprintf("query uses %d aliases, the limit is %d", c.Aliases, l.MaxAliases))
	case l.MaxBackendCalls > 0 && c.Calls > l.MaxBackendCalls:
		return reject("QUERY_TOO_COSTLY", fmt.Sprintf("query would make about %d backend calls, the limit is %d", c.Calls, l.MaxBackendCalls))
	case l.MaxItems > 0 && c.Items > l.MaxItems:
		return reject("QUERY_TOO_COSTLY", fmt.Sprintf("query would fan out to about %d items, the limit is %d", c.Items, l.MaxItems))
	}
	return nil
}

// Estimate computes the cost of op. Introspection fields count for
// aliases but not for depth (GraphiQL's own introspection query is deep).
func Estimate(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any, defaultList int) Cost {
	if defaultList <= 0 {
		defaultList = 10
	}
	e := &estimator{vars: vars, defaultList: defaultList, keys: map[levelKey]int{}}
	e.walk(op.SelectionSet, 1, 0, 0, nil)
	c := Cost{Depth: e.depth, Aliases: e.aliases, Items: e.items, PerService: map[string]int{}}
	for k, n := range e.keys {
		calls := (n + upstream.MaxBatch - 1) / upstream.MaxBatch
		c.Calls += calls
		c.PerService[k.service] += calls
	}
	return c
}

type levelKey struct {
	service string
	level   int
}

type estimator struct {
	vars        map[string]any
	defaultList int
	depth       int
	aliases     int
	items       int
	keys        map[levelKey]int // keys asked per service and fan-out level
}

// walk visits sel, reached by mult objects, at the given depth and fan-out
// level; sized maps child field names to a list size set by the parent.
func (e *estimator) walk(sel ast.SelectionSet, mult, depth, level int, sized map[string]int) {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			e.field(s, mult, depth, level, sized)
		case *ast.InlineFragment:
			e.walk(s.SelectionSet, mult, depth, level, sized)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				e.walk(s.Definition.SelectionSet, mult, depth, level, sized)
			}
		}
	}
}

func (e *estimator) field(f *ast.Field, mult, depth, level int, sized map[string]int) {
	if f.Alias != "" && f.Alias != f.Name {
		e.aliases++
	}
	if strings.HasPrefix(f.Name, "__") {
		return // introspection: no backend calls, not counted for depth
	}
	depth++
	e.depth = max(e.depth, depth)
	if f.Definition == nil {
		return
	}
	var info *registry.Field
	if f.ObjectDefinition != nil {
		info = registry.Lookup(f.ObjectDefinition.Name, f.Name)
	}
	if info != nil && info.Service != "" {
		level++
		e.keys[levelKey{info.Service, level}] += mult
	}
	size, hasSize := e.listSize(f, info)
	if n, ok := sized[f.Name]; ok {
		size, hasSize = n, true
	}
	childMult := mult
	var childSized map[string]int
	if info != nil && info.ListSize != nil && len(info.ListSize.SizedFields) > 0 {
		childSized = map[string]int{}
		for _, c := range info.ListSize.SizedFields {
			childSized[c] = size
		}
		hasSize = false // the size applies to the named children
	}
	if f.Definition.Type.Elem != nil { // a list
		if !hasSize {
			size = e.defaultList
		}
		childMult = mult * size
		if len(f.SelectionSet) > 0 {
			e.items += childMult
		}
	} else if len(f.SelectionSet) > 0 && childSized == nil {
		e.items += mult
	}
	e.walk(f.SelectionSet, childMult, depth, level, childSized)
}

// listSize reads @listSize: the slicing argument's value (or length), else
// the assumed size.
func (e *estimator) listSize(f *ast.Field, info *registry.Field) (int, bool) {
	if info == nil || info.ListSize == nil {
		return 0, false
	}
	if arg := info.ListSize.SlicingArgument; arg != "" {
		args := f.ArgumentMap(e.vars)
		switch v := args[arg].(type) {
		case int64:
			return max(int(v), 0), true
		case int:
			return max(v, 0), true
		case []any:
			return len(v), true
		}
	}
	if info.ListSize.Assumed > 0 {
		return info.ListSize.Assumed, true
	}
	return 0, false
}
