// Package engine runs GraphQL operations from a plan: each operation is
// normalized and planned once (fragments merged, @skip/@include applied,
// every field bound to how its value is obtained), kept in a bounded
// cache, then executed round by round — a round starts every resolver
// whose parents are known, the request's loaders are dispatched once all
// of them wait, so each endpoint gets one call per round and batch limit —
// and the response is written straight from the plan's shape.
//
// The contract with gqlgen: the Engine is the graphql.ExecutableSchema
// behind gqlgen's handler, wrapping the generated one. gqlgen keeps the
// transports, parsing, validation, extensions (limits, budget, APQ) and
// introspection; Exec runs a query on the plan when the plan covers it and
// otherwise hands the whole operation to the generated executor, decided
// at planning time (see unsupported) and counted by OnOperation. The plan
// calls the graph's resolvers (the generated connector resolvers and the
// hand-written ones, found by reflection once per plan by gqlgen's naming)
// through the typed calls generated with the graph (Config.Invokers, see
// typed.go), by reflection where it has none, and reads models by
// reflection with field indices resolved at planning time; it imports
// neither services/ nor resolvers/: the request's loaders come in through
// Runtime.
package engine

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph/registry"
)

// Engines, as OnOperation names them.
const (
	Plan   = "plan"
	GQLGen = "gqlgen"
)

// Runtime is what the engine needs from a request's loaders
// (services/loaders.Runtime implements it).
type Runtime interface {
	// Manual hands the dispatch of ctx's loaders to the engine; ok is
	// false when ctx has none. dispatch flushes every loader but those of
	// the endpoints hold reports (nil holds none): their keys stay queued
	// for a later dispatch.
	Manual(ctx context.Context) (dispatch func(hold func(service, endpoint string) bool), ok bool)
	// Unmanaged leaves the dispatch of ctx's loaders to their own wait
	// window, for an operation gqlgen's executor runs.
	Unmanaged(ctx context.Context)
	// OnWait returns ctx whose loads call w.Wait when they start waiting
	// on an answer not yet in, and w.Wake when they have it.
	OnWait(ctx context.Context, w Waiter) context.Context
	// WithRoot returns ctx for one root field and its critical failure.
	WithRoot(ctx context.Context) (context.Context, func() error)
}

// Waiter is told when a resolver call waits on a loader and when its
// answer is in (before the call goes on). sent says whether every key it
// waits on was already dispatched (is in a call), rather than queued for
// the next dispatch. An answer may come before the Wait that announces it.
type Waiter interface {
	Wait(sent bool)
	Wake()
}

// Fields tells the planner which fields gqlgen runs through a resolver and
// what the schema declares about each (service, batch, @auth, …).
type Fields interface {
	Lookup(typeName, field string) *registry.Field
	Resolved(typeName, field string) bool
}

// graphFields is the graph's registry.
type graphFields struct{}

func (graphFields) Lookup(t, f string) *registry.Field { return registry.Lookup(t, f) }
func (graphFields) Resolved(t, f string) bool          { return registry.Resolved(t, f) }

// Config assembles an Engine.
type Config struct {
	// Schema is gqlgen's generated executable schema: the fallback, and
	// the schema the plan reads.
	Schema graphql.ExecutableSchema
	// Resolvers is the graph's resolver root (what Schema was built with).
	Resolvers any
	// Invokers are the typed calls of Resolvers' methods and the models'
	// (generated with the graph, see typed.go); the plan calls the others
	// by reflection. Nil calls every one by reflection.
	Invokers Invokers
	Runtime  Runtime
	// Fields is what the schema declares about its fields (the plugin's
	// registry); nil means the graph's, graph/registry.
	Fields Fields
	// Authorize enforces an @auth rule on object.field for data owned by
	// owner, returning the error the field gets; nil enforces nothing.
	Authorize func(ctx context.Context, object, field, rule, owner string) error
	// RootFailed reports a root field nulled by a critical field below it.
	RootFailed func(ctx context.Context, field string, err error)
	// OnOperation is told which engine ran each operation.
	OnOperation func(engine string)
	// Off sends every operation to gqlgen's executor: the differential
	// tests' reference.
	Off bool
	// MaxPlanBytes bounds what the engine keeps across requests, plans and
	// what it knows of each document (estimated bytes, keys included);
	// zero means DefaultMaxPlanBytes.
	MaxPlanBytes int
	// Workers runs the resolver calls (nil: a goroutine each).
	Workers *Workers
	// MaxHold bounds how long a round's step waits for keys from calls
	// still in flight (see rounds.go), besides half the time left before
	// the request's deadline; zero leaves only the deadline's bound.
	MaxHold time.Duration
}

