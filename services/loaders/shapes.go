package loaders

import (
	"sort"
	"strconv"
	"strings"

	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph/registry"
)

// What the scheduler and the executor derive from a selection set depends
// only on the document — and, through @skip/@include, on the boolean
// variables — so it is worked out once and kept across requests. The query
// cache hands every request of a document the same *ast.QueryDocument, so
// a selection set's address identifies it; an entry holds its selection
// set, so that address cannot be reused while the entry lives. Bounded:
// documents that miss the query cache only cost their own entries.

// shapeKey identifies a selection set seen as an object type.
type shapeKey struct {
	first    *ast.Selection
	n        int
	typeName string
	vars     string // boolVars of the request; "" where variables do not matter
}

type shape struct {
	sel ast.SelectionSet // keeps first alive
	n   int64
}

// shapeEntries bounds each memo below.
const shapeEntries = 20_000

var (
	resolvedCounts memo[shapeKey, shape]
	listOrders     memo[shapeKey, shape]
	collections    memo[collectKey, collected]
)

// memo is a bounded map for values that are cheap to recompute and read on
// every object the executor marshals: reads are a sync.Map load, and when
// it is full it starts over (an LRU's bookkeeping on every read cost more
// than the collection it saves).
type memo[K comparable, V any] struct {
	mu sync.Mutex
	m  atomic.Pointer[sync.Map]
	n  atomic.Int64
}

func (c *memo[K, V]) get(k K) (V, bool) {
	if m := c.m.Load(); m != nil {
		if v, ok := m.Load(k); ok {
			return v.(V), true
		}
	}
	var zero V
	return zero, false
}

func (c *memo[K, V]) set(k K, v V) {
	m := c.m.Load()
	if m == nil || c.n.Load() >= shapeEntries {
		c.mu.Lock()
		if m = c.m.Load(); m == nil || c.n.Load() >= shapeEntries {
			m = &sync.Map{}
			c.m.Store(m)
			c.n.Store(0)
		}
		c.mu.Unlock()
	}
	if _, loaded := m.LoadOrStore(k, v); !loaded {
		c.n.Add(1)
	}
}

func keyOf(sel ast.SelectionSet, typeName, vars string) shapeKey {
	return shapeKey{first: &sel[0], n: len(sel), typeName: typeName, vars: vars}
}

// boolVars is the part of a request's variables that can change which
// fields are collected: the boolean ones (@skip/@include take nothing else).
func boolVars(vars map[string]any) string {
	var names []string
	for k, v := range vars {
		if _, ok := v.(bool); ok {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.FormatBool(vars[k].(bool)))
		b.WriteByte(';')
	}
	return b.String()
}

// resolvedPerObject is how many fields the executor runs through a
// resolver for each object of typeName under sel (the scheduler's unit),
// computed once per selection set and boolean variables.
func (b *Batching) resolvedPerObject(oc *graphql.OperationContext, vars string, sel ast.SelectionSet, typeName string) int64 {
	if len(sel) == 0 {
		return 0
	}
	k := keyOf(sel, typeName, vars)
	if s, ok := resolvedCounts.get(k); ok {
		return s.n
	}
	n := b.countResolved(oc, sel, typeName)
	resolvedCounts.set(k, shape{sel: sel, n: n})
	return n
}

// countResolved counts, as gqlgen's CollectFields sees them, the fields of
// typeName under sel that have a resolver and are not deferred (deferred
// fields count themselves in when they start).
func (b *Batching) countResolved(oc *graphql.OperationContext, sel ast.SelectionSet, typeName string) int64 {
	def := b.Schema.Types[typeName]
	if def == nil || def.Kind != ast.Object {
		// Interfaces and unions would need each object's concrete type;
		// the graph has none, and the backstop covers them if added.
		return 0
	}
	satisfies := append([]string{typeName}, def.Interfaces...)
	n := int64(0)
	for _, f := range graphql.CollectFields(oc, sel, satisfies) {
		if !f.IsDeferred() && registry.Resolved(typeName, f.Name) {
			n++
		}
	}
	return n
}

