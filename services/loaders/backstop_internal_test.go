package loaders

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/graph-gophers/dataloader/v7"
)

func echo(ctx context.Context, keys []string) []*dataloader.Result[string] {
	out := make([]*dataloader.Result[string], len(keys))
	for i, k := range keys {
		out[i] = &dataloader.Result[string]{Data: k}
	}
	return out
}

// The report tells batches the scheduler sent from those the backstop
// timer sent, also when the scheduler flushes one loader twice before the
// first batch has started.
func TestBackstopsAreCountedExactly(t *testing.T) {
	t.Run("scheduler flushes in quick succession", func(t *testing.T) {
		r := &request{sched: &Scheduler{}}
		l := newTracked(r, Config{Backstop: time.Minute}, "echo", "test", echo)
		ctx := context.Background()
		var thunks []dataloader.Thunk[string]
		for _, k := range []string{"a", "b", "c", "d"} {
			thunks = append(thunks, l.Load(ctx, k))
			r.sched.add(1)  // a field runs…
			r.sched.add(-1) // …and blocks: the count is zero, the scheduler flushes
		}
		for _, th := range thunks {
			if _, err := th(); err != nil {
				t.Fatal(err)
			}
		}
		if got := r.sched.Backstops(); got != 0 {
			t.Errorf("backstops: got %d, want 0 (every batch was the scheduler's)", got)
		}
		if got := r.sched.Flushes(); got != 4 {
			t.Errorf("flushes: got %d, want 4", got)
		}
	})
	t.Run("the scheduler never reaches zero", func(t *testing.T) {
		r := &request{sched: &Scheduler{}}
		r.sched.add(1) // a field that never blocks nor returns
		l := newTracked(r, Config{Backstop: 10 * time.Millisecond}, "echo", "test", echo)
		var wg sync.WaitGroup
		for _, k := range []string{"a", "b"} {
			th := l.Load(context.Background(), k)
			wg.Go(func() { _, _ = th() })
		}
		wg.Wait()
		if got := r.sched.Backstops(); got != 1 {
			t.Errorf("backstops: got %d, want 1", got)
		}
	})
}
