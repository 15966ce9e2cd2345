package connect

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/tributary-gw/tributary/internal/memsize"
	"github.com/tributary-gw/tributary/internal/upstream"
)

// DefaultCacheEntries bounds the in-process entity cache when
// CacheConfig.Entries is zero.
const DefaultCacheEntries = 100_000

// DefaultCacheBytes bounds the in-process entity cache's memory when
// CacheConfig.MaxBytes is zero.
const DefaultCacheBytes = 64 << 20

// entryOverhead is what an entry costs beyond its key and value: the
// cache's node, its expiry and frequency bookkeeping.
const entryOverhead = 96

// EntityKey names one cached look-up: a key of a connector endpoint with
// its other parameters (the currency of a price, say).
type EntityKey struct {
	Service  string
	Endpoint string
	Query    string
	ID       string
}

func (k EntityKey) String() string {
	return k.Service + "\x00" + k.ID + "\x00" + k.Endpoint + "\x00" + k.Query
}

// Stored is one value for a shared Store: its JSON and how long it stays
// valid.
type Stored struct {
	Key   EntityKey
	Value []byte
	TTL   time.Duration
}

// Store is a shared second level behind the in-process cache (Redis).
// Errors mean "unavailable": the cache then works in process only.
type Store interface {
	// Get returns the values of keys, in key order; nil where missing or
	// expired, with the time each has left.
	Get(ctx context.Context, keys []EntityKey) ([][]byte, []time.Duration, error)
	// Set stores values for their TTLs.
	Set(ctx context.Context, values []Stored) error
	// Invalidate drops every entry of (service, id), whatever the endpoint
	// and parameters, and tells the other replicas to drop theirs.
	Invalidate(ctx context.Context, service, id string) error
}

// CacheObserver is told about look-ups (metrics). Implementations must be
// safe for concurrent use and fast.
type CacheObserver interface {
	// CacheLookups counts the keys of one batch found in the cache (hits,
	// by level "l1" or "l2") and not found (misses).
	CacheLookups(service, endpoint string, l1, l2, misses int)
}

// CacheConfig configures the entity cache.
type CacheConfig struct {
	// Entries bounds the in-process cache; zero means DefaultCacheEntries.
	Entries int
	// MaxBytes bounds the in-process cache's memory (keys and values as
	// memsize estimates them); zero means DefaultCacheBytes. Each entry
	// weighs at least MaxBytes/Entries, so Entries bounds it too.
	MaxBytes int64
	// MaxTTL caps the time a backend may ask an answer to be kept; zero
	// means no cap.
	MaxTTL time.Duration
	// Store is the shared second level; nil keeps everything in process.
	Store Store
	// Observer sees hits and misses; may be nil.
	Observer CacheObserver
	// Log receives one line per shared-store failure; nil means
	// slog.Default.
	Log *slog.Logger
}

// Cache is the entity cache of connector look-ups: each key of a batch
// endpoint (and each single-item or parameter-set call) is kept for as long
// as the backend's Cache-Control says, in process (bounded, S3-FIFO) and,
// when configured, in a shared Store. Answers fetched with the caller's
// credentials are never read from or written to it. Concurrent misses of
// the same key across requests fill it once. A nil *Cache caches nothing.
type Cache struct {
	l1     *otter.Cache[string, cached]
	l2     Store
	maxTTL time.Duration
	obs    CacheObserver
	log    *slog.Logger

	mu       sync.Mutex
	inflight map[string]chan struct{}
	// uncacheable holds the endpoints whose last answer could not be kept
	// (no Cache-Control, say): their misses skip the in-flight
	// registration, which would only make concurrent requests for one key
	// wait for each other and then fetch anyway.
	uncacheable sync.Map // endpoint cache name → struct{}
}

type cached struct {
	v   any
	ttl time.Duration
}

// NewCache returns an entity cache for cfg.
func NewCache(cfg CacheConfig) *Cache {
	if cfg.Entries <= 0 {
		cfg.Entries = DefaultCacheEntries
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultCacheBytes
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	floor := cfg.MaxBytes / int64(cfg.Entries)
	return &Cache{
		l1: otter.Must(&otter.Options[string, cached]{
			MaximumWeight: uint64(cfg.MaxBytes),
			// A key holds client strings (parameters), a value a decoded
			// answer: both count, so a few huge answers cannot hold the
			// memory that Entries small ones would.
			Weigher: func(k string, v cached) uint32 {
				return Weight(memsize.String(k)+memsize.Of(v.v)+entryOverhead, floor)
			},
			ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, cached]) time.Duration {
				return e.Value.ttl
			}),
		}),
		l2:       cfg.Store,
		maxTTL:   cfg.MaxTTL,
		obs:      cfg.Observer,
		log:      cfg.Log,
		inflight: map[string]chan struct{}{},
	}
}

