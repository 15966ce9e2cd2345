package loaders_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/upstream"
	"github.com/tributary-gw/tributary/services/loaders"
	"github.com/tributary-gw/tributary/tributarytest"
)

// minimal is a second, independent implementation of the backend contract,
// written from BACKENDS.md alone and deliberately awkward: results come in
// shuffled order, duplicated, with fields the contract does not know. It
// runs as a tributarytest.Backend, which counts its calls.
type minimal struct {
	mu      sync.Mutex
	batches []int
}

func (m *minimal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var ids []string
	for _, k := range []string{"ids", "productIds", "authorIds", "userIds"} {
		if v := q.Get(k); v != "" {
			ids = strings.Split(v, ",")
		}
	}
	m.mu.Lock()
	m.batches = append(m.batches, len(ids))
	m.mu.Unlock()
	if len(ids) > 100 {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":"too many ids"}`)
		return
	}
	var items []map[string]any
	for _, id := range ids {
		if strings.HasPrefix(id, "unknown") {
			continue
		}
		items = append(items, m.item(r.URL.Path, q, id))
	}
	// Shuffle, and send some items twice.
	rand.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	if len(items) > 1 {
		items = append(items, items[0])
	}
	key := map[string]string{"/products": "products", "/prices": "prices", "/inventory": "items",
		"/reviews": "reviews", "/users": "users", "/orders": "orders"}[r.URL.Path]
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{key: items, "servedBy": "minimal", "version": 7})
}

func (m *minimal) item(path string, q map[string][]string, id string) map[string]any {
	switch path {
	case "/products":
		return map[string]any{"id": id, "name": "N" + id, "description": "d", "category": "c", "imageUrl": "u", "relatedIds": []string{}, "colour": "blue"}
	case "/prices":
		cur := "USD"
		if c := q["currency"]; len(c) > 0 {
			cur = c[0]
		}
		return map[string]any{"productId": id, "currency": cur, "amountCents": 100, "listAmountCents": 200, "tax": 19}
	case "/inventory":
		return map[string]any{"productId": id, "available": 3, "warehouse": "w", "bin": "A1"}
	case "/reviews":
		if _, ok := q["authorIds"]; ok {
			return map[string]any{"id": "r-" + id, "productId": "p1", "authorId": id, "rating": 5, "body": "b", "createdAt": "2026-01-01T00:00:00Z", "helpful": 3}
		}
		return map[string]any{"id": "r-" + id, "productId": id, "authorId": "u1", "rating": 4, "body": "b", "createdAt": "2026-01-01T00:00:00Z"}
	case "/users":
		return map[string]any{"id": id, "name": "N" + id, "email": "not-an-email", "tier": "diamond", "memberSince": "2020-01-01T00:00:00Z", "locale": "nl"}
	case "/orders":
		return map[string]any{"id": "o-" + id, "userId": id, "status": "paid", "createdAt": "2026-01-01T00:00:00Z", "currency": "EUR", "totalCents": 10,
			"items": []map[string]any{{"productId": "p1", "quantity": 1, "unitPriceCents": 10, "sku": "x"}}}
	}
	return nil
}

