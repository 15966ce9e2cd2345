package gateway_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/demo"
)

// sizes returns the gateway's caches by name.
func (e *env) sizes() map[string]gateway.CacheSize {
	out := map[string]gateway.CacheSize{}
	for _, c := range e.GW.CacheSizes() {
		out[c.Cache] = c
	}
	return out
}

// uniqueDocument is a valid query of about n bytes, distinct for i: a
// little query and a long comment (the token limit bounds fields, not
// bytes).
func uniqueDocument(i, n int) string {
	q := fmt.Sprintf(`{ product(id: "p1") { name } } # %d `, i)
	return q + strings.Repeat("x", max(0, n-len(q)))
}

// Every cache that requests fill is bounded in bytes, whatever clients
// send: distinct large documents (query cache), distinct APQ
// registrations, distinct variable values (verdicts), distinct client
// strings in cached listings (entity cache) and @fallback keys. Before,
// the first three were bounded by entries only (1,000 documents of up to
// the body limit each), the entity cache by 100,000 entries and the
// fallback store by 100,000.
func TestCachesBoundedInBytes(t *testing.T) {
	limits := map[string]int64{
		"query_documents": 2 << 20,
		"apq":             1 << 20,
		"verdicts":        256 << 10,
		"entity_cache":    512 << 10,
		"fallback":        16 << 10,
		"plans":           2 << 20,
	}
	e := newEnv(t, withCache, func(c *config.Config) {
		c.Memory.QueryDocuments, c.Memory.APQ, c.Memory.Verdicts = limits["query_documents"], limits["apq"], limits["verdicts"]
		c.Memory.EntityCache, c.Memory.Fallback, c.Memory.Plans = limits["entity_cache"], limits["fallback"], limits["plans"]
	})
	e.cacheControl(demo.Catalog, "max-age=600")
	check := func(when string) {
		t.Helper()
		for name, c := range e.sizes() {
			if _, ok := limits[name]; !ok {
				t.Errorf("cache %s has no bound in this test", name)
			}
			if c.Bytes > limits[name] {
				t.Errorf("%s: %s holds %d bytes (%d entries), want at most %d", when, name, c.Bytes, c.Entries, limits[name])
			}
		}
	}
	// 200 documents of 100 KB: 20 MB of text, more as syntax trees.
	for i := range 200 {
		if r := e.Query(uniqueDocument(i, 100<<10), nil); len(r.Errors) > 0 {
			t.Fatalf("document %d: %v", i, r.Errors)
		}
	}
	check("after 200 documents of 100 KB")
	if n := e.sizes()["query_documents"].Entries; n < 2 {
		t.Errorf("query_documents: %d entries, want the cache still in use", n)
	}
	// 100 APQ registrations of 50 KB.
	for i := range 100 {
		q := uniqueDocument(i+1000, 50<<10)
		sum := sha256.Sum256([]byte(q))
		ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
		if r := e.Post(map[string]any{"query": q, "extensions": ext}); len(r.Errors) > 0 {
			t.Fatalf("APQ %d: %s", i, r.Raw)
		}
	}
	check("after 100 APQ registrations of 50 KB")
	// 1,000 listings, each with its own 1,000-byte category: a verdict, a
	// cached listing and a last-good value each.
	const listing = `query($c: String) { products(first: 1, category: $c) { nodes { id } } }`
	for i := range 1000 {
		c := fmt.Sprintf("%04d", i) + strings.Repeat("c", 996)
		if r := e.Query(listing, map[string]any{"c": c}); len(r.Errors) > 0 {
			t.Fatalf("listing %d: %v", i, r.Errors)
		}
	}
	check("after 1,000 listings with distinct 1 KB categories")
	// The last good reviews of 40 products (the keys are the backends'
	// ids; their values are what weighs).
	if r := e.Query(`{ products(first: 40) { nodes { reviews(first: 50) { body } } } }`, nil); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	check("after the reviews of 40 products")
	for _, name := range []string{"verdicts", "entity_cache", "fallback"} {
		if c := e.sizes()[name]; c.Entries == 0 {
			t.Errorf("%s: no entries, want the cache in use", name)
		}
	}
	t.Logf("sizes: %+v", e.GW.CacheSizes())
}
