// Package loaders holds the per-request dataloaders that batch every backend
// look-up: within one GraphQL request, all keys asked for at one level of the
// query go to each service as one call (split at the contract's 100 ids),
// and a key asked for twice is fetched once.
package loaders

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/tributary-gw/tributary/internal/upstream"
	"github.com/tributary-gw/tributary/services/catalog"
	"github.com/tributary-gw/tributary/services/inventory"
	"github.com/tributary-gw/tributary/services/orders"
	"github.com/tributary-gw/tributary/services/pricing"
	"github.com/tributary-gw/tributary/services/reviews"
	"github.com/tributary-gw/tributary/services/users"
)

// Clients are the backend clients the loaders call.
type Clients struct {
	Catalog   *catalog.Client
	Pricing   *pricing.Client
	Inventory *inventory.Client
	Reviews   *reviews.Client
	Users     *users.Client
	Orders    *orders.Client
}

// Config tunes batching.
type Config struct {
	// Wait is how long a loader collects keys before it calls the backend
	// when nothing dispatches it sooner: with the Scheduler only a
	// backstop, in timer mode the batching window. Zero means DefaultWait.
	Wait time.Duration
	// Timer turns the Scheduler off: loaders dispatch after Wait, like
	// plain dataloaders (for comparison in benchmarks).
	Timer bool
	// Backstop is how long a loader waits for the Scheduler before it
	// dispatches anyway. Zero means DefaultBackstop.
	Backstop time.Duration
	// Critical says which services' failures fail the root field by
	// default (fields override it with @critical / @optional).
	Critical map[string]bool
	// Stale serves @fallback fields; nil disables fallbacks.
	Stale *StaleCache
	// Disabled turns batching off (one backend call per key), to measure
	// what batching saves. Never in production.
	Disabled bool
}

// DefaultWait is the batching window in timer mode: short enough to add
// little latency per level (see bench/README.md for the measurement).
const DefaultWait = time.Millisecond

// DefaultBackstop bounds the wait for the Scheduler, which dispatches every
// level as soon as it is complete; it only matters should its count ever
// be off. It is long on purpose: at saturation a level can take longer
// than a short timer, which would then split it (measured in bench/).
const DefaultBackstop = time.Second

// PriceKey identifies a price: a product in a currency.
type PriceKey struct {
	ProductID string
	Currency  string
}

// Loaders are one request's dataloaders. Errors are memoized for the
// request on purpose: a failed service is asked once per request, not once
// per field, and answers the same way everywhere in the response.
type Loaders struct {
	Product          *Loader[string, *catalog.Product]
	Price            *Loader[PriceKey, *pricing.Price]
	Stock            *Loader[string, *inventory.Stock]
	ReviewsByProduct *Loader[string, []reviews.Review]
	ReviewsByAuthor  *Loader[string, []reviews.Review]
	User             *Loader[string, *users.User]
	OrdersByUser     *Loader[string, []orders.Order]
	// ProductPage goes through a loader too, though pages are not batched,
	// so that its wait is known to the scheduler like every other.
	ProductPage *Loader[catalog.ListParams, catalog.Page]

	req *request
}

// request is what a request's loaders share.
type request struct {
	mu       sync.Mutex
	counts   map[selKey]int64 // see fieldsPerObject
	deferred sync.Map         // deferredKey → started; see firstOfDeferredGroup

	sched *Scheduler
	stale *StaleCache
	deg   *Degradation
}

// New returns fresh loaders over c for one request, dispatched by a new
// Scheduler unless cfg.Timer asks for the plain wait window.
func New(c Clients, cfg Config) *Loaders {
	r := &request{stale: cfg.Stale, deg: &Degradation{}}
	if !cfg.Timer {
		r.sched = &Scheduler{}
	}
	return &Loaders{
		req:     r,
		Product: newTracked(r, cfg, "product", "catalog", byID(c.Catalog.Products, func(p *catalog.Product) string { return p.Id })),
		Price:   newTracked(r, cfg, "price", "pricing", prices(c.Pricing)),
		Stock:   newTracked(r, cfg, "stock", "inventory", byID(c.Inventory.Stock, func(s *inventory.Stock) string { return s.ProductId })),
		ReviewsByProduct: newTracked(r, cfg, "reviewsByProduct", "reviews", grouped(c.Reviews.ByProducts,
			func(r *reviews.Review) string { return r.ProductId }, reviewID)),
		ReviewsByAuthor: newTracked(r, cfg, "reviewsByAuthor", "reviews", grouped(c.Reviews.ByAuthors,
			func(r *reviews.Review) string { return r.AuthorId }, reviewID)),
		User: newTracked(r, cfg, "user", "users", byID(c.Users.Users, func(u *users.User) string { return u.Id })),
		OrdersByUser: newTracked(r, cfg, "ordersByUser", "orders", grouped(c.Orders.ByUsers,
			func(o *orders.Order) string { return o.UserId }, func(o *orders.Order) string { return o.Id })),
		ProductPage: newTracked(r, cfg, "productPage", "catalog", pages(c.Catalog)),
	}
}