func clients(t *testing.T, url string) loaders.Clients {
	t.Helper()
	hc := upstream.NewHTTPClient(upstream.NewTransport(upstream.TransportConfig{}))
	mk := func(name string) *upstream.Client {
		c, err := upstream.New(upstream.Config{Service: name, BaseURL: url, Timeout: 5 * time.Second}, hc, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	out := loaders.Clients{}
	for _, s := range registry.Services() {
		out[s] = mk(s)
	}
	return out
}

// Every loader answers in key order, with nil for unknown ids, whatever
// order, duplication or extra fields the backend sends.
func TestLoadersAgainstAnIndependentImplementation(t *testing.T) {
	m := &minimal{}
	b := tributarytest.StartBackend(t, m)
	l := loaders.New(clients(t, b.URL), loaders.Config{Timer: true})
	ctx := context.Background()
	keys := []string{"k3", "unknown1", "k1", "k2", "k1"}

	products, errs := l.CatalogProductsByIds.LoadAll(ctx, ids(keys...), 1)
	if errs != nil {
		t.Fatal(errs)
	}
	for i, k := range keys {
		switch {
		case strings.HasPrefix(k, "unknown") && products[i] != nil:
			t.Errorf("product %d (%s): got %+v, want nil", i, k, products[i])
		case !strings.HasPrefix(k, "unknown") && (products[i] == nil || products[i].ID != k):
			t.Errorf("product %d: got %+v, want id %s", i, products[i], k)
		}
	}
	eur, usd := connect.Query("currency", "EUR"), connect.Query("currency", "USD")
	prices, errs := l.PricingPricesByProductIds.LoadAll(ctx, []connect.Key{{ID: "k2", Query: eur}, {ID: "k1", Query: usd}, {ID: "unknown", Query: usd}}, 1)
	if errs != nil || prices[0].Currency != "EUR" || prices[0].ProductID != "k2" || prices[1].ProductID != "k1" || prices[2] != nil {
		t.Errorf("prices: got %+v %v", prices, errs)
	}
	stock, errs := l.InventoryInventoryByProductIds.LoadAll(ctx, ids("k2", "k9"), 1)
	if errs != nil || stock[0].ProductID != "k2" || stock[1].ProductID != "k9" {
		t.Errorf("stock: got %+v %v", stock, errs)
	}
	revs, errs := l.ReviewsReviewsByProductIds.LoadAll(ctx, ids("k5", "k6", "unknown"), 1)
	// The service sends one review twice: it counts once.
	if errs != nil || len(revs[0]) != 1 || revs[0][0].ProductID != "k5" || len(revs[1]) != 1 || len(revs[2]) != 0 {
		t.Errorf("reviews: got %+v %v", revs, errs)
	}
	us, errs := l.UsersUsersByIds.LoadAll(ctx, ids("u2", "u1"), 1)
	if errs != nil || us[0].ID != "u2" || us[1].Tier != "diamond" || us[1].Email == nil || *us[1].Email != "not-an-email" {
		t.Errorf("users: got %+v %v", us, errs)
	}
	os, errs := l.OrdersOrdersByUserIds.LoadAll(ctx, ids("u7"), 1)
	if errs != nil || len(os[0]) == 0 || os[0][0].UserID != "u7" || os[0][0].Items[0].Quantity != 1 || os[0][0].Items[0].Currency != "EUR" {
		t.Errorf("orders: got %+v %v", os, errs)
	}
}

// 150 ids needed at once become two calls, 100 and 50, made concurrently.
func TestBatchesSplitAt100AndRunConcurrently(t *testing.T) {
	m := &minimal{}
	b := tributarytest.StartBackend(t, m)
	b.SetLatency(50 * time.Millisecond) // so that the two calls overlap
	// A window long enough to enqueue 150 keys on a slow (race-detector)
	// machine: this test is about splitting in the client, not the timer.
	l := loaders.New(clients(t, b.URL), loaders.Config{Timer: true, Wait: 200 * time.Millisecond})
	keys := make([]string, 150)
	for i := range keys {
		keys[i] = fmt.Sprintf("p%d", i+1)
	}
	got, errs := l.CatalogProductsByIds.LoadAll(context.Background(), ids(keys...), 1)
	if errs != nil {
		t.Fatal(errs)
	}
	for i, p := range got {
		if p == nil || p.ID != keys[i] {
			t.Fatalf("product %d: got %+v, want %s", i, p, keys[i])
		}
	}
	m.mu.Lock()
	batches := append([]int(nil), m.batches...)
	m.mu.Unlock()
	if len(batches) != 2 || batches[0]+batches[1] != 150 || max(batches[0], batches[1]) != 100 {
		t.Errorf("batches: got %v, want 100 and 50", batches)
	}
	if got := b.Peak(); got != 2 {
		t.Errorf("peak concurrent calls: got %d, want 2", got)
	}
}

func ids(ids ...string) []connect.Key {
	out := make([]connect.Key, len(ids))
	for i, id := range ids {
		out[i] = connect.Key{ID: id}
	}
	return out
}
