package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

const pricedProduct = `{ product(id: "p1") { name price { amount { formatted } } } }`

func withCache(c *config.Config) { c.Cache.Enabled = true; c.FanoutReport = true }

// cacheControl makes svc send a Cache-Control header with every answer.
func (e *env) cacheControl(svc demo.Service, cc string) {
	f := e.Backends.Server(svc).Faults()
	f.CacheControl = cc
	e.Backends.Server(svc).SetFaults(f)
}

// A backend answer is kept for as long as its Cache-Control allows, and
// never without one, or when it says private, no-store or no-cache.
func TestEntityCacheHonoursCacheControl(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give      string
		wantCalls int64 // pricing calls for two identical queries
	}{
		{"", 2},
		{"max-age=60", 1},
		{"public, s-maxage=60, max-age=0", 1},
		{"s-maxage=0, max-age=60", 2},
		{"private, max-age=60", 2},
		{"no-store", 2},
		{"no-cache, max-age=60", 2},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			e := newEnv(t, withCache)
			e.cacheControl(demo.Pricing, tt.give)
			for range 2 {
				if r := e.queryWithReport(pricedProduct, nil); len(r.Errors) > 0 {
					t.Fatal(r.Errors)
				}
			}
			if got := e.Calls(demo.Pricing, demo.EndpointPrices); got != tt.wantCalls {
				t.Errorf("pricing calls: got %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

// A hit costs no call and the fan-out report counts it.
func TestEntityCacheHitIsInTheReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withCache)
	e.cacheControl(demo.Pricing, "max-age=60")
	first := e.queryWithReport(pricedProduct, nil)
	second := e.queryWithReport(pricedProduct, nil)
	if got, want := get(second.Data, "product", "price", "amount", "formatted"), get(first.Data, "product", "price", "amount", "formatted"); got != want || got == nil {
		t.Errorf("cached price: got %v, want %v", got, want)
	}
	tests := []struct {
		name               string
		r                  gqlResponse
		wantCalls, wantHit float64
	}{
		{"first", first, 1, 0},
		{"second", second, 0, 1},
	}
	for _, tt := range tests {
		sr := get(tt.r.Extensions, "tributary", "fanout", "services", "pricing")
		if got := get(sr, "calls"); got != tt.wantCalls {
			t.Errorf("%s: pricing calls in the report: got %v, want %v", tt.name, got, tt.wantCalls)
		}
		if got := get(sr, "cacheHits"); got != tt.wantHit {
			t.Errorf("%s: pricing cache hits in the report: got %v, want %v", tt.name, got, tt.wantHit)
		}
	}
}

// The key includes the connector's parameters: a price in EUR is not the
// price in USD.
func TestEntityCacheKeysIncludeParameters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withCache)
	e.cacheControl(demo.Pricing, "max-age=60")
	q := `query($c: String!) { product(id: "p1") { price(currency: $c) { amount { formatted } } } }`
	got := map[string]any{}
	for _, cur := range []string{"USD", "EUR", "USD", "EUR"} {
		r := e.Query(q, map[string]any{"c": cur})
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		f := get(r.Data, "product", "price", "amount", "formatted")
		if prev, ok := got[cur]; ok && prev != f {
			t.Errorf("%s: got %v, want %v", cur, f, prev)
		}
		got[cur] = f
	}
	if got["USD"] == got["EUR"] {
		t.Errorf("USD and EUR prices are the same (%v): the currency is not in the key", got["USD"])
	}
	if got, want := e.Calls(demo.Pricing, demo.EndpointPrices), int64(2); got != want {
		t.Errorf("pricing calls: got %d, want %d", got, want)
	}
}

// An answer fetched with the caller's Authorization is the caller's own:
// it is never kept, and a caller with credentials never reads what an
// anonymous call kept. The backend sees every authorized call. (users
// gets the caller's headers; a caller-independent service would not.)
func TestEntityCacheNeverSharesCredentialedAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withCache)
	var mu sync.Mutex
	var seen []string // Authorization of each users call
	e.OnRequest(func(svc demo.Service, r *http.Request) {
		if svc == demo.Users {
			mu.Lock()
			seen = append(seen, r.Header.Get("Authorization"))
			mu.Unlock()
		}
	})
	e.cacheControl(demo.Users, "max-age=60")
	callers := []string{"", "Bearer alice", "Bearer bob", "Bearer alice", ""}
	for _, auth := range callers {
		body := strings.NewReader(`{"query": ` + quote(`{ user(id: "u1") { name } }`) + `}`)
		req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", body)
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if r := e.Do(req); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
	}
	want := []string{"", "Bearer alice", "Bearer bob", "Bearer alice"} // the last anonymous query hits
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("users calls by Authorization: got %q, want %q", seen, want)
	}
}

