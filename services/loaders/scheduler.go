package loaders

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/engine"
)

// Scheduler dispatches a request's loaders without a timer: as soon as no
// field of the operation can make progress without a backend answer, every
// loader with pending keys calls its service. That is the moment a level of
// the query has asked for all its keys, so a level costs one call per
// service whatever the CPU load, and no wait window is added.
//
// It counts runnable executions of fields that have a resolver (the others
// run inline, in their parent's goroutine, and never wait: resolvers/
// tests that no inline field reaches a resolver):
//   - an operation starts with one unit per root field;
//   - when a field's resolver returns, its unit is replaced by one unit per
//     child field with a resolver the executor will run on the result
//     (objects × such selected fields, as gqlgen's CollectFields sees them;
//     worked out once per selection set, see shapes.go);
//   - a resolver waiting on a loader gives up its weight (for a batch
//     resolver, one unit per parent: gqlgen runs it once for all of them and
//     the others wait on that call), and gets it back from the batch that
//     answers its last key, before that batch wakes anybody up;
//   - a field under @defer runs after the rest of its object, so it is not
//     counted in advance but counts itself in when it starts;
//   - a list the executor marshals in order (InOrder) has its later
//     elements' units taken out when it starts (Sequence): they cannot run
//     before the first is done, and they find their batch results there,
//     so their fields are not counted, and the first element's batch
//     resolver waits with weight 1.
//
// When the count reaches zero every loader is flushed. The loaders' own
// wait remains only as a backstop should the count ever be wrong.
type Scheduler struct {
	pending atomic.Int64
	// flushers are the request's loaders in use (each registers when it
	// is first asked for a key).
	mu       sync.Mutex
	flushers []flusher
	// anomalies counts the count going negative, which would mean the
	// bookkeeping above is wrong; the fan-out report shows it and tests
	// assert it stays zero.
	anomalies atomic.Int64
	// flushes counts zero crossings that flushed, for tests and reports.
	flushes atomic.Int64
	// backstops counts batches dispatched by a loader's own timer because
	// the scheduler had not dispatched them in time.
	backstops atomic.Int64
	// manual is set when the plan engine (internal/engine) runs the
	// operation: it knows when a round has asked for all its keys and
	// dispatches itself (Loaders.Dispatch), so the count is not kept.
	manual atomic.Bool
}

// Backstops reports how many batches the loaders' backstop timer sent.
func (s *Scheduler) Backstops() int64 { return s.backstops.Load() }

func (s *Scheduler) add(n int64) {
	if s == nil || n == 0 || s.manual.Load() {
		return
	}
	switch v := s.pending.Add(n); {
	case v == 0:
		s.flushes.Add(1)
		s.flushAll()
	case v < 0:
		s.anomalies.Add(1)
	}
}

// flusher is a loader the scheduler dispatches.
type flusher interface{ flush() }

func (s *Scheduler) register(f flusher) {
	s.mu.Lock()
	s.flushers = append(s.flushers, f)
	s.mu.Unlock()
}

// flushAll sends what every loader in use has queued.
func (s *Scheduler) flushAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.flushers {
		f.flush()
	}
}

// Anomalies reports how often the count went negative (should be never).
func (s *Scheduler) Anomalies() int64 { return s.anomalies.Load() }

// Flushes reports how often the scheduler dispatched the loaders.
func (s *Scheduler) Flushes() int64 { return s.flushes.Load() }

// waiter is one resolver blocked on a loader: it holds weight units and
// wakes up when remaining reaches zero.
type waiter struct {
	remaining atomic.Int64
	weight    int64
	s         *Scheduler
	// hook is the plan engine's (see Runtime.OnWait), woken like the
	// weight is given back: before the waiter is woken.
	hook engine.Waiter
}

// resolved counts n of the waiter's keys answered.
func (w *waiter) resolved(n int64) {
	if w.remaining.Add(-n) == 0 {
		if w.hook != nil {
			w.hook.Wake()
		}
		w.s.add(w.weight)
	}
}

