package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// orderWith returns an order of the dataset in one of the statuses, and its
// owner.
func orderWith(t *testing.T, statuses ...string) (id, owner string) {
	t.Helper()
	for _, u := range demo.DefaultDataset().Users() {
		for _, o := range demo.DefaultDataset().OrdersByUser(u.ID) {
			for _, s := range statuses {
				if o.Status == s {
					return o.ID, u.ID
				}
			}
		}
	}
	t.Fatalf("no order in %v", statuses)
	return "", ""
}

func (e *env) writeCalls() int64 {
	return e.Calls(demo.Reviews, demo.EndpointReviewsCreate) + e.Calls(demo.Orders, demo.EndpointOrdersCancel) +
		e.Calls(demo.Users, demo.EndpointUsersUpdate)
}

func firstErr(r gqlResponse) gqlError {
	if len(r.Errors) == 0 {
		return gqlError{}
	}
	return r.Errors[0]
}

// Each mutation as its owner, a stranger, staff and an anonymous caller.
func TestMutationsAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withJWT)
	pending, owner := orderWith(t, demo.StatusPending, demo.StatusPaid)
	stranger := "u199"
	if stranger == owner {
		stranger = "u198"
	}
	cancel := `mutation { cancelOrder(id: "` + pending + `") { id status } }`
	tests := []struct {
		name       string
		tok        string
		query      string
		wantCode   string // "" for success
		wantWrites int64
		check      func(t *testing.T, r gqlResponse)
	}{
		{"anonymous addReview", "", `mutation { addReview(productId: "p3", rating: 4, body: "ok") { id } }`, "UNAUTHENTICATED", 0, nil},
		{"anonymous cancelOrder", "", cancel, "UNAUTHENTICATED", 0, nil},
		{"anonymous updateProfile", "", `mutation { updateProfile(name: "X") { id } }`, "UNAUTHENTICATED", 0, nil},
		{"stranger cancelOrder", token(t, stranger), cancel, "FORBIDDEN", 0, nil},
		{"addReview: the author is the caller", token(t, "u3"), `mutation { addReview(productId: "p3", rating: 4, body: "ok") { rating body author { id } product { id } } }`, "", 1,
			func(t *testing.T, r gqlResponse) {
				if got := get(r.Data, "addReview", "author", "id"); got != "u3" {
					t.Errorf("got author %v, want u3", got)
				}
			}},
		{"staff addReview is their own", token(t, "u9", "support"), `mutation { addReview(productId: "p3", rating: 2, body: "meh") { author { id } } }`, "", 1,
			func(t *testing.T, r gqlResponse) {
				if got := get(r.Data, "addReview", "author", "id"); got != "u9" {
					t.Errorf("got author %v, want u9", got)
				}
			}},
		{"owner cancelOrder", token(t, owner), cancel, "", 1,
			func(t *testing.T, r gqlResponse) {
				if got := get(r.Data, "cancelOrder", "status"); got != "CANCELLED" {
					t.Errorf("got status %v, want CANCELLED", got)
				}
			}},
		{"staff cancelOrder", token(t, stranger, "support"), cancel, "", 1, nil},
		{"updateProfile renames the caller", token(t, "u4"), `mutation { updateProfile(name: "Ada") { id name } }`, "", 1,
			func(t *testing.T, r gqlResponse) {
				if id, name := get(r.Data, "updateProfile", "id"), get(r.Data, "updateProfile", "name"); id != "u4" || name != "Ada" {
					t.Errorf("got %v %v, want u4 Ada", id, name)
				}
				if u, _ := e.Backends.Server(demo.Users).User("u4"); u.Name != "Ada" {
					t.Errorf("backend has %q, want Ada", u.Name)
				}
			}},
		{"authorId cannot be given", token(t, "u3"), `mutation { addReview(productId: "p3", rating: 4, body: "x", authorId: "u1") { id } }`, "GRAPHQL_VALIDATION_FAILED", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.writeCalls()
			r := e.queryAs(tt.tok, tt.query, nil)
			code, _ := firstErr(r).Extensions["code"].(string)
			if code != tt.wantCode {
				t.Fatalf("got code %q, want %q: %s", code, tt.wantCode, r.Raw)
			}
			if got := e.writeCalls() - before; got != tt.wantWrites {
				t.Errorf("got %d write calls, want %d", got, tt.wantWrites)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
	for _, rv := range e.Backends.Server(demo.Reviews).Reviews() {
		if rv.AuthorID != "u3" && rv.AuthorID != "u9" {
			t.Errorf("review %s by %s, want u3 or u9", rv.ID, rv.AuthorID)
		}
	}
}

// The service's refusals: 400/422 BAD_USER_INPUT with its message, 409
// CONFLICT, 404 NOT_FOUND, each with the path and the service, and the
// contract's bounds checked before anything is sent.
func TestMutationErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withJWT)
	delivered, owner := orderWith(t, demo.StatusDelivered)
	tests := []struct {
		name      string
		subject   string
		query     string
		fault     demo.Service
		faultCode int
		wantCode  string
		wantMsg   string
		wantSvc   string
		wantSent  int64
	}{
		{"rating out of the contract's bounds", "u3", `mutation { addReview(productId: "p1", rating: 6, body: "x") { id } }`, "", 0,
			"BAD_USER_INPUT", `argument "rating" of Mutation.addReview must be between 1 and 5, got 6`, "", 0},
		{"body too long", "u3", `mutation { addReview(productId: "p1", rating: 3, body: "` + strings.Repeat("a", 2001) + `") { id } }`, "", 0,
			"BAD_USER_INPUT", "body must be 1 to 2000 characters", "", 0},
		{"unknown product: 422", "u3", `mutation { addReview(productId: "p0", rating: 3, body: "x") { id } }`, "", 0,
			"BAD_USER_INPUT", `reviews: unknown product "p0"`, "reviews", 1},
		{"400 from the service", "u3", `mutation { addReview(productId: "p1", rating: 3, body: "x") { id } }`, demo.Reviews, 400,
			"BAD_USER_INPUT", "reviews: injected failure", "reviews", 1},
		{"delivered order: 409", owner, `mutation { cancelOrder(id: "` + delivered + `") { id } }`, "", 0,
			"CONFLICT", "orders: order " + delivered + " is delivered", "orders", 1},
		{"unknown order: 404 on the read", "u3", `mutation { cancelOrder(id: "o0") { id } }`, "", 0,
			"NOT_FOUND", "orders: no such item", "orders", 0},
		{"unknown user: 404", "u999", `mutation { updateProfile(name: "x") { id } }`, "", 0,
			"NOT_FOUND", `users: user "u999" not found`, "users", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fault != "" {
				e.Backends.Server(tt.fault).SetFaults(demo.Faults{ErrorRate: 1, Status: tt.faultCode})
				defer e.Backends.Server(tt.fault).SetFaults(demo.Faults{})
			}
			before := e.writeCalls()
			r := e.queryAs(token(t, tt.subject), tt.query, nil)
			er := firstErr(r)
			if got := er.Extensions["code"]; got != tt.wantCode {
				t.Fatalf("got code %v, want %s: %s", got, tt.wantCode, r.Raw)
			}
			if !strings.Contains(er.Message, tt.wantMsg) {
				t.Errorf("got message %q, want it to contain %q", er.Message, tt.wantMsg)
			}
			if tt.wantSvc != "" {
				if got := er.Extensions["service"]; got != tt.wantSvc {
					t.Errorf("got service %v, want %s", got, tt.wantSvc)
				}
				if got := er.Extensions["mayHaveBeenApplied"]; got != false {
					t.Errorf("got mayHaveBeenApplied %v, want false", got)
				}
			}
			// An argument's range (registry) is checked before the
			// operation runs, so its error names no field.
			if beforeRun := strings.Contains(tt.wantMsg, "argument "); len(er.Path) != 1 && !beforeRun {
				t.Errorf("got path %v, want the mutation field", er.Path)
			}
			if got := e.writeCalls() - before; got != tt.wantSent {
				t.Errorf("got %d write calls, want %d", got, tt.wantSent)
			}
		})
	}
}

