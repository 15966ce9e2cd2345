package gateway_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/services/demo"
)

// soakBoolVars is a document with 20 Boolean variables read by @include:
// every request can bring values never seen before.
var soakBoolVars = func() string {
	var defs, fields strings.Builder
	for i := range 20 {
		fmt.Fprintf(&defs, "$b%d: Boolean! ", i)
		fmt.Fprintf(&fields, "n%d: name @include(if: $b%d) ", i, i)
	}
	return "query(" + defs.String() + `) { products(first: 5) { nodes { id ` + fields.String() + `} } }`
}()

// TestMemorySoak sends hostile traffic — unique large documents, unique
// APQ registrations, unique variable values (strings that reach cache
// keys and backend URLs, and Boolean directive variables), argument values
// past the length limit — with a normal page query between them, and
// checks that the heap stays within the caches' byte bounds (plus a fixed
// allowance for what is not a cache) and that normal queries still
// answer.
//
// In CI it runs its short form (a few thousand requests, caches bounded
// at 15 MiB in all). TRIBUTARY_SOAK=long (bench/soak.sh) runs 20,000
// requests of each kind with the default bounds and checks the process
// stays under the documented 512 MB.
func TestMemorySoak(t *testing.T) {
	perKind, long := 800, os.Getenv("TRIBUTARY_SOAK") == "long"
	if testing.Short() {
		perKind = 200
	}
	if long {
		perKind = 20_000
	}
	mods := []func(*config.Config){withCache}
	if !long {
		mods = append(mods, func(c *config.Config) {
			c.Memory = config.MemoryConfig{QueryDocuments: 4 << 20, APQ: 2 << 20, Verdicts: 1 << 20, EntityCache: 4 << 20, Fallback: 4 << 20, Plans: 4 << 20}
		})
	}
	e := newEnv(t, mods...)
	e.cacheControl(demo.Catalog, "max-age=600")
	cfg := config.Default()
	for _, m := range mods {
		m(&cfg)
	}
	m := cfg.Memory
	bound := m.QueryDocuments + m.APQ + m.Verdicts + m.EntityCache + m.Fallback + m.Plans

	normal := func(i int) {
		t.Helper()
		r := e.Query(pageQuery, nil)
		if len(r.Errors) > 0 || get(r.Data, "product", "name") == nil {
			t.Fatalf("normal query after %d hostile requests: %s", i, clipRaw(r.Raw))
		}
	}
	normal(0)
	base := heapInUse()
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := []struct {
		name string
		send func(i int)
	}{
		{"unique 100 KB documents", func(i int) {
			if r := e.Query(uniqueDocument(i, 100<<10), nil); len(r.Errors) > 0 {
				t.Fatalf("document %d: %v", i, r.Errors)
			}
		}},
		{"unique 50 KB APQ registrations", func(i int) {
			q := uniqueDocument(i+10_000_000, 50<<10)
			sum := sha256.Sum256([]byte(q))
			ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
			if r := e.Post(map[string]any{"query": q, "extensions": ext}); len(r.Errors) > 0 {
				t.Fatalf("APQ %d: %s", i, clipRaw(r.Raw))
			}
		}},
		{"unique 1 KB categories", func(i int) {
			c := strconv.Itoa(i) + strings.Repeat("c", 1024-len(strconv.Itoa(i)))
			if r := e.Query(`query($c: String) { products(first: 1, category: $c) { nodes { id } } }`, map[string]any{"c": c}); len(r.Errors) > 0 {
				t.Fatalf("category %d: %v", i, r.Errors)
			}
		}},
		{"unique Boolean variables", func(i int) {
			vars := map[string]any{}
			for j := range 20 {
				vars["b"+strconv.Itoa(j)] = rng.IntN(2) == 1
			}
			if r := e.Query(soakBoolVars, vars); len(r.Errors) > 0 {
				t.Fatalf("booleans %d: %v", i, r.Errors)
			}
		}},
		{"100 KB arguments (refused)", func(i int) {
			r := e.Query(`query($c: String) { products(first: 1, category: $c) { nodes { id } } }`, map[string]any{"c": strconv.Itoa(i) + strings.Repeat("x", 100<<10)})
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
				t.Fatalf("long argument %d: got %s, want BAD_USER_INPUT", i, clipRaw(r.Raw))
			}
		}},
	}
	for i := range perKind {
		for _, k := range kinds {
			k.send(i)
		}
		if i%50 == 0 {
			normal(i * len(kinds))
		}
		if long && i%2000 == 0 {
			t.Logf("%d of %d: RSS %d MiB", i, perKind, rssBytes()>>20)
		}
	}
	normal(perKind * len(kinds))
	grown := heapInUse() - base
	rss := rssBytes()
	t.Logf("%d requests of each of %d kinds: heap grew %.1f MiB (caches bounded at %.1f MiB), RSS %.1f MiB; caches %+v",
		perKind, len(kinds), float64(grown)/(1<<20), float64(bound)/(1<<20), float64(rss)/(1<<20), e.GW.CacheSizes())
	// What is not a cache: the runtime's and the test's own state (demo
	// backends, HTTP client, goroutine stacks, garbage not yet collected).
	const allowance = 32 << 20
	if grown > bound+allowance {
		t.Errorf("heap grew %d bytes, want at most %d (caches) + %d", grown, bound, allowance)
	}
	if long && rss > 512<<20 {
		t.Errorf("RSS %d MiB, want under the documented 512 MiB", rss>>20)
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// rssBytes is the process's resident set (0 where /proc is missing).
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