// Batching is the gqlgen extension that feeds the Scheduler: root fields
// at the start of an operation, and child fields as each resolver returns.
type Batching struct {
	Schema *ast.Schema
}

var (
	_ graphql.HandlerExtension     = (*Batching)(nil)
	_ graphql.OperationInterceptor = (*Batching)(nil)
	_ graphql.FieldInterceptor     = (*Batching)(nil)
)

// ExtensionName implements graphql.HandlerExtension.
func (*Batching) ExtensionName() string { return "TimerFreeBatching" }

// Validate implements graphql.HandlerExtension.
func (*Batching) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation counts the root fields before any of them runs.
func (b *Batching) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if l, ok := ctx.Value(ctxKey{}).(*Loaders); ok {
		oc := graphql.GetOperationContext(ctx)
		l.req.vars = varsKey(oc)
		if oc.Operation != nil && oc.Operation.Operation == ast.Query {
			l.req.sched.add(b.resolvedPerObject(oc, l.req.vars, oc.Operation.SelectionSet, "Query"))
		}
	}
	return next(ctx)
}

// InterceptField replaces the field's unit by its children's when the
// resolver returns (or panics: then there are no children).
func (b *Batching) InterceptField(ctx context.Context, next graphql.Resolver) (res any, err error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !registry.Resolved(fc.Object, fc.Field.Name) {
		return next(ctx) // inline: not counted
	}
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		return next(ctx)
	}
	// A field holds one unit from when it is counted until it returns.
	self := int64(1)
	if laterElementField(ctx, fc) {
		self = 0 // see Sequence
	} else if fc.Field.IsDeferred() {
		// Deferred fields run after the rest of their object, so they are
		// not counted in advance (that would hold the levels before them
		// back); they count themselves in as they start. The executions of
		// a deferred batch field share one unit, held by the first to
		// start: the others may start after the shared resolver already
		// waits (see Loader.LoadAll, which waits with weight 1 for them).
		if l.req.firstOfDeferredGroup(ctx, fc) {
			l.req.sched.add(1)
		} else {
			self = 0
		}
	}
	children := int64(0)
	defer func() { l.req.sched.add(children - self) }()
	res, err = next(ctx)
	if err != nil || res == nil {
		return res, err
	}
	if fc.Field.Field == nil || len(fc.Field.Selections) == 0 || fc.Field.Definition == nil {
		return res, err
	}
	per := b.resolvedPerObject(graphql.GetOperationContext(ctx), l.req.vars, fc.Field.Selections, fc.Field.Definition.Type.Name())
	if per > 0 {
		children = per * countObjects(reflect.ValueOf(res))
	}
	return res, err
}

type deferredKey struct {
	group *graphql.BatchParentGroup
	field string
}

// firstOfDeferredGroup reports whether this execution of a deferred field
// holds its group's unit: always for a field resolved per parent, only the
// first to start for a batch resolver (whose parents share one call).
func (r *request) firstOfDeferredGroup(ctx context.Context, fc *graphql.FieldContext) bool {
	if !isBatchField(fc) {
		return true
	}
	g := graphql.GetBatchParentGroup(ctx, fc.Object)
	if _, inList := graphql.BatchParentIndex(ctx); g == nil || !inList {
		return true
	}
	_, started := r.deferred.LoadOrStore(deferredKey{g, fc.Field.Alias}, struct{}{})
	return !started
}

// isBatchField reports whether gqlgen resolves the field once for all its
// sibling parents (a batch resolver; the registry's Batch).
func isBatchField(fc *graphql.FieldContext) bool {
	d := registry.Lookup(fc.Object, fc.Field.Name)
	return d != nil && d.Batch
}

// countObjects counts the non-nil objects in a resolver result, descending
// into lists.
func countObjects(v reflect.Value) int64 {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return 0
		}
		if v.Kind() == reflect.Interface {
			return countObjects(v.Elem())
		}
		return 1
	case reflect.Slice, reflect.Array:
		n := int64(0)
		for i := range v.Len() {
			n += countObjects(v.Index(i))
		}
		return n
	case reflect.Struct:
		return 1
	default:
		return 0
	}
}
