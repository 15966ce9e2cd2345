package loaders

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/engine"
)

// What the scheduler and the executor derive from a selection set depends
// only on the document — and, through @skip/@include, on the boolean
// variables — so it is worked out once and kept across requests, per
// document: the query cache hands every request of a text the same
// *ast.QueryDocument, whose selection sets' addresses then name them. The
// documents kept are bounded in count and bytes (docEntries, docBytes: the
// last ones seen), and each document's analysis by its size.

// shapeKey identifies a selection set of a document seen as an object type.
type shapeKey struct {
	first    *ast.Selection
	n        int
	typeName string
	vars     string // varsKey of the request; "" where variables do not matter
}

// analysis is what has been derived from one document.
type analysis struct {
	counts   sync.Map // shapeKey → int64: resolved fields per object
	orders   sync.Map // shapeKey → bool: InOrder
	collects sync.Map // collectKey → []graphql.CollectedField

	// walkMu guards walk, the InOrder questions answered so far for this
	// document's fragments (see walker).
	walkMu sync.Mutex
	walk   walker

	// shapes counts the distinct values of the directive variables whose
	// results are kept (admit): a document sent with new values each time
	// would otherwise grow its analysis by every request.
	shapes     sync.Map // varsKey → struct{}
	shapeCount atomic.Int64

	// directiveVars are the variables the document's directives read
	// (@skip, @include, @defer(if:)): the only ones that change which
	// fields are collected. Usually none.
	directiveVars []string
}

func newAnalysis(doc *ast.QueryDocument) *analysis {
	return &analysis{walk: walker{memo: map[walkKey]bool{}}, directiveVars: engine.DirectiveVars(doc)}
}

// varsKey is the part of a request's variables that can change which
// fields the document collects: the values of the directives' variables;
// "" (no work) when no directive reads one.
func (a *analysis) varsKey(vars map[string]any) string {
	if len(a.directiveVars) == 0 {
		return ""
	}
	var b strings.Builder
	for _, name := range a.directiveVars {
		b.WriteString(name)
		b.WriteByte('=')
		if v, ok := vars[name].(bool); ok {
			b.WriteString(strconv.FormatBool(v))
		}
		b.WriteByte(';')
	}
	return b.String()
}

// maxShapes bounds the distinct directive-variable values a document's
// analysis keeps results for; past it, requests of the document with other
// values work out their collections and counts per request (as gqlgen
// does), storing nothing.
const maxShapes = 16

// admit reports whether results for vars may be kept.
func (a *analysis) admit(vars string) bool {
	if vars == "" {
		return true
	}
	if _, ok := a.shapes.Load(vars); ok {
		return true
	}
	if a.shapeCount.Add(1) > maxShapes {
		a.shapeCount.Add(-1)
		return false
	}
	if _, loaded := a.shapes.LoadOrStore(vars, struct{}{}); loaded {
		a.shapeCount.Add(-1)
	}
	return true
}

// varsKey is analysis.varsKey for oc's document and variables.
func varsKey(oc *graphql.OperationContext) string {
	if a := analysisOf(oc.Doc); a != nil {
		return a.varsKey(oc.Variables)
	}
	return ""
}

// docEntries and docBytes bound the documents analyses are kept for: the
// memo holds each document's syntax tree alive, so it is bounded in bytes
// too (as the documents' text estimates them), whatever the query cache
// has dropped already.
const (
	docEntries = 1_000
	docBytes   = 16 << 20
)

var analyses memo[*ast.QueryDocument, *analysis]

// analysisOf returns doc's analysis; nil without a document.
func analysisOf(doc *ast.QueryDocument) *analysis {
	if doc == nil {
		return nil
	}
	if a, ok := analyses.get(doc); ok {
		return a
	}
	return analyses.getOrSet(doc, newAnalysis(doc), docWeight(doc))
}

// docWeight estimates what keeping doc alive costs: its source text, and
// about as much again for its syntax tree (gqlparser's nodes are a few
// times the tokens they hold, and a document is mostly tokens).
func docWeight(doc *ast.QueryDocument) int64 {
	for _, op := range doc.Operations {
		if op.Position != nil && op.Position.Src != nil {
			return 4 * int64(len(op.Position.Src.Input))
		}
	}
	for _, f := range doc.Fragments {
		if f.Position != nil && f.Position.Src != nil {
			return 4 * int64(len(f.Position.Src.Input))
		}
	}
	return 1 << 10
}

