package loaders

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

// counted is a batch function that records the keys of every call, and
// answers with what answer says for each key (nil: the key itself).
type counted struct {
	mu     sync.Mutex
	calls  [][]string
	answer func(key string) *dataloader.Result[string]
	panics bool
}

func (c *counted) fn(_ context.Context, keys []string) []*dataloader.Result[string] {
	c.mu.Lock()
	c.calls = append(c.calls, slices.Clone(keys))
	panics := c.panics
	c.mu.Unlock()
	if panics {
		panic("boom")
	}
	out := make([]*dataloader.Result[string], len(keys))
	for i, k := range keys {
		if c.answer != nil {
			out[i] = c.answer(k)
		} else {
			out[i] = &dataloader.Result[string]{Data: k}
		}
	}
	return out
}

func (c *counted) batches() [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// hookCounter is the plan engine's hook: every Wait dispatches (the call
// is the last of its round), and the calls are counted.
type hookCounter struct {
	d            *Dispatcher
	mu           sync.Mutex
	waits, wakes int
	sent         []bool
	onWait       func()
}

func (h *hookCounter) Wait(sent bool) {
	h.mu.Lock()
	h.waits++
	h.sent = append(h.sent, sent)
	on := h.onWait
	h.mu.Unlock()
	if on != nil {
		on()
	}
	h.d.dispatch(nil)
}

func (h *hookCounter) Wake() {
	h.mu.Lock()
	h.wakes++
	h.mu.Unlock()
}

func (h *hookCounter) counts() (waits, wakes int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.waits, h.wakes
}

func managed(t *testing.T, c *counted) (*Loader[string, string], *hookCounter, context.Context) {
	t.Helper()
	r := &request{disp: &Dispatcher{}}
	l := newTracked(r, Config{Backstop: time.Minute}, "counted", "test", c.fn)
	h := &hookCounter{d: r.disp}
	return l, h, context.WithValue(context.Background(), waitHookKey{}, engine.Waiter(h))
}

// The loader's memo holds one entry per distinct key and makes no more
// entries than the keys asked for: 2,000 distinct keys asked at once are
// one call of 2,000 keys, and asked again, none.
func TestMemoManyDistinctKeys(t *testing.T) {
	c := &counted{}
	l, h, ctx := managed(t, c)
	keys := make([]string, 2000)
	for i := range keys {
		keys[i] = fmt.Sprint("k", i)
	}
	for range 3 {
		vals, errs := l.LoadAll(ctx, keys, 1)
		if errs != nil || vals[1999] != "k1999" {
			t.Fatalf("got %v…, %v", vals[:3], errs)
		}
	}
	if b := c.batches(); len(b) != 1 || len(b[0]) != 2000 {
		t.Fatalf("batches: got %d (first of %d keys), want one of 2000", len(b), len(b[0]))
	}
	if n := len(l.keys); n != 2000 {
		t.Errorf("memo entries: got %d, want 2000", n)
	}
	if l.entries.made > 2*2000+maxBlock {
		t.Errorf("entries made: got %d, want at most %d", l.entries.made, 2*2000+maxBlock)
	}
	if w, k := h.counts(); w != 1 || k != 1 {
		t.Errorf("hook: got %d waits and %d wakes, want 1 and 1 (the answered asks wait on nothing)", w, k)
	}
}

// Keys asked one at a time (the fetch plan's Load) are given entries in
// blocks no larger than what was asked before: what is made ahead stays
// within the request's keys.
func TestMemoKeysAskedOneByOne(t *testing.T) {
	c := &counted{}
	l, _, ctx := managed(t, c)
	const n = 1000
	for i := range n {
		l.Load(ctx, fmt.Sprint("k", i))
	}
	if l.entries.made > 2*n {
		t.Errorf("entries made for %d keys asked one by one: %d, want at most %d", n, l.entries.made, 2*n)
	}
	if len(l.keys) != n {
		t.Errorf("memo entries: got %d, want %d", len(l.keys), n)
	}
	l.disp.dispatch(nil)
	if v, err := l.Load(ctx, "k999")(); err != nil || v != "k999" {
		t.Fatalf("got %q, %v", v, err)
	}
	if b := c.batches(); len(b) != 1 || len(b[0]) != n {
		t.Errorf("batches: got %d, want one of %d keys", len(b), n)
	}
}

// One key asked thousands of times — in one LoadAll, by many LoadAlls,
// by Load — is one entry, one key sent, one waiter entry per call.
func TestMemoSameKeyThousandsOfTimes(t *testing.T) {
	c := &counted{}
	l, h, ctx := managed(t, c)
	same := slices.Repeat([]string{"k"}, 5000)
	h.onWait = func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		e := l.keys["k"]
		if e.wl.first.n != 5000 || e.wl.more != nil {
			t.Errorf("waiters of the key: got %d then more: %v, want one call waiting on it 5000 times", e.wl.first.n, e.wl.more)
		}
	}
	vals, errs := l.LoadAll(ctx, same, 1)
	if errs != nil || len(vals) != 5000 || vals[4999] != "k" {
		t.Fatalf("got %d values, %v", len(vals), errs)
	}
	h.onWait = nil
	for range 5000 {
		l.Load(ctx, "k")
		if _, errs := l.LoadAll(ctx, []string{"k"}, 1); errs != nil {
			t.Fatal(errs)
		}
	}
	if b := c.batches(); len(b) != 1 || len(b[0]) != 1 {
		t.Errorf("batches: got %v, want one of the key", b)
	}
	if len(l.keys) != 1 || l.entries.made > maxBlock {
		t.Errorf("memo: %d entries, %d made; want 1 and at most %d", len(l.keys), l.entries.made, maxBlock)
	}
	if w, k := h.counts(); w != 1 || k != 1 {
		t.Errorf("hook: got %d waits and %d wakes, want 1 and 1", w, k)
	}
}

