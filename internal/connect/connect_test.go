package connect_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/upstream"
)

type item struct {
	ID    string `json:"id"`
	Owner string `json:"owner"`
	Cur   string `json:"cur"`
}

type envelope struct {
	Items []*item `json:"items"`
}

func client(t *testing.T, h http.HandlerFunc) *upstream.Client {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c, err := upstream.New(upstream.Config{Service: "test", BaseURL: ts.URL, Timeout: 5 * time.Second},
		upstream.NewHTTPClient(upstream.NewTransport(upstream.TransportConfig{})), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Keys with different parameters go out as one call per parameter set;
// answers come back in key order, unknown keys nil.
func TestByKeyOneCallPerParameterSet(t *testing.T) {
	var calls atomic.Int32
	c := client(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var parts []string
		for _, id := range strings.Split(r.URL.Query().Get("ids"), ",") {
			if !strings.HasPrefix(id, "unknown") {
				parts = append(parts, fmt.Sprintf(`{"id":%q,"cur":%q}`, id, r.URL.Query().Get("cur")))
			}
		}
		fmt.Fprintf(w, `{"items":[%s]}`, strings.Join(parts, ","))
	})
	ep := connect.Endpoint{Name: "items", Path: "/items", Batch: "ids", Items: "items"}
	fetch := connect.ByKey(c, nil, ep, func(e *envelope) []*item { return e.Items }, func(it *item) string { return it.ID })
	eur, usd := connect.Query("cur", "EUR"), connect.Query("cur", "USD")
	res := fetch(context.Background(), []connect.Key{{ID: "a", Query: eur}, {ID: "b", Query: usd}, {ID: "unknown", Query: eur}, {ID: "c", Query: eur}})
	want := []string{"a/EUR", "b/USD", "nil", "c/EUR"}
	for i, r := range res {
		got := "nil"
		if r.Data != nil {
			got = r.Data.ID + "/" + r.Data.Cur
		}
		if r.Error != nil || got != want[i] {
			t.Errorf("key %d: got %s (%v), want %s", i, got, r.Error, want[i])
		}
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("calls: got %d, want 2 (one per currency)", got)
	}
}

// A single-item path is called once per key; its 404 is no item, not an
// error, while another failure is that key's error.
func TestSingleItemPath(t *testing.T) {
	c := client(t, func(w http.ResponseWriter, r *http.Request) {
		// The id is one segment, escaped once on the wire.
		switch r.URL.EscapedPath() {
		case "/things/a%2Fb":
			fmt.Fprint(w, `{"id":"a/b"}`)
		case "/things/gone":
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":"no such thing"}`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"bad"}`)
		}
	})
	fetch := connect.Single[item](c, nil, connect.Endpoint{Name: "thing", Path: "/things/{id}", PathKey: "id"})
	res := fetch(context.Background(), []connect.Key{{ID: "a/b"}, {ID: "gone"}, {ID: "bad"}})
	if res[0].Error != nil || res[0].Data == nil || res[0].Data.ID != "a/b" {
		t.Errorf("escaped id: got %+v %v", res[0].Data, res[0].Error)
	}
	if res[1].Error != nil || res[1].Data != nil {
		t.Errorf("404: got %+v %v, want nil without an error", res[1].Data, res[1].Error)
	}
	if e, ok := upstream.AsError(res[2].Error); !ok || e.Code == "" {
		t.Errorf("400: got %v, want a classified error", res[2].Error)
	}
}

// Group keeps an item the service sends twice once, and answers a key
// without items with an empty list, not nil.
func TestGroupDedupesAndAnswersEmptyLists(t *testing.T) {
	c := client(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"items":[{"id":"1","owner":"u1"},{"id":"2","owner":"u1"},{"id":"1","owner":"u1"}]}`)
	})
	fetch := connect.Group(c, nil, connect.Endpoint{Name: "items", Path: "/items", Batch: "owners", Items: "items"},
		func(e *envelope) []*item { return e.Items }, func(it *item) string { return it.Owner }, func(it *item) string { return it.ID })
	res := fetch(context.Background(), []connect.Key{{ID: "u1"}, {ID: "u2"}})
	if len(res[0].Data) != 2 {
		t.Errorf("u1: got %d items, want 2", len(res[0].Data))
	}
	if res[1].Data == nil || len(res[1].Data) != 0 {
		t.Errorf("u2: got %#v, want an empty list", res[1].Data)
	}
}

func TestSortedNeverReordersItsInput(t *testing.T) {
	in := []*item{{ID: "b"}, {ID: "a"}, {ID: "c"}}
	out := connect.Sorted(in, 2, func(x, y *item) int { return strings.Compare(x.ID, y.ID) })
	if len(out) != 2 || out[0].ID != "a" || out[1].ID != "b" || in[0].ID != "b" {
		t.Errorf("got %v (input now %v)", out, in)
	}
	if out := connect.Sorted[item](nil, -1, nil); out == nil || len(out) != 0 {
		t.Errorf("no items: got %#v, want an empty list", out)
	}
}

// What a batch call puts on the wire, byte for byte: the batch parameter
// merged into the key's other parameters in key order, ids joined by an
// escaped comma, and the same headers on every call.
func TestBatchCallRequestURI(t *testing.T) {
	tests := []struct {
		name      string
		giveQuery string
		giveIDs   []string
		wantURI   string
	}{
		{"no parameters", "", []string{"p1", "p2"}, "/items?ids=p1%2Cp2"},
		{"escaped ids", "", []string{"p 1", "p&2", "ü"}, "/items?ids=p+1%2Cp%262%2C%C3%BC"},
		{"parameters around the batch key", connect.Query("z", "1", "a", "x y", "cur", "EUR"), []string{"p1"},
			"/items?a=x+y&cur=EUR&ids=p1&z=1"},
		{"parameters after it only", connect.Query("limit", "5"), []string{"p1", "p2"}, "/items?ids=p1%2Cp2&limit=5"},
		{"parameters before it only", connect.Query("cur", "EUR"), []string{"p1"}, "/items?cur=EUR&ids=p1"},
		{"a parameter repeated", "b=2&b=1&a=3", []string{"p1"}, "/items?a=3&b=2&b=1&ids=p1"},
		{"the batch key among the parameters", connect.Query("ids", "zzz"), []string{"p1"}, "/items?ids=zzz"},
		{"an empty parameter", "a=&ids2=x", []string{"p1"}, "/items?a=&ids=p1&ids2=x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var hdr http.Header
			c := client(t, func(w http.ResponseWriter, r *http.Request) {
				got = append(got, r.RequestURI)
				hdr = r.Header
				fmt.Fprint(w, `{"items":[]}`)
			})
			ep := connect.Endpoint{Name: "items", Path: "/items", Batch: "ids", Items: "items"}
			fetch := connect.ByKey(c, nil, ep, func(e *envelope) []*item { return e.Items }, func(it *item) string { return it.ID })
			keys := make([]connect.Key, len(tt.giveIDs))
			for i, id := range tt.giveIDs {
				keys[i] = connect.Key{ID: id, Query: tt.giveQuery}
			}
			ctx := upstream.WithOutgoing(context.Background(), upstream.Outgoing{RequestID: "rid-1"})
			for _, r := range fetch(ctx, keys) {
				if r.Error != nil {
					t.Fatalf("got error %v, want none", r.Error)
				}
			}
			if len(got) != 1 || got[0] != tt.wantURI {
				t.Errorf("got %q, want [%q]", got, tt.wantURI)
			}
			if a, id := hdr.Get("Accept"), hdr.Get("X-Request-Id"); a != "application/json" || id != "rid-1" {
				t.Errorf("headers: got Accept %q, X-Request-ID %q, want application/json, rid-1", a, id)
			}
		})
	}
}

// Query encodes its parameters as url.Values.Encode does, a repeated name
// keeping its last value.
func TestQueryIsValuesEncode(t *testing.T) {
	t.Parallel()
	for _, kv := range [][]string{{"cur", "EUR"}, {"a b", "x&y=z"}, {"", ""}, {"ü", "%2C,"}, {"z", "1", "a", "2"}, {"a", "1", "a", "2"}, {"a"}} {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		if got, want := connect.Query(kv...), q.Encode(); got != want {
			t.Errorf("Query(%q) = %q, want %q", kv, got, want)
		}
	}
}
