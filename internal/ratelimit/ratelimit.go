// Package ratelimit limits requests per client: a token bucket
// (golang.org/x/time/rate) bounds each client's rate and a counter bounds
// its requests in flight. Client state lives in a bounded table, so a
// flood of distinct clients (many IPs) cannot grow memory without limit;
// idle entries are dropped lazily on access, so there is no janitor
// goroutine to stop.
//
// Forgetting a client must never help it: only a client with nothing in
// flight and a full bucket — one that would be admitted exactly as a new
// client — is ever forgotten, whether for idleness or to make room. When
// the table is full and no such client is found, a new client shares one
// overflow bucket with every other client that found no room: a flood of
// new addresses (an IPv6 /48 holds 65,536 /64s) limits itself and those
// newcomers, never resets a client that is being limited.
package ratelimit

import (
	"container/list"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Codes in extensions.code of a refused request.
const (
	CodeRateLimited       = "RATE_LIMITED"
	CodeTooManyConcurrent = "TOO_MANY_CONCURRENT_REQUESTS"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxClients = 50_000
	DefaultIdleTTL    = 10 * time.Minute
)

// expirePerAdmit bounds the idle entries dropped by one request, keeping
// each request's work constant while idle entries still drain over time.
const expirePerAdmit = 2

// evictScan bounds the clients a new client looks at for a place when the
// table is full; those that cannot give theirs up go to the front, so the
// next newcomer looks at others (a second chance, as in CLOCK).
const evictScan = 16

// Config configures a Limiter. The zero value limits nothing but still
// tracks clients.
type Config struct {
	// RPS is each client's sustained rate in requests per second; zero or
	// less turns the rate limit off.
	RPS float64
	// Burst is how many requests a client may make at once after being
	// idle; zero or less means RPS rounded up, at least 1.
	Burst int
	// MaxConcurrent is how many requests of one client may be in flight;
	// zero or less turns the limit off.
	MaxConcurrent int
	// MaxClients bounds the clients tracked at once; zero or less means
	// DefaultMaxClients. Past it a new client takes the place of the least
	// recently seen one that has nothing in flight and a full bucket (so
	// forgetting it changes nothing); with none among the evictScan least
	// recently seen, it is counted in the shared overflow bucket instead.
	MaxClients int
	// IdleTTL is how long a client may go unseen before it is forgotten;
	// zero or less means 10m. A client is only forgotten when that loses
	// nothing: no request in flight and its bucket refilled.
	IdleTTL time.Duration
	// Shared, when set, keeps each client's rate (RPS, Burst) in a store
	// every replica shares, instead of in this process; the concurrency
	// cap stays per replica. While the store fails, the in-process bucket
	// limits instead (each replica on its own: fail open), or, with
	// FailClosed, every request is refused.
	Shared Shared
	// FailClosed refuses requests while Shared fails.
	FailClosed bool
}

// Shared is a rate limit kept outside the process (Redis).
type Shared interface {
	// Allow takes one request from key's allowance; without one it says
	// when to retry. An error means the store did not answer.
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// KeyFunc names the client a request counts against, for example the
// authenticated subject or else the client IP (see ClientIP).
type KeyFunc func(r *http.Request) string

// Limiter applies a Config per client. It is safe for concurrent use.
type Limiter struct {
	cfg Config
	key KeyFunc
	now func() time.Time

	mu      sync.Mutex
	clients map[string]*list.Element // values are *client
	lru     *list.List               // front: most recently seen
	// overflow counts every new client that found the table full of
	// clients that could not be forgotten. It is never in the table.
	overflow *client
}

type client struct {
	key      string
	bucket   *rate.Limiter // nil when the rate limit is off
	inflight int
	lastSeen time.Time
}

// New returns a Limiter for cfg that names clients with key; a nil key
// means ClientIP with no trusted proxies. Requests whose key is "" share
// one client.
func New(cfg Config, key KeyFunc) *Limiter {
	if cfg.RPS > 0 && cfg.Burst <= 0 {
		cfg.Burst = max(1, int(math.Ceil(cfg.RPS)))
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = DefaultMaxClients
	}
	if cfg.IdleTTL <= 0 {
		cfg.IdleTTL = DefaultIdleTTL
	}
	if key == nil {
		key = func(r *http.Request) string { return ClientIP(r, nil) }
	}
	l := &Limiter{
		cfg:     cfg,
		key:     key,
		now:     time.Now,
		clients: make(map[string]*list.Element),
		lru:     list.New(),
	}
	l.overflow = l.newClient("")
	return l
}

func (l *Limiter) newClient(key string) *client {
	c := &client{key: key}
	if l.cfg.RPS > 0 {
		c.bucket = rate.NewLimiter(rate.Limit(l.cfg.RPS), l.cfg.Burst)
	}
	return c
}

// Len is the number of clients tracked now; it never exceeds MaxClients.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// Middleware admits each request against its client's limits. Over the
// rate it answers 429 with Retry-After (whole seconds until the bucket
// would admit the request, at least 1) and code RATE_LIMITED; over
// MaxConcurrent it answers 429 with Retry-After: 1 and code
// TOO_MANY_CONCURRENT_REQUESTS. A refused request spends no token.
func (l *Limiter) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := l.key(r)
		local := true
		if l.cfg.Shared != nil && l.cfg.RPS > 0 {
			ok, wait, err := l.cfg.Shared.Allow(r.Context(), key)
			switch {
			case err == nil && !ok:
				w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
				writeError(w, http.StatusTooManyRequests, CodeRateLimited, "rate limit exceeded")
				return
			case err != nil && l.cfg.FailClosed:
				w.Header().Set("Retry-After", "1")
				writeError(w, http.StatusTooManyRequests, CodeRateLimited, "rate limit unavailable")
				return
			}
			local = err != nil
		}
		c, retry, code := l.admit(key, local)
		if c == nil {
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			msg := "rate limit exceeded"
			if code == CodeTooManyConcurrent {
				msg = "too many concurrent requests"
			}
			writeError(w, http.StatusTooManyRequests, code, msg)
			return
		}
		defer l.release(c)
		next.ServeHTTP(w, r)
	})
}

