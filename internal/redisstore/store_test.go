package redisstore_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tributary-gw/tributary/internal/redisstore"
	"github.com/tributary-gw/tributary/tributarytest"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

// replica is one gateway's store on a shared Redis, with what it counted
// and logged.
type replica struct {
	*redisstore.Store
	errs atomic.Int64 // failed commands (OnError)
	log  *tributarytest.LogBuffer
}

func newReplica(t *testing.T, srv *tributarytest.Redis) *replica {
	t.Helper()
	r := &replica{log: &tributarytest.LogBuffer{}}
	s, err := redisstore.New(redisstore.Config{
		URL: srv.URL(), Prefix: "t:", Timeout: time.Second,
		Log:     slog.New(slog.NewTextHandler(r.log, nil)),
		OnError: func(string) { r.errs.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	r.Store = s
	return r
}

// mapCache is an in-process graphql.Cache.
type mapCache struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *mapCache) Get(_ context.Context, k string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *mapCache) Add(_ context.Context, k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]string{}
	}
	c.m[k] = v
}

// A persisted query registered on one replica runs on another, which
// keeps it in process and answers from there while Redis is down.
func TestAPQIsSharedAndSurvivesRedisDown(t *testing.T) {
	t.Parallel()
	srv := tributarytest.StartRedis(t)
	a, b := newReplica(t, srv), newReplica(t, srv)
	ctx := context.Background()
	localA, localB := &mapCache{}, &mapCache{}
	apqA, apqB := a.APQ(localA), b.APQ(localB)

	if q, ok := apqB.Get(ctx, "h1"); ok {
		t.Fatalf("unknown hash: got %q, want none", q)
	}
	apqA.Add(ctx, "h1", "{ a }")
	if q, ok := apqB.Get(ctx, "h1"); !ok || q != "{ a }" {
		t.Fatalf("hash registered on the other replica: got %q %v, want { a }", q, ok)
	}
	if q, _ := localB.Get(ctx, "h1"); q != "{ a }" {
		t.Errorf("the replica that read it keeps it in process: got %q", q)
	}
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer raw.Close()
	if ttl := raw.TTL(ctx, "t:apq:h1").Val(); ttl <= redisstore.APQTTL-time.Minute || ttl > redisstore.APQTTL {
		t.Errorf("TTL: got %s, want about %s", ttl, redisstore.APQTTL)
	}

	srv.Stop()
	if q, ok := apqB.Get(ctx, "h1"); !ok || q != "{ a }" {
		t.Errorf("with Redis down, a hash kept in process: got %q %v, want { a }", q, ok)
	}
	apqA.Add(ctx, "h2", "{ b }") // in process only
	if _, ok := apqB.Get(ctx, "h2"); ok {
		t.Error("with Redis down, a hash registered on the other replica: got it, want none")
	}
	if q, ok := apqA.Get(ctx, "h2"); !ok || q != "{ b }" {
		t.Errorf("with Redis down, the registering replica: got %q %v, want { b }", q, ok)
	}
	if a.errs.Load() == 0 || b.errs.Load() == 0 {
		t.Errorf("failed commands counted: got %d and %d, want some on both", a.errs.Load(), b.errs.Load())
	}
}

// A last-good value written by one replica is read by another with its
// fetch time, and lives as long as the field's staleFor.
func TestFallbackValuesAreShared(t *testing.T) {
	t.Parallel()
	srv := tributarytest.StartRedis(t)
	a, b := newReplica(t, srv), newReplica(t, srv)
	ctx := context.Background()
	at := time.UnixMilli(1_700_000_000_123)
	a.Fallback().SetStale(ctx, "pricing:p1", []byte(`{"amountCents":100}`), at, time.Minute)
	got, gotAt, ok := b.Fallback().GetStale(ctx, "pricing:p1")
	if !ok || string(got) != `{"amountCents":100}` || !gotAt.Equal(at) {
		t.Fatalf("got %s at %v (%v), want the value at %v", got, gotAt, ok, at)
	}
	a.Fallback().SetStale(ctx, "pricing:p2", []byte(`{}`), at, 0)
	if _, _, ok := b.Fallback().GetStale(ctx, "pricing:p2"); ok {
		t.Error("a value with no staleFor is stored, want none")
	}
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer raw.Close()
	if ttl := raw.TTL(ctx, "t:fb:pricing:p1").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("TTL: got %s, want up to the staleFor of 1m", ttl)
	}
	// A short or foreign value under the key is no value.
	raw.Set(ctx, "t:fb:pricing:p3", "x", time.Minute)
	if _, _, ok := b.Fallback().GetStale(ctx, "pricing:p3"); ok {
		t.Error("a value shorter than its time stamp: got one, want none")
	}
}

// A client's allowance is one across replicas: the burst is spent once,
// then every replica refuses with a time to retry.
func TestRateLimitIsSharedAcrossReplicas(t *testing.T) {
	t.Parallel()
	srv := tributarytest.StartRedis(t)
	a, b := newReplica(t, srv), newReplica(t, srv)
	ctx := context.Background()
	// 1.5 rps: a whole number of requests over 2 s.
	limits := []*redisstore.RateLimit{a.RateLimit(1.5, 3), b.RateLimit(1.5, 3)}
	allowed := 0
	var retry time.Duration
	for i := range 6 {
		ok, after, err := limits[i%2].Allow(ctx, "client-1")
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowed++
		} else {
			retry = after
		}
	}
	// The burst, and at most one more that the time the loop took earned.
	if allowed < 3 || allowed > 4 {
		t.Errorf("allowed: got %d of 6, want the burst of 3 (or 4)", allowed)
	}
	if retry <= 0 || retry > 2*time.Second {
		t.Errorf("retry after: got %s, want within one period (2s)", retry)
	}
	if ok, _, err := limits[1].Allow(ctx, "client-2"); !ok || err != nil {
		t.Errorf("another client: got %v %v, want allowed", ok, err)
	}
}

// When Redis stops, a use fails fast (no dial per command for a
// RetryPause), is logged once and counted each time; when Redis is back,
// the use recovers and says so once.
func TestStoreDegradesAndRecovers(t *testing.T) {
	t.Parallel()
	srv := tributarytest.StartRedis(t)
	r := newReplica(t, srv)
	ctx := context.Background()
	rl := r.RateLimit(1000, 1000)
	if _, _, err := rl.Allow(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	for range 5 {
		if ok, _, err := rl.Allow(ctx, "c"); ok || err == nil {
			t.Fatalf("with Redis down: got %v %v, want an error", ok, err)
		}
	}
	if got := r.errs.Load(); got != 5 {
		t.Errorf("failed commands counted: got %d, want 5", got)
	}
	if got := strings.Count(r.log.String(), "redis unavailable"); got != 1 {
		t.Errorf("got %d 'redis unavailable' lines, want 1:\n%s", got, r.log.String())
	}
	srv.Restart()
	// Past the pause, commands go to Redis again.
	poll.Until(t, "the rate limit to use Redis again", func() bool {
		_, _, err := rl.Allow(ctx, "c")
		return err == nil
	})
	if got := strings.Count(r.log.String(), "redis available again"); got != 1 {
		t.Errorf("got %d 'redis available again' lines, want 1:\n%s", got, r.log.String())
	}
}
