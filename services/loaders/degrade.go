package loaders

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/memsize"
)

// StaleCache keeps the last value each loader fetched for each key, for
// @fallback(staleFor) fields to serve when their service fails. It is
// shared by all requests and bounded in entries and bytes; how old a value
// may be is the field's business, so entries carry their fetch time.
//
// It keeps the entity cache's rule: a value fetched with something that
// identifies the caller to the service (a forwarded header, the identity
// header) is the caller's own, kept under the caller's digest and in this
// process only, and served to that caller alone.
type StaleCache struct {
	c      *otter.Cache[staleKey, staleEntry]
	shared SharedStale
	now    func() time.Time // time.Now; tests move it
}

// SharedStale is a last-good store the replicas share (Redis), behind the
// in-process one: a value one replica fetched can stand in on another.
// Failures mean "unavailable": the in-process cache serves alone.
type SharedStale interface {
	// GetStale returns the value stored under key and when it was fetched.
	GetStale(ctx context.Context, key string) (value []byte, at time.Time, ok bool)
	// SetStale stores value, fetched at at, for ttl.
	SetStale(ctx context.Context, key string, value []byte, at time.Time, ttl time.Duration)
}

// SharedEvery is how often a replica writes a key's fresh value to the
// shared store: a hot key fetched by every request costs one write per
// replica per interval, not one per request.
const SharedEvery = 10 * time.Second

// StaleRefresh is how often a key's fresh value replaces the one kept: a
// hot key fetched by every request is stored (its size estimated, a cache
// node made) once per interval, not once per request. A stale answer is
// then at most this much older than the freshest value fetched.
const StaleRefresh = time.Second

// keep remembers v, fetched at now, under sk unless the value kept is
// younger than StaleRefresh; prev is what was kept before.
func (s *StaleCache) keep(sk staleKey, v any, now time.Time) (prev staleEntry, had bool) {
	prev, had = s.c.GetIfPresent(sk)
	if had && now.Sub(prev.at) < StaleRefresh && !now.Before(prev.at) {
		return prev, had
	}
	s.c.Set(sk, staleEntry{v: v, at: now})
	return prev, had
}

// Share puts shared behind s; call it before s is used.
func (s *StaleCache) Share(shared SharedStale) { s.shared = shared }

type staleKey struct {
	loader string
	key    any
	caller string // "" for an answer fetched without credentials; else upstream.Client.Caller
}

type staleEntry struct {
	v  any
	at time.Time
}

// staleOverhead is an entry's cost beyond its key and value (the cache's
// node and bookkeeping, the fetch time).
const staleOverhead = 96

// NewStaleCache returns a cache of at most entries entries and maxBytes
// bytes, keys and values as memsize estimates them (S3-FIFO eviction).
func NewStaleCache(entries int, maxBytes int64) *StaleCache {
	floor := maxBytes / int64(max(entries, 1))
	return &StaleCache{now: time.Now, c: otter.Must(&otter.Options[staleKey, staleEntry]{
		MaximumWeight: uint64(maxBytes),
		Weigher: func(k staleKey, e staleEntry) uint32 {
			n := memsize.String(k.loader) + memsize.Of(k.key) + memsize.String(k.caller) + memsize.Of(e.v) + staleOverhead
			return connect.Weight(n, floor)
		},
	})}
}

// Len is the number of values kept (an estimate).
func (s *StaleCache) Len() int {
	if s == nil {
		return 0
	}
	return s.c.EstimatedSize()
}

// Bytes is the weight of the values kept: their estimated size, each at
// least maxBytes/entries.
func (s *StaleCache) Bytes() int64 {
	if s == nil {
		return 0
	}
	return int64(s.c.WeightedSize())
}

// Close stops the cache's background work, if any.
func (s *StaleCache) Close() {
	if s != nil {
		s.c.StopAllGoroutines()
	}
}

// Degradation is what the request did instead of failing: values served
// stale, root fields failed by a critical field. It goes to the response's
// extensions.
type Degradation struct {
	mu    sync.Mutex
	stale []StaleServed
}

// StaleServed is one field answered from the stale cache.
type StaleServed struct {
	Path       ast.Path `json:"path"`
	Service    string   `json:"service"`
	AgeSeconds float64  `json:"ageSeconds"`
}

func (d *Degradation) addStale(s StaleServed) {
	d.mu.Lock()
	d.stale = append(d.stale, s)
	d.mu.Unlock()
}

// StaleAnswers returns a copy of the stale answers recorded so far.
func (d *Degradation) StaleAnswers() []StaleServed {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]StaleServed(nil), d.stale...)
}

// RootState tracks one root field: a failed critical field below it fails
// it, and no further backend call is made for it.
type RootState struct {
	mu  sync.Mutex
	err error
	// waits is the request's fan-out record (WithWaits), read once here:
	// a look-up that misses walks the whole context chain, deep below a
	// nested field, and every LoadAll would make it.
	waits *Waits
}

type rootKey struct{}

// WithRoot returns ctx for resolving one root field.
func WithRoot(ctx context.Context) (context.Context, *RootState) {
	s := &RootState{}
	s.waits, _ = ctx.Value(waitsKey{}).(*Waits)
	return context.WithValue(ctx, rootKey{}, s), s
}

// Err returns the critical failure of the root field, if any.
func (s *RootState) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *RootState) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
}

// fieldPolicy is what the current field's schema directives say about
// failures.
type fieldPolicy struct {
	staleFor time.Duration // 0: no fallback
	critical *bool         // nil: the service's default
}

func policyOf(ctx context.Context) fieldPolicy {
	var p fieldPolicy
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return p
	}
	d := registry.Lookup(fc.Object, fc.Field.Name)
	if d == nil {
		return p
	}
	p.staleFor = d.StaleFor
	t, f := true, false
	switch d.Criticality {
	case registry.Critical:
		p.critical = &t
	case registry.Optional:
		p.critical = &f
	}
	return p
}

// Waits records, when a fan-out report was asked for, which fields waited
// on each service.
type Waits struct {
	mu     sync.Mutex
	fields map[string]map[string]struct{} // service → field shapes
}

type waitsKey struct{}

// WithWaits returns ctx recording into w which fields wait on which
// service. ctx is the request's: a root field's context (WithRoot) keeps
// the record it was made under.
func WithWaits(ctx context.Context, w *Waits) context.Context {
	return context.WithValue(ctx, waitsKey{}, w)
}

func (w *Waits) add(service string, path ast.Path) {
	var b []byte
	for _, el := range path {
		if name, ok := el.(ast.PathName); ok {
			if len(b) > 0 {
				b = append(b, '.')
			}
			b = append(b, name...)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fields == nil {
		w.fields = map[string]map[string]struct{}{}
	}
	if w.fields[service] == nil {
		w.fields[service] = map[string]struct{}{}
	}
	w.fields[service][string(b)] = struct{}{}
}

// Fields returns the field shapes (list indices dropped) that waited on
// service, sorted.
func (w *Waits) Fields(service string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.fields[service]))
	for f := range w.fields[service] {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}