// A write applied and then answered 503, or never answered, is retried
// with its key and applied once; a client resending its request with the
// same Idempotency-Key header after the gateway gave up adds nothing.
func TestMutationRetriesApplyOnce(t *testing.T) {
	t.Parallel()
	const q = `mutation { addReview(productId: "p7", rating: 5, body: "once") { id author { id } } }`
	for _, mode := range []string{demo.AfterWrite503, demo.AfterWriteDrop} {
		t.Run("gateway retry after "+mode, func(t *testing.T) {
			e := newEnv(t, withJWT)
			s := e.Backends.Server(demo.Reviews)
			s.SetFaults(demo.Faults{AfterWrite: mode, AfterWriteTimes: 1})
			r := e.queryAs(token(t, "u3"), q, nil)
			if len(r.Errors) > 0 || get(r.Data, "addReview", "id") == nil {
				t.Fatalf("got %s, want the review", r.Raw)
			}
			if got := len(s.Reviews()); got != 1 {
				t.Errorf("got %d reviews in the backend, want 1", got)
			}
			if got := e.Calls(demo.Reviews, demo.EndpointReviewsCreate); got < 2 {
				t.Errorf("got %d calls, want the write and its retry", got)
			}
		})
		t.Run("client resend after "+mode, func(t *testing.T) {
			e := newEnv(t, withJWT, func(c *config.Config) {
				for _, name := range config.Services {
					sc := c.Service(name)
					sc.MaxRetries = 0
					c.SetService(name, sc)
				}
			})
			s := e.Backends.Server(demo.Reviews)
			s.SetFaults(demo.Faults{AfterWrite: mode, AfterWriteTimes: 1})
			h := http.Header{"Idempotency-Key": {"client-key-1"}}
			r := e.queryAs(token(t, "u3"), q, h)
			er := firstErr(r)
			if er.Extensions["mayHaveBeenApplied"] != true || er.Extensions["service"] != "reviews" {
				t.Fatalf("got %s, want an error saying the write may have been applied", r.Raw)
			}
			if got := len(s.Reviews()); got != 1 {
				t.Fatalf("got %d reviews after the failed answer, want 1", got)
			}
			r = e.queryAs(token(t, "u3"), q, h)
			if len(r.Errors) > 0 {
				t.Fatalf("resend: %s", r.Raw)
			}
			if got, want := get(r.Data, "addReview", "id"), s.Reviews()[0].ID; got != want {
				t.Errorf("resend: got review %v, want the first one %s", got, want)
			}
			if got := len(s.Reviews()); got != 1 {
				t.Errorf("got %d reviews after the resend, want 1", got)
			}
			// Another caller's request with the same header is not the same write.
			e.queryAs(token(t, "u4"), q, h)
			if got := len(s.Reviews()); got != 2 {
				t.Errorf("got %d reviews after another caller's request, want 2", got)
			}
		})
	}
}

