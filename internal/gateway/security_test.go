package gateway_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tributary-gw/tributary/internal/auth/authtest"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/services/demo"
)

const secret = "a-development-secret-of-32-bytes!!"

func withJWT(c *config.Config) {
	c.Auth.Mode = "jwt"
	c.Auth.HS256Secret = secret
	c.Auth.Issuer = "https://id.example"
	c.Auth.Audience = "tributary"
	c.Auth.StaffRole = "support"
}

func token(t *testing.T, subject string, roles ...string) string {
	claims := authtest.Claims("https://id.example", "tributary", subject)
	if len(roles) > 0 {
		claims["roles"] = roles
	}
	return authtest.SignHS256(t, []byte(secret), claims)
}

func (e *env) queryAs(tok, q string, header http.Header) gqlResponse {
	e.T.Helper()
	body, _ := json.Marshal(map[string]any{"query": q})
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range header {
		req.Header[k] = vs
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return e.Do(req)
}

const dashboardOf = `{ dashboard(userId: "u2") { user { name } recentOrders { id } } }`

func TestDashboardsAreOwnersAndStaffOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withJWT)
	tests := []struct {
		name      string
		token     string
		wantCode  string // "" means allowed
		wantCalls int64
	}{
		{"owner", token(t, "u2"), "", 2},
		{"another user", token(t, "u1"), "FORBIDDEN", 0},
		{"staff", token(t, "u1", "support"), "", 2},
		{"anonymous", "", "UNAUTHENTICATED", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Backends.ResetStats()
			r := e.queryAs(tt.token, dashboardOf, nil)
			if tt.wantCode == "" {
				if len(r.Errors) > 0 || get(r.Data, "dashboard", "user", "name") == nil {
					t.Errorf("want the dashboard, got %s", r.Raw)
				}
			} else {
				if v, ok := r.Data["dashboard"]; !ok || v != nil {
					t.Errorf("dashboard: got %v, want null", v)
				}
				if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != tt.wantCode {
					t.Errorf("want one %s, got %s", tt.wantCode, r.Raw)
				}
			}
			if got := e.TotalCalls(); got != tt.wantCalls {
				t.Errorf("backend calls: got %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

// A user's public profile is readable; their email and orders are not,
// and forbidding them costs no backend call.
func TestPrivateFieldsOfAnotherUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withJWT)
	r := e.queryAs(token(t, "u1"), `{ user(id: "u2") { name email orders { id } } }`, nil)
	if get(r.Data, "user", "name") == nil {
		t.Fatalf("public name missing: %s", r.Raw)
	}
	if get(r.Data, "user", "email") != nil || get(r.Data, "user", "orders") != nil {
		t.Errorf("private fields leaked: %s", r.Raw)
	}
	for _, er := range r.Errors {
		if er.Extensions["code"] != "FORBIDDEN" {
			t.Errorf("code: got %v, want FORBIDDEN", er.Extensions["code"])
		}
	}
	if got := e.Calls(demo.Orders, "orders.byUser"); got != 0 {
		t.Errorf("orders calls for a forbidden field: got %d, want 0", got)
	}
}

func TestMeIsTheCaller(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withJWT)
	r := e.queryAs(token(t, "u3"), `{ me { user { id email } dashboard { user { id } summary { orderCount } } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatal(r.Raw)
	}
	if get(r.Data, "me", "user", "id") != "u3" || get(r.Data, "me", "dashboard", "user", "id") != "u3" {
		t.Errorf("me: got %s", r.Raw)
	}
	if r := e.queryAs("", `{ me { user { id } } }`, nil); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Errorf("anonymous me: got %s", r.Raw)
	}
}

func TestBadTokensAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withJWT)
	expired := authtest.Claims("https://id.example", "tributary", "u1")
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	wrongAud := authtest.Claims("https://id.example", "someone-else", "u1")
	for name, tok := range map[string]string{
		"expired":        authtest.SignHS256(t, []byte(secret), expired),
		"wrong audience": authtest.SignHS256(t, []byte(secret), wrongAud),
		"wrong secret":   authtest.SignHS256(t, []byte("another-secret-that-is-32-bytes-long"), authtest.Claims("https://id.example", "tributary", "u1")),
		"alg none":       noneToken(t),
		"garbage":        "not.a.jwt",
	} {
		r := e.queryAs(tok, `{ product(id: "p1") { name } }`, nil)
		if r.Status != http.StatusUnauthorized || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
			t.Errorf("%s: got %d %s, want 401 UNAUTHENTICATED", name, r.Status, r.Raw)
		}
	}
	if got := e.TotalCalls(); got != 0 {
		t.Errorf("backend calls for refused requests: got %d, want 0", got)
	}
}

func noneToken(t *testing.T) string {
	s, err := jwt.NewWithClaims(jwt.SigningMethodNone, authtest.Claims("https://id.example", "tributary", "u1")).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Backends see exactly the headers their policy allows, the identity of
// the validated caller, and never a client's forged identity header; a
// service declared caller-independent (catalog) sees none of them.
func TestHeaderPolicy(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]http.Header{}
	e := newEnv(t, withJWT, func(c *config.Config) {
		c.Auth.IdentityHeader = "X-User-Id"
		c.Services["users"].ForwardHeaders = []string{"Accept-Language"}
		c.Services["orders"].ForwardHeaders = []string{"Authorization", "X-Client-Version"}
	})
	e.OnRequest(func(svc demo.Service, r *http.Request) {
		mu.Lock()
		seen[string(svc)] = r.Header.Clone()
		mu.Unlock()
	})
	tok := token(t, "u7")
	r := e.queryAs(tok, `{ user(id: "u7") { name orders(first: 1) { id } } product(id: "p1") { name } }`, http.Header{
		"Accept-Language":  {"nl-NL"},
		"X-Client-Version": {"3.1"},
		"X-User-Id":        {"u1"}, // forged
		"Cookie":           {"session=secret"},
		"Connection":       {"keep-alive, X-Client-Version"},
	})
	if len(r.Errors) > 0 {
		t.Fatal(r.Raw)
	}
	mu.Lock()
	defer mu.Unlock()
	users, orders, catalog := seen["users"], seen["orders"], seen["catalog"]
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"users Accept-Language", users.Get("Accept-Language"), "nl-NL"},
		{"users Authorization", users.Get("Authorization"), ""},
		{"users X-Client-Version", users.Get("X-Client-Version"), ""},
		{"users identity", users.Get("X-User-Id"), "u7"},
		{"users Cookie", users.Get("Cookie"), ""},
		{"orders Authorization", orders.Get("Authorization"), "Bearer " + tok},
		{"orders X-Client-Version", orders.Get("X-Client-Version"), "3.1"},
		{"orders Accept-Language", orders.Get("Accept-Language"), ""},
		{"orders identity", orders.Get("X-User-Id"), "u7"},
		{"catalog Authorization", catalog.Get("Authorization"), ""},
		{"catalog identity", catalog.Get("X-User-Id"), ""},
		{"catalog Accept-Language", catalog.Get("Accept-Language"), ""},
		{"one request id", orders.Get("X-Request-Id") != "" && users.Get("X-Request-Id") == orders.Get("X-Request-Id"), true},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}

	// Anonymous callers cannot smuggle an identity either.
	seen = map[string]http.Header{}
	mu.Unlock()
	e.queryAs("", `{ user(id: "u1") { name } }`, http.Header{"X-User-Id": {"u1"}})
	mu.Lock()
	if got := seen["users"].Get("X-User-Id"); got != "" {
		t.Errorf("anonymous request forwarded X-User-Id %q", got)
	}
}

func TestTrustedDocumentsOnly(t *testing.T) {
	t.Parallel()
	registered := `query Registered { product(id: "p1") { name } }`
	sum := sha256.Sum256([]byte(registered))
	hash := hex.EncodeToString(sum[:])
	manifest := filepath.Join(t.TempDir(), "persisted-documents.json")
	b, _ := json.Marshal(map[string]string{hash: registered})
	if err := os.WriteFile(manifest, b, 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *config.Config) {
		c.Persisted.Manifest = manifest
		c.Persisted.Only = true
	})
	send := func(body map[string]any) gqlResponse {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		return e.Do(req)
	}
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
	if r := send(map[string]any{"extensions": ext}); get(r.Data, "product", "name") == nil {
		t.Errorf("registered operation by hash: got %s", r.Raw)
	}
	if r := send(map[string]any{"query": registered}); get(r.Data, "product", "name") == nil {
		t.Errorf("registered operation by text: got %s", r.Raw)
	}
	e.Backends.ResetStats()
	for name, body := range map[string]map[string]any{
		"unregistered text": {"query": `{ product(id: "p2") { name } }`},
		"unknown hash":      {"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": "00" + hash[2:]}}},
	} {
		r := send(body)
		if len(r.Errors) != 1 || r.Data["product"] != nil {
			t.Errorf("%s: got %s, want a rejection", name, r.Raw)
		}
	}
	if got := e.TotalCalls(); got != 0 {
		t.Errorf("backend calls for rejected operations: got %d, want 0", got)
	}
}

func TestRateLimitPerClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withJWT, func(c *config.Config) {
		c.RateLimit.RPS = 1
		c.RateLimit.Burst = 3
	})
	greedy, other := token(t, "u1"), token(t, "u2")
	var limited gqlResponse
	for i := range 6 {
		r := e.queryAs(greedy, `{ product(id: "p1") { name } }`, nil)
		if r.Status == http.StatusTooManyRequests {
			limited = r
			if i < 3 {
				t.Errorf("request %d limited within the burst of 3", i)
			}
			break
		}
	}
	if limited.Status != http.StatusTooManyRequests {
		t.Fatal("no request was limited")
	}
	if len(limited.Errors) != 1 || limited.Errors[0].Extensions["code"] != "RATE_LIMITED" {
		t.Errorf("limited body: %s", limited.Raw)
	}
	if r := e.queryAs(other, `{ product(id: "p1") { name } }`, nil); r.Status != http.StatusOK {
		t.Errorf("another client was limited too: %d", r.Status)
	}
}

func TestCORSAllowList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.CORS.AllowedOrigins = []string{"https://shop.example"} })
	preflight := func(origin string) http.Header {
		req, _ := http.NewRequest(http.MethodOptions, e.Server.URL+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		// As browsers send it: lower case, sorted, no spaces.
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		resp, err := e.Server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header
	}
	if got := preflight("https://shop.example").Get("Access-Control-Allow-Origin"); got != "https://shop.example" {
		t.Errorf("allowed origin: Access-Control-Allow-Origin %q", got)
	}
	if got := preflight("https://evil.example").Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("other origin: Access-Control-Allow-Origin %q, want none", got)
	}
}

// The per-address limit runs before authentication: a client trying
// tokens is limited like any other, instead of getting 401s forever.
func TestAddressLimitAppliesBeforeAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withJWT, func(c *config.Config) {
		c.RateLimit.IPRPS = 0.001 // no refill within the test
		c.RateLimit.IPBurst = 3
	})
	var statuses []int
	for range 5 {
		r := e.queryAs("not-a-token", `{ product(id: "p1") { name } }`, nil)
		statuses = append(statuses, r.Status)
		if r.Status == http.StatusTooManyRequests && r.Errors[0].Extensions["code"] != "RATE_LIMITED" {
			t.Errorf("limited body: %s", r.Raw)
		}
	}
	want := []int{401, 401, 401, 429, 429}
	if !slices.Equal(statuses, want) {
		t.Errorf("statuses: got %v, want %v", statuses, want)
	}
}

// IPv6 clients are counted per /64 (rate_limit.ipv6_prefix): new
// addresses from one network do not get new buckets.
func TestIPv6ClientsShareTheirNetworksBucket(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) {
		c.RateLimit.RPS = 0.001
		c.RateLimit.Burst = 2
		c.RateLimit.TrustedProxies = []string{"127.0.0.1/32", "::1/128"}
	})
	from := func(addr string) int {
		return e.queryAs("", `{ product(id: "p1") { name } }`, http.Header{"X-Forwarded-For": {addr}}).Status
	}
	var got []int
	for _, addr := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"} {
		got = append(got, from(addr))
	}
	if want := []int{200, 200, 429}; !slices.Equal(got, want) {
		t.Errorf("one /64: got %v, want %v", got, want)
	}
	if s := from("2001:db8:1:3::1"); s != http.StatusOK {
		t.Errorf("another /64: got %d, want 200", s)
	}
}
