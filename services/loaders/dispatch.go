package loaders

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tributary-gw/tributary/internal/engine"
)

// Dispatcher sends a request's loaders when the plan engine
// (internal/engine) says a round has asked for all its keys (see
// Runtime.Manual): each endpoint then gets one call per round and batch
// limit, with no timer. The loaders' own wait (Config.Backstop) remains
// only as a backstop, should a round never say so; Backstops counts the
// batches it sent, which tests require to be none.
//
// An operation the engine does not run (introspection) is executed by
// gqlgen's executor: its loaders are made again with the plain wait window
// (Runtime.Unmanaged).
type Dispatcher struct {
	// loaders are the request's loaders in use (each registers when it
	// is first asked for a key), each with the service and endpoint it
	// calls (the plan engine holds some back: Runtime.Manual).
	mu      sync.Mutex
	loaders []registered
	// flushes counts the engine's dispatches, backstops the batches the
	// loaders' own timer sent because no dispatch came in time.
	flushes   atomic.Int64
	backstops atomic.Int64
}

// loaderKinds is the number of the schema's loaders.
var loaderKinds = reflect.TypeFor[kinds]().NumField()

// registered is a loader in use and what it calls.
type registered struct {
	f                 flusher
	service, endpoint string
}

// Backstops reports how many batches the loaders' backstop timer sent.
func (d *Dispatcher) Backstops() int64 { return d.backstops.Load() }

// Flushes reports how often the engine dispatched the loaders.
func (d *Dispatcher) Flushes() int64 { return d.flushes.Load() }

// dispatch sends the pending keys of every loader but those of the
// endpoints hold reports (nil: none).
func (d *Dispatcher) dispatch(hold func(service, endpoint string) bool) {
	d.flushes.Add(1)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.loaders {
		if hold == nil || !hold(r.service, r.endpoint) {
			r.f.flush()
		}
	}
}

// flusher is a loader the dispatcher sends.
type flusher interface{ flush() }

func (d *Dispatcher) register(f flusher, service, endpoint string) {
	d.mu.Lock()
	if d.loaders == nil {
		// Room for every loader of the schema in one allocation.
		d.loaders = make([]registered, 0, loaderKinds)
	}
	d.loaders = append(d.loaders, registered{f, service, endpoint})
	d.mu.Unlock()
}

// waiter is one LoadAll waiting on keys of a loader not answered yet.
// When the last is answered, the engine's hook (if any) is woken, then the
// call.
type waiter struct {
	remaining int64 // under the loader's mu
	hook      engine.Waiter
	done      sync.WaitGroup
}

// wake tells the hook, then the call, that every key is answered.
func (w *waiter) wake() {
	if w.hook != nil {
		w.hook.Wake()
	}
	w.done.Done()
}

// CollectCtx is graphql.CollectFields for the current field's selection
// set (gqlgen keeps it per request and selection set): the fields the
// generated fetch plan starts look-ups for.
func CollectCtx(ctx context.Context, satisfies []string) []graphql.CollectedField {
	oc := graphql.GetOperationContext(ctx)
	return graphql.CollectFields(oc, graphql.GetFieldContext(ctx).Field.Selections, satisfies)
}