// An expired entry is fetched again.
func TestEntityCacheRefetchesExpiredEntries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withCache)
	e.cacheControl(demo.Pricing, "max-age=1")
	e.Query(pricedProduct, nil)
	e.Query(pricedProduct, nil)
	if got := e.Calls(demo.Pricing, demo.EndpointPrices); got != 1 {
		t.Fatalf("pricing calls before expiry: got %d, want 1", got)
	}
	poll.Until(t, "the entry to expire (max-age 1s) and be fetched again", func() bool {
		e.Query(pricedProduct, nil)
		return e.Calls(demo.Pricing, demo.EndpointPrices) >= 2
	})
}

// Concurrent requests missing the same key fill it with one call.
func TestEntityCacheConcurrentMissesFillOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withCache)
	e.cacheControl(demo.Pricing, "max-age=60")
	f := e.Backends.Server(demo.Pricing).Faults()
	f.Latency = 200 * time.Millisecond
	e.Backends.Server(demo.Pricing).SetFaults(f)
	const n = 20
	var wg sync.WaitGroup
	failed := make(chan string, n)
	for range n {
		wg.Go(func() {
			r := e.QueryNoFatal(pricedProduct, nil)
			if r == nil || len(r.Errors) > 0 || get(r.Data, "product", "price") == nil {
				failed <- "a request failed"
			}
		})
	}
	wg.Wait()
	close(failed)
	for msg := range failed {
		t.Fatal(msg)
	}
	if got := e.Calls(demo.Pricing, demo.EndpointPrices); got != 1 {
		t.Errorf("pricing calls for %d concurrent requests: got %d, want 1", n, got)
	}
}

const adminToken = "0123456789abcdef0123"

func (e *env) invalidate(path, token string) int {
	e.T.Helper()
	req, _ := http.NewRequest(http.MethodDelete, e.Server.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// DELETE /admin/cache/{service}/{id} drops the entity, for every endpoint
// and parameter set, with the admin token only.
func TestEntityCacheInvalidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withCache, func(c *config.Config) { c.Cache.AdminToken = adminToken })
	e.cacheControl(demo.Pricing, "max-age=60")
	e.Query(pricedProduct, nil)
	tests := []struct {
		name       string
		givePath   string
		giveToken  string
		wantStatus int
		wantCalls  int64 // pricing calls after the next query
	}{
		{"no token", "/admin/cache/pricing/p1", "", http.StatusUnauthorized, 1},
		{"wrong token", "/admin/cache/pricing/p1", "not-the-admin-token", http.StatusUnauthorized, 1},
		{"unknown service", "/admin/cache/nope/p1", adminToken, http.StatusNotFound, 1},
		{"another id", "/admin/cache/pricing/p2", adminToken, http.StatusOK, 1},
		{"the entity", "/admin/cache/pricing/p1", adminToken, http.StatusOK, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.invalidate(tt.givePath, tt.giveToken); got != tt.wantStatus {
				t.Errorf("status: got %d, want %d", got, tt.wantStatus)
			}
			e.Query(pricedProduct, nil)
			if got := e.Calls(demo.Pricing, demo.EndpointPrices); got != tt.wantCalls {
				t.Errorf("pricing calls: got %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

// Without cache.admin_token there is no admin endpoint.
func TestEntityCacheInvalidationNeedsConfiguring(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withCache)
	if got := e.invalidate("/admin/cache/pricing/p1", adminToken); got != http.StatusNotFound && got != http.StatusMethodNotAllowed {
		t.Errorf("status: got %d, want 404 or 405", got)
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// With an identity header, a signed-in caller's look-ups carry who they
// are: never cached, while anonymous callers still share entries. A
// service declared caller-independent (pricing) gets no identity, so
// every caller shares its entries.
func TestEntityCacheSkipsCallsCarryingTheIdentity(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withJWT, withCache, func(c *config.Config) {
		c.Auth.IdentityHeader = "X-User-Id"
		c.Services["users"].ForwardHeaders = []string{} // the identity alone
	})
	e.cacheControl(demo.Users, "max-age=60")
	e.cacheControl(demo.Pricing, "max-age=60")
	var mu sync.Mutex
	seen := map[demo.Service][]string{} // X-User-Id and Authorization of each call
	e.OnRequest(func(svc demo.Service, r *http.Request) {
		if svc == demo.Users || svc == demo.Pricing {
			mu.Lock()
			seen[svc] = append(seen[svc], r.Header.Get("X-User-Id")+r.Header.Get("Authorization"))
			mu.Unlock()
		}
	})
	tok := token(t, "u7")
	for _, as := range []string{tok, tok, "", ""} {
		if r := e.queryAs(as, `{ user(id: "u1") { name } product(id: "p1") { price { amount { formatted } } } }`, nil); len(r.Errors) > 0 {
			t.Fatalf("errors: %s", r.Raw)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, tt := range []struct {
		svc  demo.Service
		want []string
	}{
		{demo.Users, []string{"u7", "u7", ""}}, // the second anonymous query hits
		{demo.Pricing, []string{""}},           // one call for every caller
	} {
		if strings.Join(seen[tt.svc], "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s calls by X-User-Id: got %q, want %q", tt.svc, seen[tt.svc], tt.want)
		}
	}
}
