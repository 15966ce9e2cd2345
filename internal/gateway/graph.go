package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/internal/upstream"
)

// Graph is what one schema brings to a gateway: gqlgen's generated
// executor, the resolvers behind it and the per-request loaders their
// look-ups go through. The gateway imports no schema's code — nothing
// under internal/ does (docs/architecture.md) — so its caller assembles a
// Graph (graph/served for Tributary's schema) and hands it to New.
type Graph struct {
	// Executable returns gqlgen's executable schema over a new resolver
	// root, and that root (the engine binds fields to its methods).
	Executable func() (graphql.ExecutableSchema, any)
	// Invokers returns the typed calls of root's resolvers and the models'
	// methods (generated with the executor); nil leaves the engine calling
	// them by reflection.
	Invokers func(root any) engine.Invokers
	// Loaders makes the request loaders of one gateway, as cfg says.
	Loaders func(cfg LoadersConfig) Loaders
}

// LoadersConfig is what the gateway decides about the request loaders:
// the clients they call and the policies around those calls.
type LoadersConfig struct {
	// Clients are the backend clients by service name (every service the
	// schema declares).
	Clients map[string]*upstream.Client
	// Wait is the batching window in timer mode (and of an operation
	// gqlgen's executor runs) and Backstop the longest wait for the
	// engine's dispatch; zero takes the loaders' defaults.
	Wait, Backstop time.Duration
	// Timer dispatches the loaders on the wait window alone (plain
	// dataloaders); Disabled makes one call per key (to measure batching).
	Timer, Disabled bool
	// Critical says which services' failures fail the root field unless a
	// field says otherwise (@critical, @optional).
	Critical map[string]bool
	// Authorize decides an @auth rule for the caller of ctx on data owned
	// by owner; nil allows everything (auth off).
	Authorize func(ctx context.Context, rule, owner string) bool
	// Cache is the entity cache shared by all requests; nil caches nothing.
	Cache *connect.Cache
	// Share shares backend reads across requests; nil shares nothing.
	Share *connect.Share
	// Workers run the loaders' backend calls (see engine.Workers); nil
	// runs them on dataloader's goroutines.
	Workers *engine.Workers
	// FallbackEntries and FallbackBytes bound the cache of last good
	// answers that @fallback fields are served from when their service
	// fails; zero entries keeps none.
	FallbackEntries int
	FallbackBytes   int64
	// SharedFallback is the replicas' shared store behind that cache
	// (Redis); nil keeps it in-process.
	SharedFallback SharedFallback
}

// SharedFallback is a store of last good answers shared by the replicas;
// a failure means "unavailable" (redisstore.Fallback implements it).
type SharedFallback interface {
	GetStale(ctx context.Context, key string) (value []byte, at time.Time, ok bool)
	SetStale(ctx context.Context, key string, value []byte, at time.Time, ttl time.Duration)
}

// Loaders are one gateway's request loaders: what the engine needs of them
// (engine.Runtime), what gives each request its own, and what the gateway
// reports about them.
type Loaders interface {
	engine.Runtime
	// Middleware gives every request its own loaders.
	Middleware(next http.Handler) http.Handler
	// Report is what ctx's loaders did so far; ok is false without loaders.
	Report(ctx context.Context) (rep LoadersReport, ok bool)
	// RecordWaits returns ctx whose loaders record which fields waited on
	// each service, and what they recorded (for the fan-out report).
	RecordWaits(ctx context.Context) (context.Context, func(service string) []string)
	// Backstop is how long a loader waits to be dispatched before it sends
	// its keys anyway.
	Backstop() time.Duration
	// Fallback is the size of the cache of last good answers; ok is false
	// without one.
	Fallback() (entries int, bytes int64, ok bool)
	// Close ends what the loaders keep across requests.
	Close()
}

// LoadersReport is what a request's loaders did.
type LoadersReport struct {
	// Stale are the fields answered from the fallback cache.
	Stale []StaleAnswer
	// Dispatched is true when the engine dispatched the loaders (not
	// their wait window): Dispatches counts its dispatches, Backstops the
	// batches the loaders' backstop timer sent.
	Dispatched            bool
	Dispatches, Backstops int64
}

// StaleAnswer is one field answered from the fallback cache, as the
// response's extensions.tributary.stale lists it.
type StaleAnswer struct {
	Path       ast.Path `json:"path"`
	Service    string   `json:"service"`
	AgeSeconds float64  `json:"ageSeconds"`
}

// invokers is the engine's typed calls over root, if the graph has them.
func (g Graph) invokers(root any) engine.Invokers {
	if g.Invokers == nil {
		return nil
	}
	return g.Invokers(root)
}