// admit returns the client to release when the request is done, or nil
// with the Retry-After seconds and the code to refuse it with.
func (l *Limiter) admit(key string, bucket bool) (c *client, retryAfter int, code string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expire(now)
	c = l.touch(key, now)
	if l.cfg.MaxConcurrent > 0 && c.inflight >= l.cfg.MaxConcurrent {
		return nil, 1, CodeTooManyConcurrent
	}
	if bucket && c.bucket != nil {
		r := c.bucket.ReserveN(now, 1)
		if !r.OK() {
			return nil, 1, CodeRateLimited
		}
		if d := r.DelayFrom(now); d > 0 {
			r.CancelAt(now)
			return nil, max(1, int(math.Ceil(d.Seconds()))), CodeRateLimited
		}
	}
	c.inflight++
	return c, 0, ""
}

func (l *Limiter) release(c *client) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	c.inflight--
	c.lastSeen = now
}

// touch returns key's client, created if need be, as the most recently
// seen. Past MaxClients a new client takes the place of one that can be
// forgotten, or else is the shared overflow client. l.mu is held.
func (l *Limiter) touch(key string, now time.Time) *client {
	if e, ok := l.clients[key]; ok {
		l.lru.MoveToFront(e)
		c := e.Value.(*client)
		c.lastSeen = now
		return c
	}
	if l.lru.Len() >= l.cfg.MaxClients && !l.evict(now) {
		l.overflow.lastSeen = now
		return l.overflow
	}
	c := l.newClient(key)
	c.lastSeen = now
	l.clients[key] = l.lru.PushFront(c)
	return c
}

// evict forgets one of the evictScan least recently seen clients that can
// be forgotten, moving those that cannot to the front; false when none
// could. l.mu is held.
func (l *Limiter) evict(now time.Time) bool {
	for range min(evictScan, l.lru.Len()) {
		e := l.lru.Back()
		if l.forgettable(e.Value.(*client), now) {
			l.remove(e)
			return true
		}
		l.lru.MoveToFront(e)
	}
	return false
}

// forgettable reports whether forgetting c changes nothing c could notice:
// nothing in flight, and its bucket full again.
func (l *Limiter) forgettable(c *client, now time.Time) bool {
	return c.inflight == 0 && (c.bucket == nil || c.bucket.TokensAt(now) >= float64(l.cfg.Burst))
}

// expire forgets up to expirePerAdmit least recently seen clients that
// have been idle for IdleTTL, have nothing in flight and whose bucket is
// full again (forgetting them changes nothing a client could notice).
// l.mu is held.
func (l *Limiter) expire(now time.Time) {
	for range expirePerAdmit {
		e := l.lru.Back()
		if e == nil {
			return
		}
		c := e.Value.(*client)
		if now.Sub(c.lastSeen) < l.cfg.IdleTTL || !l.forgettable(c, now) {
			return
		}
		l.remove(e)
	}
}

func (l *Limiter) remove(e *list.Element) {
	delete(l.clients, e.Value.(*client).key)
	l.lru.Remove(e)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}