// DefaultMaxPlanBytes bounds the plan cache: a few thousand typical plans.
const DefaultMaxPlanBytes = 32 << 20

// maxShapes is how many combinations of directive-variable values one
// document may have plans for; past that its plans are made per request
// and not kept (a client cannot fill the cache with one document).
const maxShapes = 16

// Engine is a graphql.ExecutableSchema that runs queries from plans.
type Engine struct {
	graphql.ExecutableSchema
	cfg     Config
	planner planner
	mu      sync.Mutex // planner.bindings
	plans   *otter.Cache[string, *entry]
	docs    *otter.Cache[string, *docInfo]
	// planned counts plans made (tests: a cached plan is not made again).
	planned atomic.Int64
}

// entry is a cached verdict: a plan, or why the operation falls back and
// its shape (see shape.go), which the estimate reads.
type entry struct {
	pl    *plan
	why   string
	shape *plan
}

// docInfo is what is known of a document + operation across requests.
type docInfo struct {
	vars   []string // the variables its directives read
	shapes atomic.Int32
}

// New returns an engine over cfg.Schema.
func New(cfg Config) *Engine {
	max := cfg.MaxPlanBytes
	if max <= 0 {
		max = DefaultMaxPlanBytes
	}
	e := &Engine{ExecutableSchema: cfg.Schema, cfg: cfg}
	fields := cfg.Fields
	if fields == nil {
		fields = graphFields{}
	}
	e.planner = planner{schema: cfg.Schema.Schema(), resolvers: reflect.ValueOf(cfg.Resolvers), invokers: cfg.Invokers, fields: fields, bindings: map[string]*binding{}}
	e.plans = otter.Must(&otter.Options[string, *entry]{
		MaximumWeight: uint64(max - max/4),
		Weigher:       func(k string, v *entry) uint32 { return uint32(min(len(k)+v.weight(), 1<<31)) },
	})
	e.docs = otter.Must(&otter.Options[string, *docInfo]{
		MaximumWeight: uint64(max / 4),
		Weigher:       func(k string, v *docInfo) uint32 { return uint32(min(len(k)+64, 1<<31)) },
	})
	return e
}

func (e *entry) weight() int {
	if e.pl == nil {
		w := 64 + len(e.why)
		if e.shape != nil {
			w += e.shape.size
		}
		return w
	}
	return e.pl.size
}

// Bytes is the estimated memory the engine's caches hold (plans and
// documents), at most Config.MaxPlanBytes.
func (e *Engine) Bytes() int64 { return int64(e.plans.WeightedSize() + e.docs.WeightedSize()) }

// Len is the number of plans kept.
func (e *Engine) Len() int { return e.plans.EstimatedSize() }

// Planned reports how many plans the engine has made.
func (e *Engine) Planned() int64 { return e.planned.Load() }

// Exec runs the operation on its plan, or falls back to gqlgen's executor.
func (e *Engine) Exec(ctx context.Context) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	pl, _ := e.planFor(oc)
	var dispatch func(hold func(service, endpoint string) bool)
	ok := pl != nil
	if ok {
		dispatch, ok = e.cfg.Runtime.Manual(ctx)
	}
	if !ok {
		e.count(GQLGen)
		e.cfg.Runtime.Unmanaged(ctx)
		return e.ExecutableSchema.Exec(ctx)
	}
	e.count(Plan)
	var r *run
	return func(ctx context.Context) *graphql.Response {
		if r != nil {
			return r.next(ctx) // @defer's later payloads
		}
		r = &run{e: e, pl: pl, oc: oc, ctx: ctx, dispatch: dispatch, roots: map[*node]rootState{}}
		r.baseFC = &graphql.FieldContext{Object: pl.root.elemType}
		r.base = graphql.WithFieldContext(ctx, r.baseFC)
		w := writer{r: r, buf: make([]byte, 0, 512)}
		var resp *graphql.Response
		if pl.serial != nil {
			resp = &graphql.Response{Data: w.data(r.serial()...)}
		} else {
			resp = &graphql.Response{Data: w.data(r.execute(pl.root))}
		}
		if len(r.deferred.waiting) > 0 {
			hasNext := true
			resp.HasNext = &hasNext
		}
		return resp
	}
}

