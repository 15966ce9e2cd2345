package loaders

import (
	"context"

	"github.com/tributary-gw/tributary/internal/engine"
)

// The plan engine (internal/engine) runs an operation round by round: it
// starts every look-up of a round, and once each of them waits on a loader
// it dispatches the loaders itself. Runtime is what it needs from the
// request's loaders; the engine declares the interface, so it imports
// nothing from services/.

// Runtime adapts the request's loaders to the plan engine.
type Runtime struct{}

// Manual hands the dispatch of ctx's loaders to the caller: dispatch
// sends the pending keys of every loader but those whose service and
// endpoint hold reports (nil: none held). ok is false without loaders in ctx; in timer mode dispatch does nothing
// (the loaders' own window sends the batches).
func (Runtime) Manual(ctx context.Context) (dispatch func(hold func(service, endpoint string) bool), ok bool) {
	l, ok := From(ctx)
	if !ok {
		return nil, false
	}
	if d := l.req.disp; d != nil {
		return d.dispatch, true
	}
	return func(func(string, string) bool) {}, true
}

// Unmanaged leaves the dispatch of ctx's loaders to their own wait window:
// for an operation gqlgen's executor runs, which dispatches nothing.
func (Runtime) Unmanaged(ctx context.Context) {
	if l, ok := From(ctx); ok {
		l.unmanaged()
	}
}

type waitHookKey struct{}

// OnWait returns ctx whose loads call w.Wait when they are about to wait
// for an answer not yet in (everything the caller asks for until its
// answer comes is then queued), and w.Wake once the answer is in, before
// the caller goes on. A load whose answers are all in calls neither.
// Wait's sent tells whether every key waited on was already dispatched
// (it is in a call), rather than queued for the next dispatch.
func (Runtime) OnWait(ctx context.Context, w engine.Waiter) context.Context {
	return context.WithValue(ctx, waitHookKey{}, w)
}

// WithRoot returns ctx for resolving one root field, and the critical
// failure of that root field once it is resolved.
func (Runtime) WithRoot(ctx context.Context) (context.Context, func() error) {
	ctx, st := WithRoot(ctx)
	return ctx, st.Err
}