// Errors dataloader would drop from its cache — a SkipCacheError, a panic
// of the batch function — are fetched again when asked again, telling
// the engine again that the call waits; other errors are kept for the
// request.
func TestMemoErrorsAskedAgain(t *testing.T) {
	kept := errors.New("kept")
	c := &counted{answer: func(k string) *dataloader.Result[string] {
		switch k {
		case "skip":
			return &dataloader.Result[string]{Error: dataloader.NewSkipCacheError(errors.New("transient"))}
		case "kept":
			return &dataloader.Result[string]{Error: kept}
		case "none":
			return nil
		}
		return &dataloader.Result[string]{Data: k}
	}}
	l, h, ctx := managed(t, c)
	for i := range 3 {
		_, errs := l.LoadAll(ctx, []string{"skip", "kept", "none", "ok"}, 1)
		var se *dataloader.SkipCacheError
		if errs == nil || !errors.As(errs[0], &se) || !errors.Is(errs[1], kept) ||
			!errors.Is(errs[2], dataloader.ErrNoResultProvided) || errs[3] != nil {
			t.Fatalf("ask %d: got %v", i, errs)
		}
	}
	b := c.batches()
	want := [][]string{{"skip", "kept", "none", "ok"}, {"skip"}, {"skip"}}
	if !slices.EqualFunc(b, want, slices.Equal) {
		t.Errorf("batches: got %v, want %v", b, want)
	}
	if w, k := h.counts(); w != 3 || k != 3 {
		t.Errorf("hook: got %d waits and %d wakes, want 3 and 3 (the skipped key waits each time)", w, k)
	}
	if len(l.keys) != 3 {
		t.Errorf("memo entries: got %d, want 3 (the skipped key is not kept)", len(l.keys))
	}

	c.mu.Lock()
	c.panics = true
	c.mu.Unlock()
	for i := range 2 {
		_, errs := l.LoadAll(ctx, []string{"p1", "p2", "ok"}, 1)
		var pe *dataloader.PanicErrorWrapper
		if errs == nil || !errors.As(errs[0], &pe) || !errors.As(errs[1], &pe) || errs[2] != nil {
			t.Fatalf("panic ask %d: got %v", i, errs)
		}
	}
	if b := c.batches(); len(b) != 5 || !slices.Equal(b[3], []string{"p1", "p2"}) || !slices.Equal(b[4], []string{"p1", "p2"}) {
		t.Errorf("batches after panics: got %v, want p1 and p2 asked twice", b[3:])
	}
	if len(l.keys) != 3 {
		t.Errorf("memo entries: got %d, want 3 (keys whose batch panicked are not kept)", len(l.keys))
	}
}

// A primed value answers without a call or a wait; a key already asked
// keeps its answer.
func TestMemoPrime(t *testing.T) {
	c := &counted{}
	l, h, ctx := managed(t, c)
	l.Load(ctx, "asked")
	l.Prime(ctx, "asked", "primed over")
	l.Prime(ctx, "p", "primed")
	l.Prime(ctx, "p", "primed twice")
	vals, errs := l.LoadAll(ctx, []string{"p"}, 1)
	if errs != nil || vals[0] != "primed" {
		t.Fatalf("got %v, %v", vals, errs)
	}
	if w, _ := h.counts(); w != 0 {
		t.Errorf("hook waits for a primed key: got %d, want 0", w)
	}
	if v, err := l.Load(ctx, "p")(); v != "primed" || err != nil {
		t.Errorf("Load of a primed key: got %q, %v", v, err)
	}
	vals, errs = l.LoadAll(ctx, []string{"asked", "p"}, 1)
	if errs != nil || vals[0] != "asked" || vals[1] != "primed" {
		t.Errorf("got %v, %v", vals, errs)
	}
	if b := c.batches(); len(b) != 1 || !slices.Equal(b[0], []string{"asked"}) {
		t.Errorf("batches: got %v, want [[asked]]", b)
	}
}

// sent tells the engine whether every key the call waits on is in a call
// already: keys dispatched while their batch still runs are sent, a key
// queued since is not.
func TestMemoSent(t *testing.T) {
	release := make(chan struct{})
	c := &counted{}
	slow := func(ctx context.Context, keys []string) []*dataloader.Result[string] {
		<-release
		return c.fn(ctx, keys)
	}
	r := &request{disp: &Dispatcher{}}
	l := newTracked(r, Config{Backstop: time.Minute}, "slow", "test", slow)
	h := &hookCounter{d: r.disp}
	ctx := context.WithValue(context.Background(), waitHookKey{}, engine.Waiter(h))
	l.Load(ctx, "a")
	r.disp.dispatch(nil) // a is in a call, which waits on release
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, errs := l.LoadAll(ctx, []string{"a"}, 1); errs != nil {
			t.Error(errs)
		}
	})
	wg.Go(func() {
		if _, errs := l.LoadAll(ctx, []string{"a", "b"}, 1); errs != nil {
			t.Error(errs)
		}
	})
	poll.Until(t, "both calls to wait", func() bool { w, _ := h.counts(); return w == 2 })
	close(release)
	wg.Wait()
	h.mu.Lock()
	sent := slices.Clone(h.sent)
	h.mu.Unlock()
	// The two calls race: one is on a's call, one on b queued.
	if len(sent) != 2 || sent[0] == sent[1] {
		t.Errorf("sent: got %v, want one call on dispatched keys only and one on a queued key", sent)
	}
	if w, k := h.counts(); w != 2 || k != 2 {
		t.Errorf("hook: got %d waits and %d wakes, want 2 and 2", w, k)
	}
}