func (e *Engine) count(engine string) {
	if e.cfg.OnOperation != nil {
		e.cfg.OnOperation(engine)
	}
}

// planFor returns the plan of oc's operation, or why it falls back.
func (e *Engine) planFor(oc *graphql.OperationContext) (*plan, string) {
	if e.cfg.Off {
		return nil, "the engine is off"
	}
	en := e.entryFor(oc)
	return en.pl, en.why
}

// shapeOf returns what the estimate reads of oc's operation: its plan, or
// the shape of an operation the plan does not run (also when the engine
// is off); nil when there is none.
func (e *Engine) shapeOf(oc *graphql.OperationContext) *plan {
	en := e.entryFor(oc)
	if en.pl != nil {
		return en.pl
	}
	return en.shape
}

// entryFor returns the kept verdict on oc's operation, making it if
// needed.
func (e *Engine) entryFor(oc *graphql.OperationContext) *entry {
	if oc == nil || oc.Doc == nil || oc.Operation == nil {
		return &entry{why: "no operation"}
	}
	if op := oc.Operation.Operation; op != ast.Query && op != ast.Mutation {
		return &entry{why: string(op) + " operations"}
	}
	// One verdict per request: the limits' estimate and the run read the
	// same plan, also when it is not kept (past maxShapes).
	if en, ok := oc.Stats.GetExtension(entryStat).(*entry); ok {
		return en
	}
	en := e.keptEntry(oc)
	oc.Stats.SetExtension(entryStat, en)
	return en
}

// entryStat names the request's verdict in its operation's stats.
const entryStat = "tributary.engine.plan"

// keptEntry returns the verdict kept for oc's operation, making (and
// keeping) it if needed.
func (e *Engine) keptEntry(oc *graphql.OperationContext) *entry {
	docKey := oc.Operation.Name + "\x00" + oc.RawQuery
	d, ok := e.docs.GetIfPresent(docKey)
	if !ok {
		d = &docInfo{vars: DirectiveVars(oc.Doc)}
		e.docs.Set(docKey, d)
	}
	key := docKey + "\x00" + shapeKey(d.vars, oc.Variables)
	if en, ok := e.plans.GetIfPresent(key); ok {
		return en
	}
	en := e.plan(oc)
	if d.shapes.Add(1) <= maxShapes {
		e.plans.Set(key, en)
	}
	return en
}

// plan makes a plan for oc.
func (e *Engine) plan(oc *graphql.OperationContext) *entry {
	e.planned.Add(1)
	e.mu.Lock()
	defer e.mu.Unlock()
	pl, err := e.planner.build(oc)
	if err != nil {
		en := &entry{why: err.Error(), shape: e.planner.shape(oc)}
		if en.shape != nil {
			en.shape.size += len(oc.RawQuery)
		}
		return en
	}
	pl.size += len(oc.RawQuery)
	return &entry{pl: pl}
}

// DirectiveVars lists, sorted, the variables a document's directives read
// (@skip, @include, @defer): the only ones that change which fields are
// collected, so the plan depends on them.
func DirectiveVars(doc *ast.QueryDocument) []string {
	seen := map[string]bool{}
	var walk func(sel ast.SelectionSet)
	dirs := func(ds ast.DirectiveList) {
		for _, d := range ds {
			for _, a := range d.Arguments {
				if a.Value != nil && a.Value.Kind == ast.Variable {
					seen[a.Value.Raw] = true
				}
			}
		}
	}
	walk = func(sel ast.SelectionSet) {
		for _, s := range sel {
			switch s := s.(type) {
			case *ast.Field:
				dirs(s.Directives)
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				dirs(s.Directives)
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				dirs(s.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walk(f.SelectionSet)
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// shapeKey is the values of the directive variables, in a fixed order.
func shapeKey(vars []string, values map[string]any) string {
	if len(vars) == 0 {
		return ""
	}
	var b strings.Builder
	for _, v := range vars {
		b.WriteString(v)
		b.WriteByte('=')
		switch x := values[v].(type) {
		case bool:
			b.WriteString(strconv.FormatBool(x))
		case string: // a @defer label
			b.WriteString(strconv.Quote(x))
		}
		b.WriteByte(';')
	}
	return b.String()
}
