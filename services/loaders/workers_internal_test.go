package loaders

import (
	"context"
	"errors"
	"testing"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

// Batches run on the pool's workers; a batch function that holds the only
// worker until its request's context ends keeps no other loader from
// answering (its batch runs on a goroutine of its own), and ends with that
// context.
func TestBatchesRunOnWorkers(t *testing.T) {
	t.Parallel()
	w := engine.NewWorkers(1)
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	held := make(chan struct{})
	hold := func(ctx context.Context, keys []string) []*dataloader.Result[string] {
		close(held)
		<-ctx.Done()
		out := make([]*dataloader.Result[string], len(keys))
		for i := range out {
			out[i] = &dataloader.Result[string]{Error: ctx.Err()}
		}
		return out
	}
	slow := newTracked(&request{cfg: Config{Workers: w}}, Config{Wait: 1}, "hold", "test", hold)
	quick := newTracked(&request{cfg: Config{Workers: w}}, Config{Wait: 1}, "echo", "test", echo)

	th := slow.Load(ctx, "a")
	<-held
	if got := w.Busy(); got != 1 {
		t.Fatalf("busy workers: got %d, want 1 (the held batch)", got)
	}
	for _, k := range []string{"b", "c", "d"} {
		if v, err := quick.Load(ctx, k)(); err != nil || v != k {
			t.Fatalf("%s while the worker is held: got %q, %v", k, v, err)
		}
	}
	if got := w.Alive(); got != 1 {
		t.Errorf("workers: got %d, want 1", got)
	}
	cancel()
	if _, err := th(); !errors.Is(err, context.Canceled) {
		t.Errorf("held batch: got %v, want context.Canceled", err)
	}
	poll.Until(t, "the worker to be free", func() bool { return w.Busy() == 0 })
}

// A batch function's panic on a worker reaches dataloader as it would on
// its own goroutine: every key gets the panic as its error, and the worker
// lives on.
func TestBatchPanicOnWorker(t *testing.T) {
	t.Parallel()
	w := engine.NewWorkers(1)
	defer w.Close()
	boom := func(context.Context, []string) []*dataloader.Result[string] { panic("boom") }
	l := newTracked(&request{cfg: Config{Workers: w}}, Config{Wait: 1}, "boom", "test", boom)
	_, err := l.Load(context.Background(), "a")()
	var pe *dataloader.PanicErrorWrapper
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want dataloader's panic error", err)
	}
	q := newTracked(&request{cfg: Config{Workers: w}}, Config{Wait: 1}, "echo", "test", echo)
	if v, err := q.Load(context.Background(), "b")(); err != nil || v != "b" {
		t.Fatalf("after the panic: got %q, %v", v, err)
	}
	if got := w.Alive(); got != 1 {
		t.Errorf("workers after a panic: got %d, want 1", got)
	}
}
