// Package loaders holds the per-request dataloaders that batch every backend
// look-up: within one GraphQL request, all keys asked for at one level of the
// query go to each service as one call (split at the contract's 100 ids),
// and a key asked for twice is fetched once.
package loaders

import (
	"context"
	"net/http"
	"time"

	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/internal/upstream"
)

// Clients are the backend clients the loaders call, by service name (every
// service the schema declares).
type Clients map[string]*upstream.Client

// Config tunes batching.
type Config struct {
	// Wait is the batching window of loaders nothing dispatches: in timer
	// mode, and for an operation gqlgen's executor runs (see Dispatcher).
	// Zero means DefaultWait.
	Wait time.Duration
	// Timer leaves the dispatch to the loaders' own window (Wait), like
	// plain dataloaders, also when the plan engine runs the operation (for
	// comparison in benchmarks).
	Timer bool
	// Backstop is how long a loader waits for the engine's dispatch before
	// it dispatches anyway. Zero means DefaultBackstop.
	Backstop time.Duration
	// Critical says which services' failures fail the root field by
	// default (fields override it with @critical / @optional).
	Critical map[string]bool
	// Stale serves @fallback fields; nil disables fallbacks.
	Stale *StaleCache
	// Disabled turns batching off (one backend call per key), to measure
	// what batching saves. Never in production.
	Disabled bool
	// Authorize decides an @auth rule for the caller of ctx, the owner being
	// the user the data belongs to; the fetch plan asks it before fetching
	// a field ahead of its resolver. nil allows everything (auth off).
	Authorize func(ctx context.Context, rule, owner string) bool
	// Cache is the entity cache of backend answers, shared by all
	// requests; nil caches nothing.
	Cache *connect.Cache
	// Workers runs the backend calls (nil: on dataloader's goroutine).
	Workers *engine.Workers
	// Share shares backend reads across concurrent requests (see
	// connect.Share); nil: each request makes its own calls.
	Share *connect.Share
}

// DefaultWait is the batching window in timer mode: short enough to add
// little latency per level (see bench/README.md for the measurement).
const DefaultWait = time.Millisecond

// DefaultBackstop bounds the wait for the engine, which dispatches every
// round as soon as it has asked for all its keys; it only matters should
// that never be known. It is long on purpose: at saturation a round can
// take longer than a short timer, which would then split it (measured in
// bench/).
const DefaultBackstop = time.Second

// request is what a request's loaders share.
type request struct {
	disp  *Dispatcher // nil in timer mode
	stale *StaleCache
	deg   *Degradation
	authz func(ctx context.Context, rule, owner string) bool

	// What writes need: the clients, the entity cache, and what makes the
	// request's loaders afresh once a write has changed what they hold.
	clients Clients
	cfg     Config
	kinds   *kinds

	// Made with the request (one allocation); disp points at dispatcher
	// unless in timer mode.
	dispatcher Dispatcher
	degraded   Degradation
}

// New returns fresh loaders over c for one request, dispatched by the plan
// engine (see Dispatcher) unless cfg.Timer asks for the plain wait window.
func New(c Clients, cfg Config) *Loaders {
	return newRequest(c, cfg, newKinds(c, cfg))
}

// newRequest is New with the loaders' kinds made already (Middleware makes
// them once).
func newRequest(c Clients, cfg Config, k *kinds) *Loaders {
	r := &request{stale: cfg.Stale, authz: cfg.Authorize, clients: c, cfg: cfg, kinds: k}
	r.deg = &r.degraded
	if !cfg.Timer {
		r.disp = &r.dispatcher
	}
	return newLoaders(r)
}

// unmanaged makes l's loaders again with the plain wait window, for an
// operation nothing will dispatch (gqlgen's executor runs it). Nothing has
// been asked of them yet.
func (l *Loaders) unmanaged() {
	if l.req.disp == nil {
		return
	}
	l.req.disp = nil
	l.req.cfg.Timer = true
	l.req.kinds = newKinds(l.req.clients, l.req.cfg)
	*l = *newLoaders(l.req)
}

// Client returns the client of a service, for a write; nil for a service
// the schema does not declare.
func (l *Loaders) Client(service string) *upstream.Client { return l.req.clients[service] }

// Cache returns the entity cache (nil when off), for a write's
// invalidations.
func (l *Loaders) Cache() *connect.Cache { return l.req.cfg.Cache }

// Forget drops everything the request's loaders hold, after a write: what
// a later field of the request reads must show it. Mutation root fields
// run one after another, each with its whole selection, so no look-up is
// in flight when a write returns and the next one starts.
func (l *Loaders) Forget() {
	*l = *newLoaders(l.req)
}

// Degradation returns what the request served stale.
func (l *Loaders) Degradation() *Degradation { return l.req.deg }

// Dispatcher returns the request's dispatcher; nil in timer mode (or when
// gqlgen's executor ran the operation).
func (l *Loaders) Dispatcher() *Dispatcher { return l.req.disp }

// Allowed decides an @auth rule ahead of the field's resolver, for the
// fetch plan: true when the caller may read data owned by owner.
func (l *Loaders) Allowed(ctx context.Context, rule, owner string) bool {
	return l.req.authz == nil || l.req.authz(ctx, rule, owner)
}

type ctxKey struct{}

// NewContext returns ctx carrying l.
func NewContext(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the request's loaders, if any.
func From(ctx context.Context) (*Loaders, bool) {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	return l, ok
}

// For returns the request's loaders. It panics when the middleware did not
// run: that is a wiring bug, not a runtime condition.
func For(ctx context.Context) *Loaders {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		panic("loaders: no loaders in context; is loaders.Middleware installed?")
	}
	return l
}

// Middleware gives every request its own loaders.
func Middleware(c Clients, cfg Config) func(http.Handler) http.Handler {
	k := newKinds(c, cfg)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), newRequest(c, cfg, k))))
		})
	}
}