// Two writes of one request, in document order, each with its own key.
func TestMutationsRunInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withJWT)
	var keys []string
	e.OnRequest(func(svc demo.Service, r *http.Request) {
		if r.Method != http.MethodGet {
			keys = append(keys, r.Header.Get("Idempotency-Key")) // writes are sequential
		}
	})
	r := e.queryAs(token(t, "u5"), `mutation {
		first: updateProfile(name: "One") { name }
		second: updateProfile(name: "Two") { name }
	}`, http.Header{"Idempotency-Key": {"k"}})
	if get(r.Data, "first", "name") != "One" || get(r.Data, "second", "name") != "Two" {
		t.Fatalf("got %s", r.Raw)
	}
	if u, _ := e.Backends.Server(demo.Users).User("u5"); u.Name != "Two" {
		t.Errorf("got name %q, want Two (the last write)", u.Name)
	}
	if len(keys) != 2 || keys[0] == keys[1] || keys[0] == "" {
		t.Errorf("got keys %q, want two different ones", keys)
	}
}

// A document with more writes than limits.max_writes sends none.
func TestMaxWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withJWT, func(c *config.Config) { c.Limits.MaxWrites = 2 })
	var q strings.Builder
	q.WriteString("mutation {")
	for i := range 3 {
		q.WriteString(" w" + strconv.Itoa(i) + `: updateProfile(name: "n") { id }`)
	}
	q.WriteString(" }")
	r := e.queryAs(token(t, "u6"), q.String(), nil)
	if got := firstErr(r).Extensions["code"]; got != "TOO_MANY_WRITES" {
		t.Fatalf("got %s, want TOO_MANY_WRITES", r.Raw)
	}
	if got := e.TotalCalls(); got != 0 {
		t.Errorf("got %d backend calls, want none", got)
	}
	// Through a fragment spread twice: merged, two writes.
	r = e.queryAs(token(t, "u6"), `mutation { ...W ...W w2: updateProfile(name: "m") { id } } fragment W on Mutation { w1: updateProfile(name: "n") { id } }`, nil)
	if len(r.Errors) > 0 {
		t.Errorf("two writes: got %s", r.Raw)
	}
}

