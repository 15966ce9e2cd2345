package engine

import (
	"sync"
	"sync/atomic"
)

// Workers runs short tasks — resolver calls, backend calls — on goroutines
// kept between tasks. A fresh goroutine starts with a small stack, and a
// call through reflect, a resolver, a loader, the circuit breaker and
// net/http grows it by copying several times over: on the product page
// that was an eighth of the gateway's CPU. A worker keeps the stack it
// grew for the next task (see idleStack).
//
// Go never waits: a task goes to an idle worker, else to a new worker
// while fewer than max are alive, else to a goroutine of its own, as
// without the pool. So a task that blocks (a resolver waiting on its
// round) only holds its worker, and every worker being held only makes
// later tasks cost what they cost before. Tasks carry their own context;
// the pool knows none. After Close no task starts on a worker, idle
// workers end and busy ones end with their task. A nil *Workers runs every
// task on a goroutine of its own.
type Workers struct {
	// tasks is unbuffered: a send succeeds only to an idle worker. Close
	// closes it, which ends the idle workers (an idle worker waits on
	// tasks alone: a select with a second channel cost more per task).
	tasks chan task
	max   int32
	alive atomic.Int32
	busy  atomic.Int32 // workers running a task
	// mu guards closed: Go holds it for reading while it may send on
	// tasks or start a worker, Close for writing while it closes tasks.
	mu     sync.RWMutex
	closed bool
}

// DefaultWorkers bounds the workers kept: at 32 concurrent requests the
// product page holds about 250 calls at once; a worker idle in between
// holds a few KB of stack.
const DefaultWorkers = 512

// NewWorkers returns a pool of at most max workers (DefaultWorkers when
// max <= 0), none started yet.
func NewWorkers(max int) *Workers {
	if max <= 0 {
		max = DefaultWorkers
	}
	return &Workers{tasks: make(chan task), max: int32(min(max, 1<<30))}
}

// task is what a worker runs: a func (Go), or a value that runs itself,
// so that starting it allocates no closure (a resolver call, see launch).
type task interface{ work() }

type funcTask func()

func (f funcTask) work() { f() }

// Go runs f on a worker, or on a goroutine of its own when every worker
// is busy and no more may start; it never waits.
func (w *Workers) Go(f func()) { w.run(funcTask(f)) }

// run is Go for a task.
func (w *Workers) run(f task) {
	if w == nil {
		go f.work()
		return
	}
	w.mu.RLock()
	ok := !w.closed && w.send(f)
	w.mu.RUnlock()
	if !ok {
		go f.work()
	}
}

// send hands f to an idle worker, or to a new one while fewer than max
// are alive (w.mu held for reading, the pool open).
func (w *Workers) send(f task) bool {
	select {
	case w.tasks <- f:
		return true
	default:
	}
	for {
		n := w.alive.Load()
		if n >= w.max {
			return false
		}
		if w.alive.CompareAndSwap(n, n+1) {
			break
		}
	}
	w.busy.Add(1)
	go w.work(f)
	return true
}

// idleStack is the stack a worker keeps in use while idle, below the
// frames of its tasks: the GC halves a goroutine's stack when less than a
// quarter of it is in use, so an idle worker keeps a stack of up to four
// times this (32 KB, what a backend call through net/http grows to)
// instead of regrowing it by copying after every GC.
const idleStack = 8 << 10

func (w *Workers) work(f task) {
	var keep [idleStack]byte
	hold(&keep)
	w.loop(f)
}

// hold uses the array so that its frame is kept; it does not escape.
//
//go:noinline
func hold(b *[idleStack]byte) { b[0] = 0 }

func (w *Workers) loop(f task) {
	defer w.alive.Add(-1)
	for {
		f.work()
		f = nil // the finished task's closure is not kept while idle
		w.busy.Add(-1)
		var ok bool
		if f, ok = <-w.tasks; !ok {
			return
		}
		w.busy.Add(1)
	}
}

// Alive is the number of workers (idle or busy).
func (w *Workers) Alive() int {
	if w == nil {
		return 0
	}
	return int(w.alive.Load())
}

// Busy is the number of workers running a task (tasks on goroutines of
// their own are not counted).
func (w *Workers) Busy() int {
	if w == nil {
		return 0
	}
	return int(w.busy.Load())
}

// Close ends the idle workers now and the busy ones when their task
// returns; later tasks run on goroutines of their own. It does not wait.
func (w *Workers) Close() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.closed = true
		close(w.tasks)
	}
}
