package demo_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// doKey sends a request with an Idempotency-Key ("" sends none).
func doKey(t *testing.T, method, url, key, body string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		return response{status: 0, body: []byte(err.Error())}
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body) // a dropped connection reads short
	return response{status: resp.StatusCode, header: resp.Header, body: got}
}

func TestWritesValidation(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	tests := []struct {
		name       string
		svc        demo.Service
		method     string
		path, body string
		wantStatus int
		wantError  string
	}{
		{"review ok", demo.Reviews, http.MethodPost, "/reviews", `{"productId":"p1","authorId":"u3","rating":4,"body":"fine"}`, 201, ""},
		{"rating 0", demo.Reviews, http.MethodPost, "/reviews", `{"productId":"p1","authorId":"u3","rating":0,"body":"x"}`, 400, "rating must be 1..5"},
		{"rating 6", demo.Reviews, http.MethodPost, "/reviews", `{"productId":"p1","authorId":"u3","rating":6,"body":"x"}`, 400, "rating must be 1..5"},
		{"empty body", demo.Reviews, http.MethodPost, "/reviews", `{"productId":"p1","authorId":"u3","rating":3,"body":""}`, 400, "body must be 1..2000"},
		{"long body", demo.Reviews, http.MethodPost, "/reviews", `{"productId":"p1","authorId":"u3","rating":3,"body":"` + strings.Repeat("é", 2001) + `"}`, 400, "body must be 1..2000"},
		{"2000 characters", demo.Reviews, http.MethodPost, "/reviews", `{"productId":"p1","authorId":"u3","rating":3,"body":"` + strings.Repeat("é", 2000) + `"}`, 201, ""},
		{"missing author", demo.Reviews, http.MethodPost, "/reviews", `{"productId":"p1","rating":3,"body":"x"}`, 400, "missing property authorId"},
		{"extra property", demo.Reviews, http.MethodPost, "/reviews", `{"productId":"p1","authorId":"u3","rating":3,"body":"x","id":"r1"}`, 400, "unknown field"},
		{"unknown product", demo.Reviews, http.MethodPost, "/reviews", `{"productId":"p0","authorId":"u3","rating":3,"body":"x"}`, 422, "unknown product"},
		{"unknown author", demo.Reviews, http.MethodPost, "/reviews", `{"productId":"p1","authorId":"u0","rating":3,"body":"x"}`, 422, "unknown author"},
		{"not JSON", demo.Reviews, http.MethodPost, "/reviews", `rating=4`, 400, "want a JSON object"},
		{"cancel unknown", demo.Orders, http.MethodPost, "/orders/o0/cancel", ``, 404, "not found"},
		{"cancel with GET", demo.Orders, http.MethodGet, "/orders/o1/cancel", ``, 405, "use POST"},
		{"rename ok", demo.Users, http.MethodPatch, "/users/u2", `{"name":"Ada"}`, 200, ""},
		{"rename unknown", demo.Users, http.MethodPatch, "/users/u0", `{"name":"Ada"}`, 404, "not found"},
		{"rename empty", demo.Users, http.MethodPatch, "/users/u2", `{"name":""}`, 400, "name must be 1..100"},
		{"rename other property", demo.Users, http.MethodPatch, "/users/u2", `{"name":"A","tier":"gold"}`, 400, "unknown field"},
		{"PUT reviews", demo.Reviews, http.MethodPut, "/reviews", `{}`, 405, "use GET or POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := doKey(t, tt.method, b.URL(tt.svc)+tt.path, "", tt.body)
			if r.status != tt.wantStatus {
				t.Fatalf("got status %d, want %d (%s)", r.status, tt.wantStatus, r.body)
			}
			if !strings.Contains(string(r.body), tt.wantError) {
				t.Errorf("got body %s, want it to contain %q", r.body, tt.wantError)
			}
			if tt.method != http.MethodGet && tt.method != http.MethodPut {
				if got := r.header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("got Cache-Control %q, want no-store", got)
				}
			}
		})
	}
	if got, want := len(b.Server(demo.Reviews).Reviews()), 2; got != want {
		t.Errorf("got %d reviews created, want %d", got, want)
	}
}