// GET never runs a mutation (405), nor does a POST a browser could send
// cross-site without a preflight.
func TestMutationsNeedAJSONPost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withJWT)
	tok := token(t, "u3")
	q := `mutation { updateProfile(name: "Mallory") { id } }`
	req, _ := http.NewRequest(http.MethodGet, e.Server.URL+"/graphql?query="+url.QueryEscape(q), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET: got %d Allow %q, want 405 Allow POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
	body, _ := json.Marshal(map[string]any{"query": q})
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := e.Server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("POST %s: got %d, want a refusal", ct, resp.StatusCode)
		}
	}
	if got := e.writeCalls(); got != 0 {
		t.Errorf("got %d write calls, want none", got)
	}
}

// With the entity cache on, backends sending max-age=60 and two replicas
// on Redis, a read right after each write shows it, on the other replica
// as well.
func TestWritesShowOnEveryReplica(t *testing.T) {
	t.Parallel()
	rs := tributarytest.StartRedis(t)
	e := newEnv(t)
	for _, s := range demo.AllServices() {
		e.cacheControl(s, "max-age=60")
	}
	pending, owner := orderWith(t, demo.StatusPending, demo.StatusPaid)
	gws := e.replicas(2, rs.URL(), withCache, withJWT, func(c *config.Config) {
		// The backends need no credentials, so answers are shared between
		// callers (and cached) even for signed-in ones.
		c.Defaults.ForwardHeaders = nil
	})
	a, b := gws[0], gws[1]
	auth := func(sub string) []string { return []string{"Authorization", "Bearer " + token(t, sub)} }
	read := func(r *replica, q string, header ...string) gqlResponse {
		t.Helper()
		resp := r.Post(map[string]any{"query": q}, header...)
		if len(resp.Errors) > 0 {
			t.Fatalf("%s: %s", q, resp.Raw)
		}
		return resp
	}

	const product = `{ product(id: "p11") { reviews(first: 100) { id } ratingSummary { count } } user(id: "u8") { name reviews(first: 100) { id } } }`
	const orders = `{ me { dashboard { recentOrders(first: 100) { id status } } } }`
	for _, r := range gws {
		read(r, product)
		read(r, product) // now from the cache
		read(r, orders, auth(owner)...)
	}
	calls := e.Calls(demo.Reviews, demo.EndpointReviewsByProduct)
	read(b, product)
	if got := e.Calls(demo.Reviews, demo.EndpointReviewsByProduct); got != calls {
		t.Fatalf("the read is not cached: %d calls, then %d", calls, got)
	}
	before := read(b, product)
	count := get(before.Data, "product", "ratingSummary", "count").(float64)

	w := a.Post(map[string]any{"query": `mutation { addReview(productId: "p11", rating: 5, body: "fresh") { id } }`}, auth("u8")...)
	id := get(w.Data, "addReview", "id")
	if id == nil {
		t.Fatalf("addReview: %s", w.Raw)
	}
	for _, r := range gws {
		got := read(r, product)
		if n := get(got.Data, "product", "ratingSummary", "count"); n != count+1 {
			t.Errorf("rating count: got %v, want %v", n, count+1)
		}
		if !strings.Contains(string(got.Raw), `"id":"`+id.(string)+`"`) {
			t.Errorf("the new review is missing from the product's or the author's reviews: %s", got.Raw)
		}
		if n := strings.Count(string(got.Raw), `"id":"`+id.(string)+`"`); n != 2 {
			t.Errorf("the new review appears %d times, want twice (product and author)", n)
		}
	}

	w = a.Post(map[string]any{"query": `mutation { cancelOrder(id: "` + pending + `") { status } }`}, auth(owner)...)
	if get(w.Data, "cancelOrder", "status") != "CANCELLED" {
		t.Fatalf("cancelOrder: %s", w.Raw)
	}
	for _, r := range gws {
		got := read(r, orders, auth(owner)...)
		if !strings.Contains(string(got.Raw), `{"id":"`+pending+`","status":"CANCELLED"}`) {
			t.Errorf("the owner's orders do not show %s cancelled: %s", pending, got.Raw)
		}
	}

	w = b.Post(map[string]any{"query": `mutation { updateProfile(name: "Renamed") { name } }`}, auth("u8")...)
	if get(w.Data, "updateProfile", "name") != "Renamed" {
		t.Fatalf("updateProfile: %s", w.Raw)
	}
	for _, r := range gws {
		if got := get(read(r, product).Data, "user", "name"); got != "Renamed" {
			t.Errorf("got name %v, want Renamed", got)
		}
	}
}

