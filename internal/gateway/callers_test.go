package gateway_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// Every path that can reuse an answer — the entity cache in process (L1)
// and in Redis (L2), the @fallback last-good values (in process and
// shared), APQ — with callers signed in (their Authorization goes to the
// backends) and anonymous, on two replicas: no caller is ever served
// another's answer. Before, a signed-in caller's reviews, kept as the
// last good value, were served to an anonymous caller once reviews failed.
// users and orders get the caller's headers; reviews is declared
// caller-independent, so its last good values are every caller's.
func TestNoAnswerCrossesCallers(t *testing.T) {
	t.Parallel()
	rs := tributarytest.StartRedis(t)
	e := newEnv(t)
	e.cacheControl(demo.Users, "max-age=60")
	e.cacheControl(demo.Orders, "max-age=60")
	var mu sync.Mutex
	seen := map[demo.Service][]string{} // Authorization of each call since the last step
	e.OnRequest(func(svc demo.Service, r *http.Request) {
		if svc == demo.Users || svc == demo.Orders {
			mu.Lock()
			seen[svc] = append(seen[svc], r.Header.Get("Authorization"))
			mu.Unlock()
		}
	})
	gws := e.replicas(2, rs.URL(), withCache, func(c *config.Config) { c.Services["reviews"].MaxRetries = 0 })
	a, b := gws[0], gws[1]
	const (
		alice = "Bearer alice"
		bob   = "Bearer bob"
		anon  = ""
	)
	page := func(id string) string {
		return `{ user(id: "` + id + `") { name orders(first: 2) { id } } }`
	}
	productPage := func(id string) string {
		return `{ product(id: "` + id + `") { reviews(first: 2) { rating } ratingSummary { count } } }`
	}
	send := func(r *replica, caller string, body map[string]any) gqlResponse {
		mu.Lock()
		clear(seen)
		mu.Unlock()
		if caller == anon {
			return r.Post(body)
		}
		return r.Post(body, "Authorization", caller)
	}
	// fetchedAs asserts the step called both services, as caller only: an
	// answer reused from elsewhere would show as a missing call.
	fetchedAs := func(step, caller string, services ...demo.Service) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		for _, svc := range services {
			calls := seen[svc]
			if len(calls) == 0 || slices.ContainsFunc(calls, func(h string) bool { return h != caller }) {
				t.Errorf("%s: %s calls by Authorization: got %q, want at least one, all %q", step, svc, calls, caller)
			}
		}
	}
	ok := func(step string, r gqlResponse) {
		t.Helper()
		if len(r.Errors) > 0 || (get(r.Data, "user", "orders") == nil && get(r.Data, "product", "reviews") == nil) {
			t.Fatalf("%s: got %s, want the page", step, clipRaw(r.Raw))
		}
	}

	// Entity cache, L1 and L2.
	r := send(a, alice, map[string]any{"query": page("u1")})
	ok("alice on A", r)
	fetchedAs("alice on A", alice, demo.Users, demo.Orders)
	r = send(a, anon, map[string]any{"query": page("u1")})
	ok("anonymous on A", r)
	fetchedAs("anonymous on A (alice's answers are not in L1)", anon, demo.Users, demo.Orders)
	r = send(b, bob, map[string]any{"query": page("u1")})
	ok("bob on B", r)
	fetchedAs("bob on B (the anonymous answers in L2 are not his)", bob, demo.Users, demo.Orders)
	r = send(b, anon, map[string]any{"query": page("u1")})
	ok("anonymous on B", r)
	if mu.Lock(); len(seen[demo.Users])+len(seen[demo.Orders]) != 0 {
		t.Errorf("anonymous on B: calls %v, want none (the anonymous answers are shared)", seen)
	}
	mu.Unlock()

	// APQ: a document alice registers is the document, never her answer.
	q := page("u2")
	sum := sha256.Sum256([]byte(q))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	ok("alice registers on A", send(a, alice, map[string]any{"query": q, "extensions": ext}))
	fetchedAs("alice registers on A", alice, demo.Users, demo.Orders)
	ok("anonymous by hash on B", send(b, anon, map[string]any{"extensions": ext}))
	fetchedAs("anonymous by hash on B", anon, demo.Users, demo.Orders)

	// @fallback: reviews is caller-independent, so the last good reviews
	// of p3 that alice read are every caller's when reviews fails.
	ok("alice reads p3", send(a, alice, map[string]any{"query": productPage("p3")}))
	e.Backends.Server(demo.Reviews).SetFaults(demo.Faults{Down: true})
	for _, tt := range []struct {
		name      string
		r         *replica
		caller    string
		wantStale bool
	}{
		{"anonymous on A", a, anon, true},
		{"bob on A", a, bob, true},
		{"anonymous on B", b, anon, true},
		{"alice on A", a, alice, true},
		{"alice on B", b, alice, true},
	} {
		r := send(tt.r, tt.caller, map[string]any{"query": productPage("p3")})
		stale := get(r.Extensions, "tributary", "stale") != nil
		if stale != tt.wantStale || (get(r.Data, "product", "reviews") != nil) != tt.wantStale {
			t.Errorf("reviews down, %s: got %s, want served stale: %v", tt.name, clipRaw(r.Raw), tt.wantStale)
		}
	}
}
