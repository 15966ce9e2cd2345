package engine

import (
	"reflect"
	"sync/atomic"
	"unsafe"
)

// A run allocates many small things that live exactly as long as it does:
// per group its objects and field results, per resolver call the call and
// its field context. Each was its own allocation, most of what the engine
// cost the garbage collector; a run now carves them from chunks it owns
// (slab), all dropped with the run. Nothing is kept across runs: a value a
// resolver or a loader keeps past its run (a context, a batch of parents)
// must stay what it was, so chunks are never reused. One goroutine at a
// time takes from a run's arena: the one expanding before the calls run,
// then whoever settles a call, under the run's lock (see drive).

// A chunk's size is set by what the plan's last run used of it (a hint),
// so that a run of a plan like the last one takes one chunk per kind and
// leaves little unused; past the hint, chunks double. A chunk is at most
// maxChunk bytes (a hint too: one large response does not make the next
// runs allocate large chunks); a request for more than that gets its own
// slice. A chunk's unused tail is at most what the run used before it, or
// the hint.
const (
	minChunk = 256
	maxChunk = 16 << 10
)

// slab hands out slices of T from chunks.
type slab[T any] struct {
	free []T
	next int // the size of the next chunk, in elements
	used int // elements handed out from chunks
}

// start sets the first chunk's size from hint, elements the last run used.
func (s *slab[T]) start(hint int32) { s.next = int(hint) }

// take returns n zero elements.
func (s *slab[T]) take(n int) []T {
	if n > len(s.free) {
		var zero T
		size := max(int(unsafe.Sizeof(zero)), 1)
		most := max(maxChunk/size, 1)
		if n > most {
			return make([]T, n)
		}
		c := min(max(s.next, minChunk/size, n), most)
		s.next = min(c*2, most)
		s.free = make([]T, c)
	}
	s.used += n
	out := s.free[:n:n]
	s.free = s.free[n:]
	return out
}

// one returns a pointer to one zero element.
func (s *slab[T]) one() *T { return &s.take(1)[0] }

// arena is a run's slabs (see the top of this file).
type arena struct {
	vals   slab[reflect.Value]
	errs   slab[error]
	subs   slab[*group]
	bools  slab[bool]
	res    slab[fieldRes]
	groups slab[group]
	calls  slab[call]
	elems  slab[elemContext]
	elemFC slab[*elemContext]
}

// runHints is what a plan's last run used: of each slab, and the
// response's bytes (at most maxRespHint: a large response grows its
// buffer as it is written, and does not make the next runs start large).
type runHints struct {
	slabs [9]atomic.Int32
	resp  atomic.Int32
}

const maxRespHint = 64 << 10

// respBuf is a buffer for a response of the plan: the size of the last
// one, at least 512 bytes.
func (h *runHints) respBuf() []byte { return make([]byte, 0, max(h.resp.Load(), 512)) }

// recordResp keeps the size of a response, for the plan's next run.
func (h *runHints) recordResp(n int) { h.resp.Store(int32(min(n, maxRespHint))) }

// begin sizes a's first chunks from the plan's last run.
func (a *arena) begin(h *runHints) {
	a.vals.start(h.slabs[0].Load())
	a.errs.start(h.slabs[1].Load())
	a.subs.start(h.slabs[2].Load())
	a.bools.start(h.slabs[3].Load())
	a.res.start(h.slabs[4].Load())
	a.groups.start(h.slabs[5].Load())
	a.calls.start(h.slabs[6].Load())
	a.elems.start(h.slabs[7].Load())
	a.elemFC.start(h.slabs[8].Load())
}

// record keeps what a used, for the plan's next run.
func (h *runHints) record(a *arena) {
	for i, used := range [9]int{a.vals.used, a.errs.used, a.subs.used, a.bools.used, a.res.used,
		a.groups.used, a.calls.used, a.elems.used, a.elemFC.used} {
		h.slabs[i].Store(int32(min(used, maxChunk)))
	}
}