// Close stops the cache's background work.
func (c *Cache) Close() {
	if c != nil {
		c.l1.StopAllGoroutines()
	}
}

// Len is the number of entries in process (an estimate).
func (c *Cache) Len() int {
	if c == nil {
		return 0
	}
	return c.l1.EstimatedSize()
}

// Bytes is the weight of the entries in process: their estimated size,
// each at least MaxBytes/Entries.
func (c *Cache) Bytes() int64 {
	if c == nil {
		return 0
	}
	return int64(c.l1.WeightedSize())
}

// Weight is n bytes as an entry's weight for a cache bounded in bytes: at
// least floor (so a byte bound also bounds the entries), at most what the
// weight can hold.
func Weight(n, floor int64) uint32 {
	return uint32(min(max(n, floor, 1), math.MaxUint32))
}

// Invalidate drops every entry of (service, id) here and in the shared
// store, which tells the other replicas.
func (c *Cache) Invalidate(ctx context.Context, service, id string) (int, error) {
	if c == nil {
		return 0, nil
	}
	n := c.Drop(service, id)
	if c.l2 != nil {
		if err := c.l2.Invalidate(ctx, service, id); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Drop drops every in-process entry of (service, id); the shared store's
// invalidation messages call it on every replica. It walks the entries:
// invalidation is an administrative act, not a hot path.
func (c *Cache) Drop(service, id string) int {
	if c == nil {
		return 0
	}
	prefix := service + "\x00" + id + "\x00"
	n := 0
	for k := range c.l1.Keys() {
		if strings.HasPrefix(k, prefix) {
			if _, ok := c.l1.Invalidate(k); ok {
				n++
			}
		}
	}
	return n
}

// TTL is how long an answer with meta may be kept: s-maxage (this is a
// shared cache) or else max-age, less its Age, capped at the configured
// maximum; zero — not at all — without a Cache-Control header, or when it
// says private, no-store or no-cache.
func (c *Cache) TTL(meta upstream.Meta) time.Duration { return c.ttl(Endpoint{}, meta) }

// ttl is TTL with ep's MaxAge, when set, instead of the header's ages.
func (c *Cache) ttl(ep Endpoint, meta upstream.Meta) time.Duration {
	var maxAge, sMaxAge time.Duration = -1, -1
	for d := range strings.SplitSeq(meta.CacheControl, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "private", "no-store", "no-cache":
			return 0
		case "max-age":
			maxAge = seconds(val)
		case "s-maxage":
			sMaxAge = seconds(val)
		}
	}
	ttl := maxAge
	if sMaxAge >= 0 {
		ttl = sMaxAge
	}
	if ep.MaxAge > 0 {
		ttl = time.Duration(ep.MaxAge) * time.Second
	} else if age := seconds(meta.Age); age > 0 && ttl > 0 {
		ttl -= age
	}
	if ttl <= 0 {
		return 0
	}
	if c != nil && c.maxTTL > 0 && ttl > c.maxTTL {
		ttl = c.maxTTL
	}
	return ttl
}

// seconds parses a delta-seconds value; -1 when it is not one.
func seconds(s string) time.Duration {
	if s == "" {
		return -1 // absent, the usual Age
	}
	n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(s), `"`), 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return time.Duration(n) * time.Second
}

// fetched is the answer for one id of a look-up.
type fetched[V any] struct {
	v   V
	err error
	// ttl is how long v may be kept (0: not at all).
	ttl time.Duration
}

// load answers ids (of endpoint ep with query) from the cache and fetches
// the rest with fetch, which must return one result per id it is given, in
// order. With a nil cache, or for a caller whose credentials the call would
// carry, it is fetch.
func load[V any](ctx context.Context, c *Cache, uc *upstream.Client, ep Endpoint, query string, ids []string, fetch func(ctx context.Context, ids []string) []fetched[V]) []fetched[V] {
	if c == nil || uc.Credentialed(ctx) {
		return fetch(ctx, ids)
	}
	service := uc.Service()
	name := ep.cacheName
	if name == "" {
		name = ep.Name
	}
	out := make([]fetched[V], len(ids))
	keys := make([]EntityKey, len(ids))
	var miss []int
	for i, id := range ids {
		keys[i] = EntityKey{Service: service, Endpoint: name, Query: query, ID: id}
		if e, ok := c.l1.GetIfPresent(keys[i].String()); ok {
			if v, ok := e.v.(V); ok {
				out[i].v = v
				continue
			}
		}
		miss = append(miss, i)
	}
	l1 := len(ids) - len(miss)
	l2 := 0
	if len(miss) > 0 && c.l2 != nil {
		miss, l2 = fromStore(ctx, c, keys, miss, out)
	}
	if c.obs != nil {
		c.obs.CacheLookups(service, ep.Name, l1, l2, len(miss))
	}
	hits := l1 + l2
	if len(miss) > 0 {
		if _, skip := c.uncacheable.Load(name); skip {
			fetchInto(ctx, c, keys, miss, out, fetch)
		} else {
			hits += fill(ctx, c, keys, miss, out, fetch)
		}
	}
	if rec := upstream.RecorderFrom(ctx); rec != nil {
		rec.CacheHits(service, hits)
	}
	return out
}

