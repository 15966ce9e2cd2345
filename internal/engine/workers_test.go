package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tributary-gw/tributary/tributarytest/poll"
)

// Tasks one after another run on the workers already there: the stacks
// they grew are used again. (A worker counts as idle a moment before it
// waits for the next task, so a task in that moment may start a second
// worker; never a third, since the other one is waiting.)
func TestWorkersReuseIdleWorkers(t *testing.T) {
	t.Parallel()
	w := NewWorkers(50)
	defer w.Close()
	for i := range 200 {
		done := make(chan struct{})
		w.Go(func() { close(done) })
		<-done
		poll.Until(t, "the worker to be idle", func() bool { return w.Busy() == 0 })
		if got := w.Alive(); got > 2 {
			t.Fatalf("task %d: got %d workers, want at most 2", i, got)
		}
	}
}

// Tasks that hold every worker (a request whose calls all wait) neither
// make the pool grow past its bound nor keep a later task from running:
// it runs on a goroutine of its own.
func TestWorkersSaturatedRunsTasksAnyway(t *testing.T) {
	t.Parallel()
	const max = 3
	w := NewWorkers(max)
	defer w.Close()
	release := make(chan struct{})
	var held sync.WaitGroup
	for range max {
		held.Add(1)
		w.Go(func() {
			held.Done()
			<-release
		})
	}
	held.Wait()
	if got := w.Busy(); got != max {
		t.Fatalf("busy: got %d, want %d", got, max)
	}
	var ran atomic.Int32
	var extra sync.WaitGroup
	for range 50 {
		extra.Add(1)
		w.Go(func() {
			ran.Add(1)
			extra.Done()
		})
	}
	extra.Wait() // would hang if a task waited for a worker
	if got := ran.Load(); got != 50 {
		t.Fatalf("tasks run while saturated: got %d, want 50", got)
	}
	if got := w.Alive(); got != max {
		t.Errorf("workers while saturated: got %d, want %d", got, max)
	}
	close(release)
	poll.Until(t, "the held workers to be idle", func() bool { return w.Busy() == 0 })
	if got := w.Alive(); got != max {
		t.Errorf("workers after: got %d, want %d (kept for later tasks)", got, max)
	}
}

// Many tasks at once never start more than max workers.
func TestWorkersBounded(t *testing.T) {
	t.Parallel()
	const max = 8
	w := NewWorkers(max)
	defer w.Close()
	var wg sync.WaitGroup
	var peak atomic.Int32
	for range 2000 {
		wg.Add(1)
		w.Go(func() {
			defer wg.Done()
			if n := int32(w.Alive()); n > peak.Load() {
				peak.Store(n)
			}
		})
	}
	wg.Wait()
	if got := w.Alive(); got > max {
		t.Errorf("workers: got %d, want at most %d", got, max)
	}
	if got := peak.Load(); got > max {
		t.Errorf("peak workers: got %d, want at most %d", got, max)
	}
}

// Workers do not outlive the pool: Close ends the idle ones at once and
// the busy ones when their task returns, and later tasks run on
// goroutines of their own.
func TestWorkersEndAfterClose(t *testing.T) {
	t.Parallel()
	w := NewWorkers(4)
	release := make(chan struct{})
	var started sync.WaitGroup
	for range 2 {
		started.Add(1)
		w.Go(func() {
			started.Done()
			<-release
		})
	}
	started.Wait()
	for range 2 {
		done := make(chan struct{})
		w.Go(func() { close(done) })
		<-done
	}
	poll.Until(t, "two idle workers", func() bool { return w.Alive() >= 3 && w.Busy() == 2 })
	w.Close()
	poll.Until(t, "the idle workers to end", func() bool { return w.Alive() == 2 })
	close(release)
	poll.Until(t, "the busy workers to end with their task", func() bool { return w.Alive() == 0 })
	done := make(chan struct{})
	w.Go(func() { close(done) })
	<-done
	if got := w.Alive(); got != 0 {
		t.Errorf("workers after Close: got %d, want 0", got)
	}
	w.Close() // twice is harmless
}

// A task carries its own context: a worker holding a task that waits on a
// context is released when that context ends, whoever cancels it.
func TestWorkersTaskEndsWithItsContext(t *testing.T) {
	t.Parallel()
	w := NewWorkers(2)
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	w.Go(func() {
		<-ctx.Done()
		close(ended)
	})
	poll.Until(t, "the task to hold a worker", func() bool { return w.Busy() == 1 })
	cancel()
	<-ended
	poll.Until(t, "the worker to be free", func() bool { return w.Busy() == 0 })
}

// A nil pool runs tasks on goroutines of their own.
func TestWorkersNil(t *testing.T) {
	t.Parallel()
	var w *Workers
	done := make(chan struct{})
	w.Go(func() { close(done) })
	<-done
	if w.Alive() != 0 || w.Busy() != 0 {
		t.Error("a nil pool has workers")
	}
	w.Close()
}

// BenchmarkWorkersHandoff is one task handed to an idle worker and its
// end waited for: what a resolver call costs the pool.
func BenchmarkWorkersHandoff(b *testing.B) {
	w := NewWorkers(4)
	defer w.Close()
	done := make(chan struct{})
	f := func() { done <- struct{}{} }
	b.ReportAllocs()
	for b.Loop() {
		w.Go(f)
		<-done
	}
}
