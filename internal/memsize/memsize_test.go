package memsize_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/memsize"
)

type item struct {
	ID    string
	Name  *string
	Tags  []string
	Attrs map[string]string
	Next  *item
}

func build(i int) *item {
	name := strings.Repeat("n", 40)
	it := &item{ID: strings.Repeat("i", 10+i%7), Name: &name, Tags: []string{"a", "bb", strings.Repeat("c", 100)},
		Attrs: map[string]string{"k": "v", "long": strings.Repeat("v", 64)}}
	it.Next = &item{ID: "child"}
	return it
}

// The estimate is within a factor of 2 of what the heap grows by when
// such values are kept.
func TestOfTracksTheHeap(t *testing.T) {
	const n = 20_000
	keep := make([]*item, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var est int64
	for i := range n {
		keep[i] = build(i)
		est += memsize.Of(keep[i])
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	runtime.KeepAlive(keep)
	if est < heap/2 || est > heap*2 {
		t.Errorf("estimated %d bytes for a heap growth of %d, want within a factor of 2", est, heap)
	}
}

// A cycle ends the walk instead of looping.
func TestOfCycle(t *testing.T) {
	a := &item{ID: "a"}
	a.Next = a
	if n := memsize.Of(a); n <= 0 || n > 1<<20 {
		t.Errorf("got %d for a one-node cycle", n)
	}
	if got := memsize.Of(nil); got != 0 {
		t.Errorf("nil: got %d, want 0", got)
	}
	if got := memsize.Of(strings.Repeat("x", 1000)); got < 1000 {
		t.Errorf("string: got %d, want at least 1000", got)
	}
}