// fromStore answers what it can of miss from the shared store (copying it
// in process) and returns what is still missing and how many it answered.
func fromStore[V any](ctx context.Context, c *Cache, keys []EntityKey, miss []int, out []fetched[V]) ([]int, int) {
	ask := make([]EntityKey, len(miss))
	for j, i := range miss {
		ask[j] = keys[i]
	}
	vals, ttls, err := c.l2.Get(ctx, ask)
	if err != nil {
		c.log.Warn("entity cache: shared store unavailable, using the in-process cache", "err", err)
		return miss, 0
	}
	still := miss[:0:0]
	for j, i := range miss {
		var v V
		if vals[j] == nil || json.Unmarshal(vals[j], &v) != nil {
			still = append(still, i)
			continue
		}
		out[i].v = v
		c.l1.Set(keys[i].String(), cached{v: v, ttl: ttls[j]})
	}
	return still, len(miss) - len(still)
}

// fill fetches the keys at miss, except those another request is already
// fetching: it waits for those and reads them from the cache, fetching them
// itself only when that answer could not be kept. It stores what may be
// kept and returns how many keys another request's fetch answered.
func fill[V any](ctx context.Context, c *Cache, keys []EntityKey, miss []int, out []fetched[V], fetch func(ctx context.Context, ids []string) []fetched[V]) int {
	done := make(chan struct{})
	var mine, theirs []int
	var wait []chan struct{}
	c.mu.Lock()
	for _, i := range miss {
		k := keys[i].String()
		if ch, ok := c.inflight[k]; ok {
			theirs = append(theirs, i)
			wait = append(wait, ch)
			continue
		}
		c.inflight[k] = done
		mine = append(mine, i)
	}
	c.mu.Unlock()

	if len(mine) > 0 {
		func() {
			defer func() {
				c.mu.Lock()
				for _, i := range mine {
					delete(c.inflight, keys[i].String())
				}
				c.mu.Unlock()
				close(done)
			}()
			fetchInto(ctx, c, keys, mine, out, fetch)
		}()
	}

	shared := 0
	var again []int
	for j, i := range theirs {
		select {
		case <-wait[j]:
		case <-ctx.Done():
		}
		if e, ok := c.l1.GetIfPresent(keys[i].String()); ok {
			if v, ok := e.v.(V); ok {
				out[i].v = v
				shared++
				continue
			}
		}
		again = append(again, i)
	}
	if len(again) > 0 {
		fetchInto(ctx, c, keys, again, out, fetch)
	}
	return shared
}

// fetchInto fetches the keys at at and keeps what their answers allow.
func fetchInto[V any](ctx context.Context, c *Cache, keys []EntityKey, at []int, out []fetched[V], fetch func(ctx context.Context, ids []string) []fetched[V]) {
	ids := make([]string, len(at))
	for j, i := range at {
		ids[j] = keys[i].ID
	}
	got := fetch(ctx, ids)
	var shared []Stored
	answered, kept := false, false
	for j, i := range at {
		out[i] = got[j]
		f := got[j]
		answered = answered || f.err == nil
		if f.err != nil || f.ttl <= 0 {
			continue
		}
		kept = true
		c.l1.Set(keys[i].String(), cached{v: f.v, ttl: f.ttl})
		if c.l2 != nil {
			b, err := json.Marshal(f.v)
			if err == nil {
				shared = append(shared, Stored{Key: keys[i], Value: b, TTL: f.ttl})
			}
		}
	}
	if name := keys[at[0]].Endpoint; kept {
		c.uncacheable.Delete(name)
	} else if answered {
		c.uncacheable.Store(name, struct{}{})
	}
	if len(shared) > 0 {
		if err := c.l2.Set(ctx, shared); err != nil {
			c.log.Warn("entity cache: shared store unavailable, kept in process only", "err", err)
		}
	}
}
