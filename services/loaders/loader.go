package loaders

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/graph-gophers/dataloader/v7"
)

// Loader is a dataloader whose waits are known to the request's Scheduler.
type Loader[K comparable, V any] struct {
	dl    *dataloader.Loader[K, V]
	sched *Scheduler

	// byScheduler is set when the scheduler flushes, so a batch can tell
	// whether the backstop timer sent it instead.
	byScheduler atomic.Bool

	mu      sync.Mutex
	waiting map[K][]*waiter
	done    map[K]struct{} // keys whose batch has answered (or were primed)
}

func newTracked[K comparable, V any](s *Scheduler, cfg Config, fn dataloader.BatchFunc[K, V]) *Loader[K, V] {
	l := &Loader[K, V]{sched: s, waiting: map[K][]*waiter{}, done: map[K]struct{}{}}
	wait := cfg.Wait
	if wait <= 0 {
		wait = DefaultWait
	}
	if s != nil {
		wait = cfg.Backstop
		if wait <= 0 {
			wait = DefaultBackstop
		}
	}
	capacity := MaxBatch
	if cfg.Disabled {
		capacity = 1
	}
	l.dl = dataloader.NewBatchedLoader(l.wrap(fn),
		dataloader.WithWait[K, V](wait),
		dataloader.WithBatchCapacity[K, V](capacity),
	)
	if s != nil {
		s.flushers = append(s.flushers, func() {
			l.byScheduler.Store(true)
			l.dl.Flush()
		})
	}
	return l
}

// wrap hands the weight of every resolver whose last key this batch answers
// back to the scheduler before dataloader wakes them up, so a woken level
// is counted in full before any of it can run.
func (l *Loader[K, V]) wrap(fn dataloader.BatchFunc[K, V]) dataloader.BatchFunc[K, V] {
	return func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		if l.sched != nil && !l.byScheduler.Swap(false) && len(keys) < MaxBatch {
			l.sched.backstops.Add(1)
		}
		defer l.answered(keys)
		return fn(ctx, keys)
	}
}

func (l *Loader[K, V]) answered(keys []K) {
	var wake []*waiter
	l.mu.Lock()
	for _, k := range keys {
		l.done[k] = struct{}{}
		wake = append(wake, l.waiting[k]...)
		delete(l.waiting, k)
	}
	l.mu.Unlock()
	for _, w := range wake {
		w.resolved()
	}
}

// Load asks for key without waiting: the look-up joins the current batch.
func (l *Loader[K, V]) Load(ctx context.Context, key K) dataloader.Thunk[V] {
	return l.dl.Load(ctx, key)
}

// Prime records a value already known (e.g. products of a listing).
func (l *Loader[K, V]) Prime(ctx context.Context, key K, v V) {
	l.mu.Lock()
	l.done[key] = struct{}{}
	l.mu.Unlock()
	l.dl.Prime(ctx, key, v)
}

// LoadAll enqueues every key, then waits for all of them. weight is how
// many field executions this wait stands for: len(parents) in a batch
// resolver, 1 elsewhere. Values and errors are in key order.
func (l *Loader[K, V]) LoadAll(ctx context.Context, keys []K, weight int) ([]V, []error) {
	thunks := make([]dataloader.Thunk[V], len(keys))
	for i, k := range keys {
		thunks[i] = l.dl.Load(ctx, k)
	}
	if l.sched != nil {
		w := &waiter{weight: int64(weight), s: l.sched}
		w.remaining.Store(1) // held while registering, so it cannot fire early
		l.mu.Lock()
		for _, k := range keys {
			if _, ok := l.done[k]; !ok {
				l.waiting[k] = append(l.waiting[k], w)
				w.remaining.Add(1)
			}
		}
		l.mu.Unlock()
		if w.remaining.Add(-1) > 0 {
			l.sched.add(-w.weight) // blocked: may be the moment to dispatch
		}
	}
	vals := make([]V, len(keys))
	var errs []error
	for i, th := range thunks {
		v, err := th()
		if err != nil {
			if errs == nil {
				errs = make([]error, len(keys))
			}
			errs[i] = err
			continue
		}
		vals[i] = v
	}
	return vals, errs
}
