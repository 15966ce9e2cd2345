package loaders

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/engine"
)

// benchHook stands in for the plan engine: a call about to wait on keys
// still queued is the last of its round, so it dispatches.
type benchHook struct{ d *Dispatcher }

func (h benchHook) Wait(sent bool) {
	if !sent {
		h.d.dispatch(nil)
	}
}

func (benchHook) Wake() {}

// answerAtOnce answers every key at once, as a cached backend would.
func answerAtOnce(_ context.Context, keys []connect.Key) []*dataloader.Result[string] {
	out := make([]*dataloader.Result[string], len(keys))
	rs := make([]dataloader.Result[string], len(keys))
	for i, k := range keys {
		rs[i].Data = k.ID
		out[i] = &rs[i]
	}
	return out
}

// BenchmarkLoadAll is one request's first LoadAll of n keys on a loader,
// dispatched as the engine does (its hook), with and without the workers
// pool. "again" asks the same keys a second time (all answered).
func BenchmarkLoadAll(b *testing.B) {
	for _, pool := range []bool{false, true} {
		for _, n := range []int{1, 10, 50} {
			for _, again := range []bool{false, true} {
				name := fmt.Sprintf("keys=%d/workers=%v/again=%v", n, pool, again)
				b.Run(name, func(b *testing.B) {
					var w *engine.Workers
					if pool {
						w = engine.NewWorkers(4)
						defer w.Close()
					}
					k := newKind(Config{Backstop: time.Minute}, "catalog.products.byIds.Product", "catalog", answerAtOnce)
					keys := make([]connect.Key, n)
					for i := range keys {
						keys[i] = connect.Key{ID: fmt.Sprintf("p%d", i)}
					}
					base, _ := WithRoot(context.Background())
					b.ReportAllocs()
					cpu := cpuTime()
					for b.Loop() {
						r := &request{disp: &Dispatcher{}, cfg: Config{Workers: w}}
						l := new(Loader[connect.Key, string]).bind(r, k)
						ctx := context.WithValue(base, waitHookKey{}, engine.Waiter(benchHook{r.disp}))
						vals, errs := l.LoadAll(ctx, keys, 1)
						if again {
							vals, errs = l.LoadAll(ctx, keys, 1)
						}
						if errs != nil || vals[n-1] != keys[n-1].ID {
							b.Fatalf("got %v, %v", vals, errs)
						}
					}
					// CPU time, not wall time: the batches' goroutines
					// and the machine's other work make wall time noisy.
					b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
				})
			}
		}
	}
}

// cpuTime is the process's user and system CPU time so far, in ns.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
