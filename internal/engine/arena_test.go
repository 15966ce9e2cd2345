package engine

import (
	"context"
	"reflect"
	"testing"
	"unsafe"

	"github.com/99designs/gqlgen/graphql"
)

// Slices from a slab are zero, apart (appending to one never writes into
// the next) and, past a chunk's worth, their own allocation.
func TestSlabHandsOutZeroDisjointSlices(t *testing.T) {
	var s slab[int]
	a := s.take(3)
	b := s.take(2)
	for _, v := range append(a, b...) {
		if v != 0 {
			t.Fatalf("got %v, want zeros", v)
		}
	}
	_ = append(a, 7)
	if b[0] != 0 {
		t.Fatalf("appending to one slice wrote into the next: %v", b)
	}
	most := maxChunk / int(unsafe.Sizeof(0))
	big := s.take(most + 1)
	if len(big) != most+1 || cap(s.free) > most {
		t.Fatalf("a take of %d: got len %d, free chunk cap %d (at most %d)", most+1, len(big), cap(s.free), most)
	}
	if s.used != 5 {
		t.Fatalf("used: got %d, want 5 (a slice of its own is no chunk's)", s.used)
	}
}

// Hostile: a run that used a huge arena (a response of many thousand objects)
// leaves the plan's next run a first chunk of at most maxChunk bytes per
// kind, and no chunk is ever larger, however much a run takes.
func TestArenaHintsStayBounded(t *testing.T) {
	var a arena
	for range 1 << 14 {
		a.groups.one()
		a.vals.take(3)
		a.calls.one()
	}
	for _, c := range [][2]int{{cap(a.groups.free), int(unsafe.Sizeof(group{}))}, {cap(a.vals.free), int(unsafe.Sizeof(reflect.Value{}))}, {cap(a.calls.free), int(unsafe.Sizeof(call{}))}} {
		if c[0]*c[1] > maxChunk {
			t.Fatalf("a chunk of %d bytes, more than %d", c[0]*c[1], maxChunk)
		}
	}
	var h runHints
	h.record(&a)
	var next arena
	next.begin(&h)
	next.groups.one()
	next.vals.take(1)
	next.calls.one()
	if got := cap(next.groups.free)*int(unsafe.Sizeof(group{})) + cap(next.vals.free)*int(unsafe.Sizeof(reflect.Value{})) +
		cap(next.calls.free)*int(unsafe.Sizeof(call{})); got > 3*maxChunk {
		t.Fatalf("the next run's first chunks hold %d bytes, more than %d", got, 3*maxChunk)
	}
	// A run like the last one takes one chunk per kind, all of it.
	var same arena
	h.record(&next)
	same.begin(&h)
	same.groups.one()
	if len(same.groups.free) != 0 {
		t.Fatalf("a run like the last left %d groups unused", len(same.groups.free))
	}
}

// A call's field context is found in its context as gqlgen's own, and
// every other value in the context it was made from.
func TestFieldContextAsGQLGen(t *testing.T) {
	if fieldContextKey == nil {
		t.Fatal("graphql.GetFieldContext asked for no key: fieldContext cannot stand in for graphql.WithFieldContext")
	}
	type k struct{}
	parent := &graphql.FieldContext{Object: "Query"}
	base := graphql.WithFieldContext(context.WithValue(context.Background(), k{}, "v"), parent)
	fc := &graphql.FieldContext{Object: "Product", Parent: parent}
	var at fieldContext
	ctx := withField(base, fc, &at)
	if got := graphql.GetFieldContext(ctx); got != fc {
		t.Fatalf("GetFieldContext: got %+v, want the call's", got)
	}
	if got := graphql.GetFieldContext(ctx).Parent; got != parent {
		t.Fatalf("parent: got %+v", got)
	}
	if got := ctx.Value(k{}); got != "v" {
		t.Fatalf("another value: got %v", got)
	}
	// A context derived from it finds it too, and cancels with its parent.
	cctx, cancel := context.WithCancel(base)
	derived, stop := context.WithCancel(withField(cctx, fc, &at))
	defer stop()
	if graphql.GetFieldContext(context.WithValue(derived, k{}, "w")) != fc {
		t.Fatal("a derived context lost the field context")
	}
	cancel()
	<-derived.Done()
}

// A batch resolver's list of one parent holds the parent, and appending to
// it leaves the group's copy alone.
func TestSingleList(t *testing.T) {
	type T struct{ ID string }
	o := &T{ID: "a"}
	g := &group{node: &node{goType: reflect.TypeFor[*T]()}}
	g.one[0] = reflect.ValueOf(o)
	g.objs = g.one[:]
	l := g.singleList().Interface().([]*T)
	if len(l) != 1 || l[0] != o {
		t.Fatalf("got %v, want [%p]", l, o)
	}
	l = append(l, &T{ID: "b"})
	l[0] = nil
	if again := g.singleList().Interface().([]*T); len(again) != 1 || again[0] != o {
		t.Fatalf("the group's list changed: %v", again)
	}
}

// Hostile: after a huge response the plan's next run starts with a
// buffer of at most maxRespHint bytes; a run like the last one starts
// with one that fits.
func TestResponseHintStaysBounded(t *testing.T) {
	var h runHints
	h.recordResp(64 << 20)
	if got := cap(h.respBuf()); got > maxRespHint {
		t.Fatalf("after a 64 MB response: a buffer of %d bytes, more than %d", got, maxRespHint)
	}
	h.recordResp(3000)
	if got := cap(h.respBuf()); got != 3000 {
		t.Fatalf("after a 3000-byte response: a buffer of %d bytes", got)
	}
}
