package redisstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/redisstore"
	"github.com/tributary-gw/tributary/tributarytest"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

func newStore(t *testing.T) (*redisstore.Store, *redis.Client) {
	t.Helper()
	srv := tributarytest.StartRedis(t)
	s, err := redisstore.New(redisstore.Config{URL: srv.URL(), Prefix: "t:", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = raw.Close() })
	return s, raw
}

// storedBytes is what Redis holds under the prefix, by MEMORY USAGE.
func storedBytes(t *testing.T, ctx context.Context, raw *redis.Client) int64 {
	t.Helper()
	var n int64
	it := raw.Scan(ctx, 0, "t:*", 100).Iterator()
	for it.Next(ctx) {
		u, err := raw.MemoryUsage(ctx, it.Val()).Result()
		if err == nil {
			n += u
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// Listings answered for many client-chosen parameters (a category per
// request) share one entity. Each answer lives its own TTL: the answers
// that expired leave Redis even while the entity keeps being written.
// Before, they were fields of one hash whose TTL every write extended, so
// 50 answers of 200 KB stayed for as long as writes came.
func TestEntityAnswersExpireOnTheirOwn(t *testing.T) {
	t.Parallel()
	s, raw := newStore(t)
	ctx := context.Background()
	e := s.Entities()
	big := `"` + strings.Repeat("x", 200<<10) + `"`
	for i := range 50 {
		k := connect.EntityKey{Service: "catalog", Endpoint: "listProducts", Query: fmt.Sprintf("category=%d", i), ID: ""}
		if err := e.Set(ctx, []connect.Stored{{Key: k, Value: []byte(big), TTL: 2 * time.Second}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := storedBytes(t, ctx, raw); got < 50*200<<10 {
		t.Fatalf("stored %d bytes, want the 50 answers (%d bytes)", got, 50*200<<10)
	}
	keep := connect.EntityKey{Service: "catalog", Endpoint: "listProducts", Query: "category=shoes"}
	var got int64
	if !poll.Wait(10*time.Second, func() bool {
		// The entity keeps being written, with a long TTL.
		if err := e.Set(ctx, []connect.Stored{{Key: keep, Value: []byte(`"small"`), TTL: time.Hour}}); err != nil {
			t.Fatal(err)
		}
		got = storedBytes(t, ctx, raw)
		return got < 64<<10
	}) {
		t.Fatalf("Redis still holds %d bytes for the entity 10s after its big answers expired (TTL 2s), want under 64 KB", got)
	}
	// The index holds the live answer only, and lives no longer than it.
	vals, ttls, err := e.Get(ctx, []connect.EntityKey{keep, {Service: "catalog", Endpoint: "listProducts", Query: "category=1"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(vals[0]) != `"small"` || vals[1] != nil {
		t.Errorf("get: got %q, %q; want the live answer and nothing", vals[0], vals[1])
	}
	if ttls[0] <= 0 || ttls[0] > time.Hour {
		t.Errorf("ttl: got %s, want up to 1h", ttls[0])
	}
	var idx []string
	it := raw.Scan(ctx, 0, "t:*:idx", 10).Iterator()
	for it.Next(ctx) {
		idx = append(idx, it.Val())
	}
	if len(idx) != 1 {
		t.Fatalf("indexes: got %v, want one", idx)
	}
	if n := raw.ZCard(ctx, idx[0]).Val(); n != 1 {
		t.Errorf("index members: got %d, want 1 (the live answer)", n)
	}
	if ttl := raw.PTTL(ctx, idx[0]).Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("index TTL: got %s, want at most the answer's hour", ttl)
	}
}

// A later, shorter answer of an entity never shortens an earlier one, and
// a later, longer one never extends it: each answer keeps its own TTL.
// Invalidation drops every answer of the entity, and only those.
func TestEntityAnswerTTLsAndInvalidation(t *testing.T) {
	t.Parallel()
	s, raw := newStore(t)
	ctx := context.Background()
	e := s.Entities()
	a := connect.EntityKey{Service: "pricing", Endpoint: "prices", Query: "currency=USD", ID: "p1"}
	b := connect.EntityKey{Service: "pricing", Endpoint: "prices", Query: "currency=EUR", ID: "p1"}
	other := connect.EntityKey{Service: "pricing", Endpoint: "prices", Query: "currency=USD", ID: "p2"}
	if err := e.Set(ctx, []connect.Stored{{Key: a, Value: []byte(`1`), TTL: 2 * time.Second}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Set(ctx, []connect.Stored{{Key: b, Value: []byte(`2`), TTL: time.Hour}, {Key: other, Value: []byte(`3`), TTL: time.Hour}}); err != nil {
		t.Fatal(err)
	}
	_, ttls, err := e.Get(ctx, []connect.EntityKey{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if ttls[0] > 2*time.Second || ttls[0] <= 0 {
		t.Errorf("a's ttl after b was written: got %s, want at most 2s", ttls[0])
	}
	var maxPTTL time.Duration
	it := raw.Scan(ctx, 0, "t:e:pricing:p1:*", 10).Iterator()
	for it.Next(ctx) {
		if !strings.HasSuffix(it.Val(), ":idx") {
			if d := raw.PTTL(ctx, it.Val()).Val(); d <= 2*time.Second {
				maxPTTL = max(maxPTTL, d)
			}
		}
	}
	if maxPTTL <= 0 {
		t.Errorf("no answer key of p1 with a's TTL (≤ 2s) in Redis")
	}
	if err := e.Invalidate(ctx, "pricing", "p1"); err != nil {
		t.Fatal(err)
	}
	vals, _, err := e.Get(ctx, []connect.EntityKey{a, b, other})
	if err != nil {
		t.Fatal(err)
	}
	if vals[0] != nil || vals[1] != nil || string(vals[2]) != `3` {
		t.Errorf("after invalidating p1: got %q %q %q, want nil nil 3", vals[0], vals[1], vals[2])
	}
	if n := raw.Exists(ctx, "t:e:pricing:p1:idx").Val(); n != 0 {
		t.Errorf("p1's index survives its invalidation")
	}
}

// An invalidation returns once every subscribed replica has dropped its
// copy: a read sent to any replica right after it shows the change.
func TestInvalidateWaitsForEveryReplica(t *testing.T) {
	t.Parallel()
	s, raw := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	var dropped [2]atomic.Int64
	done := make(chan struct{}, 2)
	for i := range dropped {
		go func() {
			defer func() { done <- struct{}{} }()
			s.Subscribe(ctx, func(service, id string) {
				if i == 1 { // a slow replica
					select {
					case <-time.After(50 * time.Millisecond):
					case <-ctx.Done():
					}
				}
				dropped[i].Add(1)
			})
		}()
	}
	defer func() { cancel(); <-done; <-done }()
	// An invalidation reaches the replicas subscribed when it is published.
	poll.Until(t, "both subscriptions to start", func() bool {
		return raw.PubSubNumSub(ctx, "t:invalidate").Val()["t:invalidate"] >= 2
	})
	if err := s.Entities().Invalidate(ctx, "users", "u1"); err != nil {
		t.Fatal(err)
	}
	if a, b := dropped[0].Load(), dropped[1].Load(); a != 1 || b != 1 {
		t.Errorf("got %d and %d drops when Invalidate returned, want 1 and 1", a, b)
	}
}