// Degradation returns what the request served stale.
func (l *Loaders) Degradation() *Degradation { return l.req.deg }

// Scheduler returns the request's scheduler; nil in timer mode.
func (l *Loaders) Scheduler() *Scheduler { return l.req.sched }

type fetchFunc[T any] func(ctx context.Context, ids []string) ([]T, upstream.Failures)

// byID adapts a batch fetch of items with unique ids: one result per key, in
// key order; an unknown id is nil without an error.
func byID[T any](fetch fetchFunc[T], id func(*T) string) dataloader.BatchFunc[string, *T] {
	return func(ctx context.Context, keys []string) []*dataloader.Result[*T] {
		items, failed := fetch(ctx, keys)
		index := make(map[string]*T, len(items))
		for i := range items {
			index[id(&items[i])] = &items[i]
		}
		out := make([]*dataloader.Result[*T], len(keys))
		for i, k := range keys {
			if err := failed.Err(k); err != nil {
				out[i] = &dataloader.Result[*T]{Error: err}
				continue
			}
			out[i] = &dataloader.Result[*T]{Data: index[k]}
		}
		return out
	}
}

// grouped adapts a batch fetch of many items per key (reviews of a
// product): an unknown key gets an empty list. An item a service sends
// twice (by id) is kept once, so counts and sums stay right.
func grouped[T any](fetch fetchFunc[T], key, id func(*T) string) dataloader.BatchFunc[string, []T] {
	return func(ctx context.Context, keys []string) []*dataloader.Result[[]T] {
		items, failed := fetch(ctx, keys)
		index := make(map[string][]T, len(keys))
		seen := make(map[string]struct{}, len(items))
		for i := range items {
			if _, dup := seen[id(&items[i])]; dup {
				continue
			}
			seen[id(&items[i])] = struct{}{}
			k := key(&items[i])
			index[k] = append(index[k], items[i])
		}
		out := make([]*dataloader.Result[[]T], len(keys))
		for i, k := range keys {
			if err := failed.Err(k); err != nil {
				out[i] = &dataloader.Result[[]T]{Error: err}
				continue
			}
			out[i] = &dataloader.Result[[]T]{Data: index[k]}
		}
		return out
	}
}

// prices batches per currency: one pricing call per currency in the batch.
func prices(c *pricing.Client) dataloader.BatchFunc[PriceKey, *pricing.Price] {
	return func(ctx context.Context, keys []PriceKey) []*dataloader.Result[*pricing.Price] {
		byCurrency := make(map[string][]string)
		var order []string
		for _, k := range keys {
			if _, ok := byCurrency[k.Currency]; !ok {
				order = append(order, k.Currency)
			}
			byCurrency[k.Currency] = append(byCurrency[k.Currency], k.ProductID)
		}
		type answer struct {
			index  map[string]*pricing.Price
			failed upstream.Failures
		}
		answers := make([]answer, len(order))
		run := func(i int) {
			items, failed := c.Prices(ctx, order[i], byCurrency[order[i]])
			idx := make(map[string]*pricing.Price, len(items))
			for j := range items {
				idx[items[j].ProductId] = &items[j]
			}
			answers[i] = answer{idx, failed}
		}
		parallel(len(order), run)
		pos := make(map[string]int, len(order))
		for i, cur := range order {
			pos[cur] = i
		}
		out := make([]*dataloader.Result[*pricing.Price], len(keys))
		for i, k := range keys {
			a := answers[pos[k.Currency]]
			if err := a.failed.Err(k.ProductID); err != nil {
				out[i] = &dataloader.Result[*pricing.Price]{Error: err}
				continue
			}
			out[i] = &dataloader.Result[*pricing.Price]{Data: a.index[k.ProductID]}
		}
		return out
	}
}

// pages fetches each distinct page concurrently.
func pages(c *catalog.Client) dataloader.BatchFunc[catalog.ListParams, catalog.Page] {
	return func(ctx context.Context, keys []catalog.ListParams) []*dataloader.Result[catalog.Page] {
		out := make([]*dataloader.Result[catalog.Page], len(keys))
		parallel(len(keys), func(i int) {
			p, err := c.List(ctx, keys[i])
			out[i] = &dataloader.Result[catalog.Page]{Data: p, Error: err}
		})
		return out
	}
}

func reviewID(r *reviews.Review) string { return r.Id }

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
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), New(c, cfg))))
		})
	}
}
