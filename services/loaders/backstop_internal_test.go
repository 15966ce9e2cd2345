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

// The report tells batches the engine's dispatches sent from those the
// backstop timer sent, also when the engine dispatches one loader twice
// before the first batch has started.
func TestBackstopsAreCountedExactly(t *testing.T) {
	t.Run("dispatches in quick succession", func(t *testing.T) {
		r := &request{disp: &Dispatcher{}}
		l := newTracked(r, Config{Backstop: time.Minute}, "echo", "test", echo)
		ctx := context.Background()
		var thunks []dataloader.Thunk[string]
		for _, k := range []string{"a", "b", "c", "d"} {
			thunks = append(thunks, l.Load(ctx, k))
			r.disp.dispatch(nil) // a round has asked for all its keys
		}
		for _, th := range thunks {
			if _, err := th(); err != nil {
				t.Fatal(err)
			}
		}
		if got := r.disp.Backstops(); got != 0 {
			t.Errorf("backstops: got %d, want 0 (every batch was dispatched)", got)
		}
		if got := r.disp.Flushes(); got != 4 {
			t.Errorf("flushes: got %d, want 4", got)
		}
	})
	t.Run("no dispatch comes", func(t *testing.T) {
		r := &request{disp: &Dispatcher{}}
		l := newTracked(r, Config{Backstop: 10 * time.Millisecond}, "echo", "test", echo)
		var wg sync.WaitGroup
		for _, k := range []string{"a", "b"} {
			th := l.Load(context.Background(), k)
			wg.Go(func() { _, _ = th() })
		}
		wg.Wait()
		if got := r.disp.Backstops(); got != 1 {
			t.Errorf("backstops: got %d, want 1", got)
		}
	})
}
