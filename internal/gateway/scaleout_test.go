package gateway_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

// cacheCounts counts one replica's entity cache look-ups of pricing.
type cacheCounts struct {
	mu             sync.Mutex
	l1, l2, misses int
}

func (c *cacheCounts) CacheLookups(service, _ string, l1, l2, misses int) {
	if service != "pricing" {
		return
	}
	c.mu.Lock()
	c.l1, c.l2, c.misses = c.l1+l1, c.l2+l2, c.misses+misses
	c.mu.Unlock()
}

func (c *cacheCounts) get() (l1, l2, misses int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.l1, c.l2, c.misses
}

// replica is one more gateway over e's backends.
type replica struct {
	*tributarytest.Gateway
	cache     *cacheCounts
	redisErrs atomic.Int64 // failed Redis commands
}

// replicas starts n gateways over e's backends sharing the Redis at url.
func (e *env) replicas(n int, url string, mods ...func(*config.Config)) []*replica {
	e.T.Helper()
	// A loaded machine under -race can take longer than the default 250 ms
	// for a command, and a timed-out command pauses the store: tests of
	// sharing through Redis then see nothing shared. Tests of Redis being
	// slow or down set their own timeout (mods come after).
	mods = append([]func(*config.Config){func(c *config.Config) { c.Redis.URL, c.Redis.Timeout = url, 5*time.Second }}, mods...)
	var out []*replica
	for range n {
		r := &replica{cache: &cacheCounts{}}
		r.Gateway = tributarytest.StartGateway(e.T, e.Backends.Config(mods...), gateway.Options{
			CacheObserver: r.cache,
			OnRedisError:  func(string) { r.redisErrs.Add(1) },
		})
		out = append(out, r)
	}
	return out
}

// A client limited to 1 request/s with a burst of 4 gets about 4 answers
// out of 20 sent to two replicas, not twice that.
func TestScaleOutRateLimitIsShared(t *testing.T) {
	t.Parallel()
	rs := tributarytest.StartRedis(t)
	e := newEnv(t)
	gws := e.replicas(2, rs.URL(), func(c *config.Config) { c.RateLimit.RPS, c.RateLimit.Burst = 1, 4 })
	start := time.Now()
	ok := 0
	for i := range 20 {
		r := gws[i%2].Post(map[string]any{"query": "{ __typename }"})
		switch r.Status {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("request %d: status %d: %s", i, r.Status, r.Raw)
		}
	}
	// The burst, plus one per second the 20 requests took.
	most := 4 + int(time.Since(start).Seconds()) + 1
	if ok < 4 || ok > most {
		t.Errorf("answered: got %d of 20, want 4..%d", ok, most)
	}
}

// An APQ hash registered on one replica runs on the other.
func TestScaleOutAPQIsShared(t *testing.T) {
	t.Parallel()
	rs := tributarytest.StartRedis(t)
	e := newEnv(t)
	gws := e.replicas(2, rs.URL())
	q := `{ product(id: "p3") { name } }`
	sum := sha256.Sum256([]byte(q))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	if r := gws[1].Post(map[string]any{"extensions": ext}); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("unregistered hash: got %s, want PERSISTED_QUERY_NOT_FOUND", r.Raw)
	}
	if r := gws[0].Post(map[string]any{"query": q, "extensions": ext}); get(r.Data, "product", "name") == nil {
		t.Fatalf("registering: got %s", r.Raw)
	}
	if r := gws[1].Post(map[string]any{"extensions": ext}); get(r.Data, "product", "name") == nil {
		t.Errorf("hash on the other replica: got %s, want the product", r.Raw)
	}
}

// An entity one replica fetched is a hit on the other, and an invalidation
// sent to one drops it on both.
func TestScaleOutEntityCacheIsShared(t *testing.T) {
	t.Parallel()
	rs := tributarytest.StartRedis(t)
	e := newEnv(t)
	e.cacheControl(demo.Pricing, "max-age=60")
	gws := e.replicas(2, rs.URL(), withCache, func(c *config.Config) { c.Cache.AdminToken = adminToken })
	a, b := gws[0], gws[1]
	query := map[string]any{"query": pricedProduct}
	pricing := func() int64 { return e.Calls(demo.Pricing, demo.EndpointPrices) }

	a.Post(query)
	r := b.Post(query)
	if got := pricing(); got != 1 {
		t.Fatalf("pricing calls after a query on each replica: got %d, want 1", got)
	}
	if _, l2, _ := b.cache.get(); l2 != 1 || get(r.Data, "product", "price") == nil {
		t.Fatalf("second replica: got %d shared-store hits and %s, want 1 and a price", l2, r.Raw)
	}

	// Invalidate through a; b's in-process copy must go too: its next query
	// calls pricing (the shared copy was deleted at once; b hears of the
	// invalidation a moment later).
	req, _ := http.NewRequest(http.MethodDelete, a.URL+"/admin/cache/pricing/p1", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := a.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invalidation: status %d", resp.StatusCode)
	}
	deadline := time.Now().Add(5 * time.Second)
	for pricing() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the second replica still serves the entity 5s after its invalidation")
		}
		b.Post(query)
	}
	// a dropped its own copy at once: it reads what b just fetched.
	l1Before, _, _ := a.cache.get()
	a.Post(query)
	if l1After, l2, _ := a.cache.get(); l1After != l1Before || l2 != 1 {
		t.Errorf("first replica after invalidation: got %d in-process and %d shared hits, want 0 and 1", l1After-l1Before, l2)
	}
	if got := pricing(); got != 2 {
		t.Errorf("pricing calls: got %d, want 2", got)
	}
}