// Reads after a write reflect it.
func TestWritesReadBack(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	r := doKey(t, http.MethodPost, b.URL(demo.Reviews)+"/reviews", "", `{"productId":"p2","authorId":"u7","rating":5,"body":"great"}`)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created demo.ReviewRecord
	decode(t, r, &created)
	wantID := "r" + strconv.Itoa(demo.DefaultDataset().NumReviews()+1)
	if created.ID != wantID || created.AuthorID != "u7" || created.CreatedAt.IsZero() {
		t.Errorf("got %+v, want id %s by u7 with createdAt", created, wantID)
	}
	for _, q := range []string{"productIds=p2", "authorIds=u7"} {
		var l demo.ReviewList
		decode(t, get(t, b.URL(demo.Reviews)+"/reviews?"+q), &l)
		n := 0
		for _, rv := range l.Reviews {
			if rv.ID == created.ID {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: got the new review %d times, want once", q, n)
		}
	}

	// Find a pending and a delivered order.
	var pending, delivered string
	for _, u := range demo.DefaultDataset().Users() {
		for _, o := range demo.DefaultDataset().OrdersByUser(u.ID) {
			switch o.Status {
			case demo.StatusPending, demo.StatusPaid:
				pending = o.ID
			case demo.StatusDelivered:
				delivered = o.ID
			}
		}
	}
	r = doKey(t, http.MethodPost, b.URL(demo.Orders)+"/orders/"+pending+"/cancel", "", "")
	if r.status != 200 || !strings.Contains(string(r.body), `"status":"cancelled"`) {
		t.Fatalf("cancel %s: %d %s", pending, r.status, r.body)
	}
	if r := get(t, b.URL(demo.Orders)+"/orders/"+pending); !strings.Contains(string(r.body), `"status":"cancelled"`) {
		t.Errorf("read after cancel: %s", r.body)
	}
	if r := doKey(t, http.MethodPost, b.URL(demo.Orders)+"/orders/"+pending+"/cancel", "", ""); r.status != 200 {
		t.Errorf("cancel again: got %d, want 200", r.status)
	}
	r = doKey(t, http.MethodPost, b.URL(demo.Orders)+"/orders/"+delivered+"/cancel", "", "")
	checkError(t, r, http.StatusConflict)
	if want := "order " + delivered + " is delivered"; !strings.Contains(string(r.body), want) {
		t.Errorf("got %s, want %q", r.body, want)
	}

	if r := doKey(t, http.MethodPatch, b.URL(demo.Users)+"/users/u5", "", `{"name":"Grace"}`); r.status != 200 {
		t.Fatalf("rename: %d %s", r.status, r.body)
	}
	var ul demo.UserList
	decode(t, get(t, b.URL(demo.Users)+"/users?ids=u5"), &ul)
	if len(ul.Users) != 1 || ul.Users[0].Name != "Grace" {
		t.Errorf("got %+v, want u5 named Grace", ul.Users)
	}
	// The dataset itself is untouched (it is shared).
	if u, _ := demo.DefaultDataset().User("u5"); u.Name == "Grace" {
		t.Error("the shared dataset was changed")
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	url := b.URL(demo.Reviews) + "/reviews"
	body := `{"productId":"p1","authorId":"u3","rating":4,"body":"once"}`
	first := doKey(t, http.MethodPost, url, "k-1", body)
	again := doKey(t, http.MethodPost, url, "k-1", body)
	if first.status != 201 || again.status != 201 || string(first.body) != string(again.body) {
		t.Errorf("got %d %s then %d %s, want the same 201 twice", first.status, first.body, again.status, again.body)
	}
	if r := doKey(t, http.MethodPost, url, "k-1", strings.Replace(body, "once", "twice", 1)); r.status != 422 {
		t.Errorf("same key, other body: got %d, want 422", r.status)
	}
	if r := doKey(t, http.MethodPatch, b.URL(demo.Users)+"/users/u3", "k-1", `{"name":"x"}`); r.status != 200 {
		t.Errorf("same key at another service: got %d, want 200 (keys are per service)", r.status)
	}
	for _, bad := range []string{"has space", strings.Repeat("k", 256), "é"} {
		if r := doKey(t, http.MethodPost, url, bad, body); r.status != 400 {
			t.Errorf("key %.20q: got %d, want 400", bad, r.status)
		}
	}
	if got := len(b.Server(demo.Reviews).Reviews()); got != 1 {
		t.Errorf("got %d reviews, want 1", got)
	}
}

// A write applied and then answered 503, or never answered, is applied
// once however often it is resent with its key.
func TestAfterWriteFaults(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{demo.AfterWrite503, demo.AfterWriteDrop} {
		t.Run(mode, func(t *testing.T) {
			b := tributarytest.StartBackends(t, nil)
			s := b.Server(demo.Reviews)
			s.SetFaults(demo.Faults{AfterWrite: mode, AfterWriteTimes: 1})
			url := b.URL(demo.Reviews) + "/reviews"
			body := `{"productId":"p1","authorId":"u3","rating":4,"body":"once"}`
			r := doKey(t, http.MethodPost, url, "k", body)
			wantFirst := 503
			if mode == demo.AfterWriteDrop {
				wantFirst = 0
			}
			if r.status != wantFirst {
				t.Fatalf("first: got %d %s, want %d", r.status, r.body, wantFirst)
			}
			if got := len(s.Reviews()); got != 1 {
				t.Fatalf("got %d reviews after the failed answer, want 1 (applied)", got)
			}
			if r := doKey(t, http.MethodPost, url, "k", body); r.status != 201 {
				t.Fatalf("resent: got %d %s, want the remembered 201", r.status, r.body)
			}
			if got, applied := len(s.Reviews()), s.Applied(); got != 1 || applied != 1 {
				t.Errorf("got %d reviews, %d applied, want 1 and 1", got, applied)
			}
			if f := s.Faults(); f.AfterWrite != "" {
				t.Errorf("got AfterWrite %q after its one time, want none", f.AfterWrite)
			}
			// Without a key, a resend is a second review.
			s.SetFaults(demo.Faults{AfterWrite: mode, AfterWriteTimes: 1})
			doKey(t, http.MethodPost, url, "", body)
			doKey(t, http.MethodPost, url, "", body)
			if got := len(s.Reviews()); got != 3 {
				t.Errorf("got %d reviews, want 3", got)
			}
		})
	}
}

func TestFaultsAfterWriteJSON(t *testing.T) {
	t.Parallel()
	var f demo.Faults
	if err := f.UnmarshalJSON([]byte(`{"afterWrite":"drop","afterWriteTimes":2}`)); err != nil {
		t.Fatal(err)
	}
	if f.AfterWrite != demo.AfterWriteDrop || f.AfterWriteTimes != 2 {
		t.Errorf("got %+v", f)
	}
	if err := f.UnmarshalJSON([]byte(`{"afterWrite":"explode"}`)); err == nil {
		t.Error("got no error for an unknown afterWrite")
	}
}