// The fan-out report shows a write's method and its retry.
func TestFanoutReportShowsWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withJWT, func(c *config.Config) { c.FanoutReport = true })
	e.Backends.Server(demo.Reviews).SetFaults(demo.Faults{AfterWrite: demo.AfterWrite503, AfterWriteTimes: 1})
	r := e.queryAs(token(t, "u3"), `mutation { addReview(productId: "p2", rating: 3, body: "x") { id } }`,
		http.Header{"X-Tributary-Report": {"1"}})
	svc := get(r.Extensions, "tributary", "fanout", "services", "reviews")
	if got := get(svc, "retries"); got != float64(1) {
		t.Errorf("got retries %v, want 1: %s", got, r.Raw)
	}
	for i, want := range []float64{0, 1} {
		if m, a := get(svc, "batches", i, "method"), get(svc, "batches", i, "attempt"); m != "POST" || a != want {
			t.Errorf("call %d: got %v attempt %v, want POST attempt %v", i, m, a, want)
		}
	}
}

// With authentication off there is no caller to write as: nothing is sent.
func TestWritesAsTheCallerNeedOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // auth.mode off
	r := e.Query(`mutation { addReview(productId: "p1", rating: 4, body: "x") { id } }`, nil)
	if got := firstErr(r).Extensions["code"]; got != "UNAUTHENTICATED" {
		t.Errorf("got %s, want UNAUTHENTICATED", r.Raw)
	}
	if got := e.writeCalls(); got != 0 {
		t.Errorf("got %d write calls, want none", got)
	}
}