// With Redis gone the replicas keep answering: caches and APQ in process,
// rate limits per replica (fail open) unless they fail closed.
func TestScaleOutSurvivesRedisStopping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		failClosed bool
		wantStatus int
	}{
		{"fail open", false, http.StatusOK},
		{"fail closed", true, http.StatusTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := tributarytest.StartRedis(t)
			e := newEnv(t)
			e.cacheControl(demo.Pricing, "max-age=60")
			gws := e.replicas(2, rs.URL(), withCache, func(c *config.Config) {
				c.RateLimit.RPS, c.RateLimit.Burst = 100, 100
				c.Redis.RateLimitFailClosed = tt.failClosed
				c.Redis.Timeout = 100 * time.Millisecond
			})
			for _, g := range gws {
				if r := g.Post(map[string]any{"query": pricedProduct}); get(r.Data, "product", "price") == nil {
					t.Fatalf("before stopping redis: %s", r.Raw)
				}
			}
			rs.Stop()
			for i, g := range gws {
				r := g.Post(map[string]any{"query": `{ product(id: "p2") { name price { amount { formatted } } } }`})
				if r.Status != tt.wantStatus {
					t.Fatalf("replica %d without redis: status %d, want %d: %s", i, r.Status, tt.wantStatus, r.Raw)
				}
				if tt.wantStatus == http.StatusOK && (len(r.Errors) > 0 || get(r.Data, "product", "price") == nil) {
					t.Errorf("replica %d without redis: got %s, want the product and its price", i, r.Raw)
				}
				if g.redisErrs.Load() == 0 {
					t.Errorf("replica %d without redis: no failed Redis command counted", i)
				}
			}
		})
	}
}

// After Redis comes back, the replicas share state again by themselves.
func TestScaleOutReconnects(t *testing.T) {
	t.Parallel()
	rs := tributarytest.StartRedis(t)
	e := newEnv(t)
	gws := e.replicas(2, rs.URL())
	rs.Stop()
	q := "{ __typename }"
	sum := sha256.Sum256([]byte(q))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	if r := gws[0].Post(map[string]any{"query": q, "extensions": ext}); r.Status != http.StatusOK || gws[0].redisErrs.Load() == 0 {
		t.Fatalf("without redis: status %d, %d failed Redis commands; want 200 and some", r.Status, gws[0].redisErrs.Load())
	}
	rs.Restart()
	i := 0
	poll.Until(t, "APQ to be shared again after redis came back", func() bool {
		i++
		q := fmt.Sprintf(`{ product(id: "p%d") { name } }`, i)
		sum := sha256.Sum256([]byte(q))
		ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
		gws[0].Post(map[string]any{"query": q, "extensions": ext})
		r := gws[1].Post(map[string]any{"extensions": ext})
		return get(r.Data, "product", "name") != nil
	})
}

// A last-good value one replica fetched stands in on the other when the
// service fails.
func TestScaleOutFallbackValuesAreShared(t *testing.T) {
	t.Parallel()
	rs := tributarytest.StartRedis(t)
	e := newEnv(t)
	gws := e.replicas(2, rs.URL(), func(c *config.Config) { c.Services["reviews"].MaxRetries = 0 })
	const q = `{ product(id: "p1") { ratingSummary { count } } }`
	fresh := gws[0].Post(map[string]any{"query": q})
	if len(fresh.Errors) > 0 || get(fresh.Data, "product", "ratingSummary", "count") == nil {
		t.Fatalf("fresh: %s", fresh.Raw)
	}
	e.Backends.Server(demo.Reviews).SetFaults(demo.Faults{Down: true})
	r := gws[1].Post(map[string]any{"query": q})
	if got, want := get(r.Data, "product", "ratingSummary", "count"), get(fresh.Data, "product", "ratingSummary", "count"); got != want || len(r.Errors) > 0 {
		t.Errorf("other replica with reviews down: got count %v (%s), want %v served stale", got, r.Raw, want)
	}
	if stale := get(r.Extensions, "tributary", "stale"); stale == nil {
		t.Errorf("other replica: no extensions.tributary.stale: %s", r.Raw)
	}
}