// InOrder reports whether the executor may marshal the elements of a list
// of typeName objects one after another rather than in a goroutine each.
// It may when nothing below an element can wait on a backend except one
// batch field, which gqlgen resolves once for the whole list, and whose
// own subtree waits on nothing: the first element's wait is then the whole
// list's, and the scheduler already gives that wait the weight of every
// element. Not with two such fields: should the first need no call and the
// second wait, the later elements' units of the first would stay counted
// behind the wait. Nor with a deeper wait (a review's author under each
// product), which is a batch per element: those must all be asked for
// before the level is dispatched. Such lists keep their goroutines.
// Decided once per selection set, over every field it could collect
// whatever the variables.
func InOrder(sel ast.SelectionSet, typeName string) bool {
	if len(sel) == 0 {
		return true
	}
	k := keyOf(sel, typeName, "")
	if s, ok := listOrders.get(k); ok {
		return s.n == 1
	}
	ok := inOrder(sel, typeName)
	n := int64(0)
	if ok {
		n = 1
	}
	listOrders.set(k, shape{sel: sel, n: n})
	return ok
}

func inOrder(sel ast.SelectionSet, typeName string) bool {
	var batch *ast.Field
	return eachField(sel, false, func(f *ast.Field, deferred bool) bool {
		if deferred {
			return false
		}
		if !registry.Resolved(typeName, f.Name) {
			return true // inline: waits on nothing (resolvers/ tests it)
		}
		if batch != nil && (batch.Alias != f.Alias || batch.Name != f.Name) {
			return false // a second field that may wait
		}
		batch = f
		d := registry.Lookup(typeName, f.Name)
		return d != nil && d.Batch && f.Definition != nil && !reachesResolver(f.SelectionSet, f.Definition.Type.Name())
	})
}

// reachesResolver reports whether any field under sel has a resolver.
func reachesResolver(sel ast.SelectionSet, typeName string) bool {
	return !eachField(sel, false, func(f *ast.Field, _ bool) bool {
		if registry.Resolved(typeName, f.Name) {
			return false
		}
		return f.Definition == nil || len(f.SelectionSet) == 0 || !reachesResolver(f.SelectionSet, f.Definition.Type.Name())
	})
}

// eachField calls fn for every field sel could collect, through fragments
// whatever their type condition and directives (a superset), and stops
// with false as soon as fn does. deferred is set under a @defer fragment.
func eachField(sel ast.SelectionSet, deferred bool, fn func(f *ast.Field, deferred bool) bool) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if !fn(s, deferred) {
				return false
			}
		case *ast.InlineFragment:
			if !eachField(s.SelectionSet, deferred || s.Directives.ForName("defer") != nil, fn) {
				return false
			}
		case *ast.FragmentSpread:
			if s.Definition == nil {
				return false
			}
			if !eachField(s.Definition.SelectionSet, deferred || s.Directives.ForName("defer") != nil, fn) {
				return false
			}
		}
	}
	return true
}

// collectKey identifies a selection set collected for an object type
// (satisfies is one of the executor's package-level slices, so its first
// element's address names it) under a request's boolean variables.
type collectKey struct {
	first     *ast.Selection
	n         int
	satisfies *string
	vars      string
}

type collected struct {
	sel    ast.SelectionSet // keeps first alive
	fields []graphql.CollectedField
}

// Collect is graphql.CollectFields kept across requests: which fields an
// object's selection set collects depends on the document and on the
// boolean variables of @skip, @include and @defer(if:) only. The result is
// shared, as gqlgen's per-request cache shares it between objects, and
// never modified.
func Collect(oc *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
	if len(sel) == 0 || len(satisfies) == 0 {
		return graphql.CollectFields(oc, sel, satisfies)
	}
	k := collectKey{first: &sel[0], n: len(sel), satisfies: &satisfies[0], vars: boolVars(oc.Variables)}
	if c, ok := collections.get(k); ok {
		return c.fields
	}
	fields := graphql.CollectFields(oc, sel, satisfies)
	collections.set(k, collected{sel: sel, fields: fields})
	return fields
}