// memo is a bounded map for values that are cheap to recompute and read on
// every object the executor marshals: reads are a sync.Map load, and when
// it is full (docEntries values, or docBytes of weight) it starts over (an
// LRU's bookkeeping on every read cost more than the analysis it saves).
type memo[K comparable, V any] struct {
	mu    sync.Mutex
	m     atomic.Pointer[sync.Map]
	n     atomic.Int64
	bytes atomic.Int64
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

func (c *memo[K, V]) full() bool {
	return c.n.Load() >= docEntries || c.bytes.Load() >= docBytes
}

// getOrSet stores v, weighing weight bytes, under k unless a value is
// there, and returns the one kept.
func (c *memo[K, V]) getOrSet(k K, v V, weight int64) V {
	m := c.m.Load()
	if m == nil || c.full() {
		c.mu.Lock()
		if m = c.m.Load(); m == nil || c.full() {
			m = &sync.Map{}
			c.m.Store(m)
			c.n.Store(0)
			c.bytes.Store(0)
		}
		c.mu.Unlock()
	}
	actual, loaded := m.LoadOrStore(k, v)
	if !loaded {
		c.n.Add(1)
		c.bytes.Add(weight)
	}
	return actual.(V)
}

func keyOf(sel ast.SelectionSet, typeName, vars string) shapeKey {
	return shapeKey{first: &sel[0], n: len(sel), typeName: typeName, vars: vars}
}

// resolvedPerObject is how many fields the executor runs through a
// resolver for each object of typeName under sel (the scheduler's unit),
// computed once per selection set and directive variables.
func (b *Batching) resolvedPerObject(oc *graphql.OperationContext, vars string, sel ast.SelectionSet, typeName string) int64 {
	return perObject(b.Schema, oc, vars, sel, typeName)
}

func perObject(schema *ast.Schema, oc *graphql.OperationContext, vars string, sel ast.SelectionSet, typeName string) int64 {
	if len(sel) == 0 {
		return 0
	}
	a := analysisOf(oc.Doc)
	if a == nil {
		return countResolved(schema, oc, sel, typeName)
	}
	k := keyOf(sel, typeName, vars)
	if n, ok := a.counts.Load(k); ok {
		return n.(int64)
	}
	n := countResolved(schema, oc, sel, typeName)
	if a.admit(vars) {
		a.counts.Store(k, n)
	}
	return n
}

// countResolved counts, as gqlgen's CollectFields sees them, the fields of
// typeName under sel that have a resolver and are not deferred (deferred
// fields count themselves in when they start).
func countResolved(schema *ast.Schema, oc *graphql.OperationContext, sel ast.SelectionSet, typeName string) int64 {
	def := schema.Types[typeName]
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
//
// The goroutines are how every element's look-ups join one batch before
// the scheduler dispatches a level. In order, the first element does that
// for the list's own fields, as they are batch fields: gqlgen resolves
// each once, for every element, when the first asks. A field below them
// (a review's author under each product) is a batch per element; in order,
// it joins one call only when the fetch plan of the field above it (the
// product's reviews, resolved for every product at once) has asked for
// every element's keys already (registry Planned and PlansResult) — so
// that is required, one level down, and nothing that waits below that. No
// @defer (a deferred field counts itself in), no @auth (an element may be
// refused what the next is not). The scheduler's side is Sequence: the
// later elements' fields are not counted as runnable while the first is
// marshalled. Decided once per selection set, over every field it could
// collect whatever the variables.
func InOrder(doc *ast.QueryDocument, sel ast.SelectionSet, typeName string) bool {
	if len(sel) == 0 {
		return true
	}
	a := analysisOf(doc)
	if a == nil {
		return inOrder(sel, typeName)
	}
	k := keyOf(sel, typeName, "")
	if ok, found := a.orders.Load(k); found {
		return ok.(bool)
	}
	a.walkMu.Lock()
	ok := a.walk.inOrder(sel, typeName)
	a.walkMu.Unlock()
	a.orders.Store(k, ok)
	return ok
}

func inOrder(sel ast.SelectionSet, typeName string) bool {
	w := walker{memo: map[walkKey]bool{}}
	return w.inOrder(sel, typeName)
}

// walker answers the questions InOrder asks of a selection set, each
// fragment walked at most once per question, enclosing type and @defer
// state: a fragment spread many times (each spreading the next twice, say)
// costs one walk, so the work is linear in the document, never in the
// number of paths through its fragments.
type walker struct {
	memo map[walkKey]bool
}

type walkKey struct {
	question int // one of the ask* constants
	fragment string
	typeName string
	deferred bool
	plans    bool
}

const (
	askOuter = iota
	askInner
	askReaches
)

func (w *walker) inOrder(sel ast.SelectionSet, typeName string) bool {
	return w.all(sel, askOuter, typeName, false, false)
}

// all reports whether question holds for every field sel could collect,
// through fragments whatever their type condition and directives (a
// superset); deferred is set under a @defer fragment.
func (w *walker) all(sel ast.SelectionSet, question int, typeName string, deferred, plans bool) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if !w.field(s, question, typeName, deferred, plans) {
				return false
			}
		case *ast.InlineFragment:
			if !w.all(s.SelectionSet, question, typeName, deferred || s.Directives.ForName("defer") != nil, plans) {
				return false
			}
		case *ast.FragmentSpread:
			if s.Definition == nil {
				return false
			}
			k := walkKey{question, s.Name, typeName, deferred || s.Directives.ForName("defer") != nil, plans}
			ok, seen := w.memo[k]
			if !seen {
				// A cycle (refused by validation) would find true here
				// and stop.
				w.memo[k] = true
				ok = w.all(s.Definition.SelectionSet, question, typeName, k.deferred, plans)
				w.memo[k] = ok
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

// field is question for one field f of typeName.
func (w *walker) field(f *ast.Field, question int, typeName string, deferred, plans bool) bool {
	switch question {
	case askOuter:
		if deferred {
			return false
		}
		if !registry.Resolved(typeName, f.Name) {
			return true // inline: waits on nothing (resolvers/ tests it)
		}
		d := registry.Lookup(typeName, f.Name)
		if d == nil || !d.Batch || d.Auth != "" || f.Definition == nil {
			return false
		}
		return w.all(f.SelectionSet, askInner, f.Definition.Type.Name(), false, d.PlansResult)
	case askInner:
		if deferred {
			return false
		}
		if !registry.Resolved(typeName, f.Name) {
			return true
		}
		d := registry.Lookup(typeName, f.Name)
		return plans && d != nil && d.Planned && d.Auth == "" && f.Definition != nil &&
			!w.reaches(f.SelectionSet, f.Definition.Type.Name())
	default: // askReaches, negated: no field under f has a resolver
		if registry.Resolved(typeName, f.Name) {
			return false
		}
		return f.Definition == nil || len(f.SelectionSet) == 0 || !w.reaches(f.SelectionSet, f.Definition.Type.Name())
	}
}

// reaches reports whether any field under sel has a resolver.
func (w *walker) reaches(sel ast.SelectionSet, typeName string) bool {
	return !w.all(sel, askReaches, typeName, false, false)
}

// CollectCtx is graphql.CollectFieldsCtx kept across requests, like
// Collect: the fields of the current field's selection set.
func CollectCtx(ctx context.Context, satisfies []string) []graphql.CollectedField {
	return Collect(graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx).Field.Selections, satisfies)
}

// collectKey identifies a selection set collected for an object type
// (satisfies is one of the executor's package-level slices, so its first
// element's address names it) under a request's directive variables.
type collectKey struct {
	first     *ast.Selection
	n         int
	satisfies *string
	vars      string
}

// Collect is graphql.CollectFields kept across requests: which fields an
// object's selection set collects depends on the document and on the
// boolean variables of @skip, @include and @defer(if:) only. The result is
// shared, as gqlgen's per-request cache shares it between objects, and
// never modified.
func Collect(oc *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
	a := analysisOf(oc.Doc)
	if a == nil || len(sel) == 0 || len(satisfies) == 0 {
		return graphql.CollectFields(oc, sel, satisfies)
	}
	k := collectKey{first: &sel[0], n: len(sel), satisfies: &satisfies[0], vars: a.varsKey(oc.Variables)}
	if fields, ok := a.collects.Load(k); ok {
		return fields.([]graphql.CollectedField)
	}
	fields := graphql.CollectFields(oc, sel, satisfies)
	if a.admit(k.vars) {
		a.collects.Store(k, fields)
	}
	return fields
}

// Sequence is the scheduler's side of a list the executor marshals in
// order (InOrder): the fields of its elements after the first are not
// runnable until their turn, so they are taken out of the count, and they
// find their batch fields resolved by the first (their executions are not
// counted: see laterElement).
func Sequence(ctx context.Context, schema *ast.Schema, sel ast.SelectionSet, typeName string, laterObjects int64) context.Context {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if ok && l.req.sched != nil && laterObjects > 0 {
		l.req.sched.add(-laterObjects * perObject(schema, graphql.GetOperationContext(ctx), l.req.vars, sel, typeName))
	}
	if g := graphql.GetBatchParentGroup(ctx, typeName); g != nil {
		ctx = context.WithValue(ctx, inOrderKey{}, g)
	}
	return ctx
}

// CountObjects counts the objects in a value the executor marshals.
func CountObjects(v any) int64 { return countObjects(reflect.ValueOf(v)) }

type (
	inOrderKey struct{}
	laterKey   struct{}
)

// inOrderGroup reports whether the field of ctx is a batch field of a list
// marshalled in order: its resolver, run by the first element, waits for
// that element alone (the later ones are out of the count), not for all.
func inOrderGroup(ctx context.Context) bool {
	g, _ := ctx.Value(inOrderKey{}).(*graphql.BatchParentGroup)
	if g == nil {
		return false
	}
	fc := graphql.GetFieldContext(ctx)
	return fc != nil && graphql.GetBatchParentGroup(ctx, fc.Object) == g
}

// Later marks ctx, whose field context elem is an element of a list
// marshalled in order after its first: its fields' batch results are there.
func Later(ctx context.Context, elem *graphql.FieldContext) context.Context {
	return context.WithValue(ctx, laterKey{}, elem)
}

// LaterElement reports whether the object of ctx is a later element of a
// list marshalled in order (Later), whose fields need no goroutine.
func LaterElement(ctx context.Context) bool {
	e, _ := ctx.Value(laterKey{}).(*graphql.FieldContext)
	return e != nil && e == graphql.GetFieldContext(ctx)
}

// laterElementField reports whether fc is a field of such an element: not
// counted by the scheduler (Sequence took its unit out).
func laterElementField(ctx context.Context, fc *graphql.FieldContext) bool {
	e, _ := ctx.Value(laterKey{}).(*graphql.FieldContext)
	return e != nil && e == fc.Parent
}
