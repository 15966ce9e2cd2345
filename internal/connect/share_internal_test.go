package connect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/tributary-gw/tributary/internal/upstream"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

type shareItem struct {
	ID string `json:"id"`
}

type shareEnvelope struct {
	Items []*shareItem `json:"items"`
}

// heldCall is one call a shareBackend received.
type heldCall struct {
	auth string
	ids  []string
}

// shareBackend is a batch backend (GET /items?ids=…) that records every
// call and holds each until release is closed (nil: answers at once).
type shareBackend struct {
	mu      sync.Mutex
	calls   []heldCall
	release chan struct{}
	// cancelled counts calls whose request was cancelled while held.
	cancelled int
}

func (b *shareBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ids := strings.Split(r.URL.Query().Get("ids"), ",")
	b.mu.Lock()
	b.calls = append(b.calls, heldCall{auth: r.Header.Get("Authorization"), ids: ids})
	release := b.release
	b.mu.Unlock()
	if release != nil {
		select {
		case <-release:
		case <-r.Context().Done():
			b.mu.Lock()
			b.cancelled++
			b.mu.Unlock()
			return
		}
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf(`{"id":%q}`, id)
	}
	fmt.Fprintf(w, `{"items":[%s]}`, strings.Join(parts, ","))
}

func (b *shareBackend) got() []heldCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.calls)
}

// shareFixture is a backend, its client (forwarding Authorization) and a
// Share over a ByKey batch function with the given batch limit, one call
// in flight per endpoint and caller (the group commit at its plainest).
func shareFixture(t *testing.T, hold bool, limit, maxQueued int) (*shareBackend, *Share, dataloader.BatchFunc[Key, *shareItem]) {
	t.Helper()
	return shareFixtureWith(t, hold, limit, ShareConfig{MaxQueued: maxQueued, MaxCalls: 1})
}

// shareFixtureWith is shareFixture with a Share configured by cfg.
func shareFixtureWith(t *testing.T, hold bool, limit int, cfg ShareConfig) (*shareBackend, *Share, dataloader.BatchFunc[Key, *shareItem]) {
	t.Helper()
	b := &shareBackend{}
	if hold {
		b.release = make(chan struct{})
	}
	ts := httptest.NewServer(b)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { // before ts.Close: let held calls end
		b.mu.Lock()
		if b.release != nil {
			select {
			case <-b.release:
			default:
				close(b.release)
			}
		}
		b.mu.Unlock()
	})
	c, err := upstream.New(upstream.Config{Service: "items", BaseURL: ts.URL, Timeout: 5 * time.Second, Forward: []string{"Authorization"}},
		upstream.NewHTTPClient(upstream.NewTransport(upstream.TransportConfig{})), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := NewShare(cfg)
	ep := Endpoint{Name: "items", Path: "/items", Batch: "ids", Items: "items", Limit: limit}
	fn := ByKey(c, nil, ep, func(e *shareEnvelope) []*shareItem { return e.Items }, func(it *shareItem) string { return it.ID })
	// Each call is a request of its own, as the loaders' are.
	return b, s, func(ctx context.Context, ks []Key) []*dataloader.Result[*shareItem] {
		return Shared(s, "items.Item", c, new(int), fn)(ctx, ks)
	}
}

func (b *shareBackend) open() {
	b.mu.Lock()
	close(b.release)
	b.mu.Unlock()
}

func keys(ids ...string) []Key {
	out := make([]Key, len(ids))
	for i, id := range ids {
		out[i] = Key{ID: id}
	}
	return out
}

// answer is what one caller got: the ids answered, or its first error.
type answer struct {
	ids []string
	err error
}

func fetchAll(ctx context.Context, fn dataloader.BatchFunc[Key, *shareItem], ks []Key) answer {
	var a answer
	for i, r := range fn(ctx, ks) {
		switch {
		case r.Error != nil:
			if a.err == nil {
				a.err = r.Error
			}
		case r.Data == nil || r.Data.ID != ks[i].ID:
			a.err = fmt.Errorf("key %s: got %v", ks[i].ID, r.Data)
		default:
			a.ids = append(a.ids, r.Data.ID)
		}
	}
	return a
}

func withAuth(ctx context.Context, token string) context.Context {
	return upstream.WithOutgoing(ctx, upstream.Outgoing{Incoming: http.Header{"Authorization": {token}}})
}

func sizes(calls []heldCall) []int {
	out := make([]int, len(calls))
	for i, c := range calls {
		out[i] = len(c.ids)
	}
	return out
}

// N requests for the same product at once make one call.
func TestShareSameKeyOneCall(t *testing.T) {
	const n = 16
	b, s, fn := shareFixture(t, true, 100, 0)
	got := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i] = fetchAll(context.Background(), fn, keys("p1")) })
	}
	poll.Until(t, "every caller waiting", func() bool { w, _ := s.waiting(); return w == n })
	b.open()
	wg.Wait()
	for i, a := range got {
		if a.err != nil || !slices.Equal(a.ids, []string{"p1"}) {
			t.Errorf("caller %d: got %v, %v; want [p1]", i, a.ids, a.err)
		}
	}
	if calls := b.got(); len(calls) != 1 {
		t.Errorf("got %d calls %v, want 1", len(calls), sizes(calls))
	}
	poll.Until(t, "groups dropped", func() bool { return s.Groups() == 0 })
}

// Requests for different products that arrive while a call is in flight
// go out together in the next call.
func TestShareQueuedKeysGoTogether(t *testing.T) {
	const n = 10
	b, s, fn := shareFixture(t, true, 100, 0)
	got := make([]answer, n)
	var wg sync.WaitGroup
	wg.Go(func() { got[0] = fetchAll(context.Background(), fn, keys("p0")) })
	poll.Until(t, "the first call sent", func() bool { return len(b.got()) == 1 })
	for i := 1; i < n; i++ {
		wg.Go(func() { got[i] = fetchAll(context.Background(), fn, keys(fmt.Sprintf("p%d", i), "p0")) })
	}
	poll.Until(t, "every caller waiting", func() bool { w, _ := s.waiting(); return w == 2*n-1 })
	b.open()
	wg.Wait()
	for i, a := range got {
		if a.err != nil {
			t.Errorf("caller %d: %v", i, a.err)
		}
	}
	calls := b.got()
	if want := []int{1, n - 1}; !slices.Equal(sizes(calls), want) {
		t.Errorf("got batch sizes %v, want %v (p0 once, the rest together)", sizes(calls), want)
	}
}

// Callers forwarding different Authorization never share a call: the
// backend sees each caller's header with that caller's ids only, even for
// an id they both ask for.
func TestShareNeverAcrossCallers(t *testing.T) {
	const n = 4
	b, s, fn := shareFixture(t, true, 100, 0)
	var wg sync.WaitGroup
	got := make([]answer, n)
	for i := range n {
		wg.Go(func() {
			ctx := withAuth(context.Background(), fmt.Sprintf("Bearer t%d", i))
			got[i] = fetchAll(ctx, fn, keys("shared", fmt.Sprintf("u%d", i)))
		})
	}
	poll.Until(t, "every caller waiting", func() bool { w, _ := s.waiting(); return w == n })
	b.open()
	wg.Wait()
	calls := b.got()
	if len(calls) != n {
		t.Fatalf("got %d calls, want %d (one per caller)", len(calls), n)
	}
	for _, c := range calls {
		var i int
		if _, err := fmt.Sscanf(c.auth, "Bearer t%d", &i); err != nil {
			t.Fatalf("call without a caller's token: %q", c.auth)
		}
		want := []string{"shared", fmt.Sprintf("u%d", i)}
		if !slices.Equal(c.ids, want) {
			t.Errorf("caller t%d's call asked for %v, want %v", i, c.ids, want)
		}
	}
	for i, a := range got {
		if a.err != nil {
			t.Errorf("caller %d: %v", i, a.err)
		}
	}
}

// A caller that leaves does not cancel the call for the others; when the
// last one leaves, the call is cancelled.
func TestShareCallerLeaving(t *testing.T) {
	b, s, fn := shareFixture(t, true, 100, 0)
	ctx1, cancel1 := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var first, second answer
	wg.Go(func() { first = fetchAll(ctx1, fn, keys("p1")) })
	wg.Go(func() { second = fetchAll(context.Background(), fn, keys("p1")) })
	poll.Until(t, "both callers waiting", func() bool { w, _ := s.waiting(); return w == 2 })
	cancel1()
	poll.Until(t, "the first caller gone", func() bool { w, _ := s.waiting(); return w == 1 })
	b.open()
	wg.Wait()
	if first.err == nil || !errors.Is(first.err, context.Canceled) {
		t.Errorf("cancelled caller: got %v, want context.Canceled", first.err)
	}
	if second.err != nil || !slices.Equal(second.ids, []string{"p1"}) {
		t.Errorf("other caller: got %v, %v; want [p1]", second.ids, second.err)
	}
	if n := len(b.got()); n != 1 {
		t.Errorf("got %d calls, want 1", n)
	}
	b.mu.Lock()
	cancelled := b.cancelled
	b.mu.Unlock()
	if cancelled != 0 {
		t.Errorf("backend saw %d cancelled calls, want 0", cancelled)
	}
}

func TestShareLastCallerLeavingCancelsTheCall(t *testing.T) {
	b, s, fn := shareFixture(t, true, 100, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan answer)
	go func() { done <- fetchAll(ctx, fn, keys("p1")) }()
	poll.Until(t, "the call sent", func() bool { return len(b.got()) == 1 })
	cancel()
	if a := <-done; !errors.Is(a.err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", a.err)
	}
	poll.Until(t, "the backend to see the call cancelled", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.cancelled == 1
	})
	poll.Until(t, "groups dropped", func() bool { return s.Groups() == 0 })
}

// A slow backend never holds a caller past its own deadline, whether its
// keys are in the call in flight or queued behind it.
func TestShareSlowBackendCallerDeadline(t *testing.T) {
	b, s, fn := shareFixture(t, true, 100, 0)
	var wg sync.WaitGroup
	var inFlight answer
	wg.Go(func() { inFlight = fetchAll(context.Background(), fn, keys("p1")) })
	poll.Until(t, "the call sent", func() bool { return len(b.got()) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	for _, ks := range [][]Key{keys("p1"), keys("p2")} {
		a := fetchAll(ctx, fn, ks)
		var ue *upstream.Error
		if !errors.As(a.err, &ue) || ue.Code != upstream.CodeTimeout {
			t.Errorf("keys %v past the deadline: got %v, want %s", ks, a.err, upstream.CodeTimeout)
		}
	}
	if w, q := s.waiting(); w != 1 || q != 1 {
		t.Errorf("after the deadline: got %d waiting, %d queued; want 1 (the first caller), 1 (p2, dropped when its turn comes)", w, q)
	}
	b.open()
	wg.Wait()
	if inFlight.err != nil {
		t.Errorf("first caller: %v", inFlight.err)
	}
	if calls := b.got(); len(calls) != 1 {
		t.Errorf("got %d calls %v, want 1: nobody waits for p2 any more", len(calls), calls)
	}
	poll.Until(t, "groups dropped", func() bool { return s.Groups() == 0 })
}

// A caller with a huge key set is split at the batch limit, and the queue
// never holds more than its bound: past it, keys go in calls of their own.
func TestShareHugeKeySetAndQueueBound(t *testing.T) {
	const limit, bound = 10, 25
	b, s, fn := shareFixture(t, true, limit, bound)
	var wg sync.WaitGroup
	var first answer
	wg.Go(func() { first = fetchAll(context.Background(), fn, keys("p0")) })
	poll.Until(t, "the first call sent", func() bool { return len(b.got()) == 1 })

	var ids []string
	for i := range 60 {
		ids = append(ids, fmt.Sprintf("k%d", i))
	}
	var huge answer
	wg.Go(func() { huge = fetchAll(context.Background(), fn, keys(ids...)) })
	// The 35 keys past the bound go out at once, in calls of their own
	// split at the limit, while the first call is still held.
	poll.Until(t, "the unshared calls sent", func() bool { return len(b.got()) == 1+4 })
	if _, q := s.waiting(); q != bound {
		t.Errorf("got %d keys queued, want the bound %d", q, bound)
	}
	b.open()
	wg.Wait()
	if first.err != nil || huge.err != nil || len(huge.ids) != len(ids) {
		t.Fatalf("got %v / %d ids, %v; want every key answered", first.err, len(huge.ids), huge.err)
	}
	calls := b.got()
	total := 0
	for _, c := range calls {
		if len(c.ids) > limit {
			t.Errorf("a call carried %d ids, over the limit %d", len(c.ids), limit)
		}
		total += len(c.ids)
	}
	// p0, 35 own ids in 4 calls, 25 queued ids in 3 calls.
	if len(calls) != 1+4+3 || total != 61 {
		t.Errorf("got %d calls with %d ids (%v), want 8 with 61", len(calls), total, sizes(calls))
	}
}

// Without contention nothing waits: one caller's keys go out at once.
func TestShareAloneSendsAtOnce(t *testing.T) {
	b, s, fn := shareFixture(t, false, 100, 0)
	for range 3 {
		if a := fetchAll(context.Background(), fn, keys("p1", "p2")); a.err != nil {
			t.Fatal(a.err)
		}
	}
	if n := len(b.got()); n != 3 {
		t.Errorf("got %d calls, want 3 (nothing kept between requests)", n)
	}
	if s.Groups() != 0 {
		t.Errorf("got %d groups kept, want 0", s.Groups())
	}
}

// A request never queues behind its own call: two parents of one level
// answering apart send their children's keys at once.
func TestShareRequestNeverWaitsForItself(t *testing.T) {
	b, s, _ := shareFixture(t, true, 100, 0)
	ts := httptest.NewServer(b)
	t.Cleanup(ts.Close)
	c, err := upstream.New(upstream.Config{Service: "items", BaseURL: ts.URL, Timeout: 5 * time.Second},
		upstream.NewHTTPClient(upstream.NewTransport(upstream.TransportConfig{})), nil)
	if err != nil {
		t.Fatal(err)
	}
	ep := Endpoint{Name: "items", Path: "/items", Batch: "ids", Items: "items"}
	req := new(int)
	fn := Shared(s, "items.Item", c, req, ByKey(c, nil, ep, func(e *shareEnvelope) []*shareItem { return e.Items }, func(it *shareItem) string { return it.ID }))
	var wg sync.WaitGroup
	wg.Go(func() { fetchAll(context.Background(), fn, keys("p1")) })
	poll.Until(t, "the first call sent", func() bool { return len(b.got()) == 1 })
	wg.Go(func() { fetchAll(context.Background(), fn, keys("p2")) })
	poll.Until(t, "the second call sent while the first is held", func() bool { return len(b.got()) == 2 })
	b.open()
	wg.Wait()
}

// A batch function that panics fails its keys, for every caller, and
// does not end the process.
func TestSharePanicFailsTheKeys(t *testing.T) {
	s := NewShare(ShareConfig{})
	c, err := upstream.New(upstream.Config{Service: "items", BaseURL: "http://127.0.0.1:1"},
		upstream.NewHTTPClient(upstream.NewTransport(upstream.TransportConfig{})), nil)
	if err != nil {
		t.Fatal(err)
	}
	boom := func(context.Context, []Key) []*dataloader.Result[*shareItem] { panic("boom") }
	a := fetchAll(context.Background(), Shared(s, "items.Item", c, new(int), boom), keys("p1", "p2"))
	if a.err == nil || !strings.Contains(a.err.Error(), "panicked") {
		t.Errorf("got %v, want the panic as the keys' error", a.err)
	}
	poll.Until(t, "groups dropped", func() bool { return s.Groups() == 0 })
}

// With the default two calls in flight per endpoint, a key that is in
// neither goes out at once while a slot is free; past that, the keys queue
// for the first slot to free up and go in one call. Never more than two
// calls are in flight, however many callers.
func TestShareSecondSlot(t *testing.T) {
	const n = 12
	b, s, fn := shareFixtureWith(t, true, 100, ShareConfig{})
	got := make([]answer, n)
	var wg sync.WaitGroup
	wg.Go(func() { got[0] = fetchAll(context.Background(), fn, keys("p0")) })
	poll.Until(t, "the first call sent", func() bool { return len(b.got()) == 1 })
	wg.Go(func() { got[1] = fetchAll(context.Background(), fn, keys("p1", "p0")) })
	poll.Until(t, "the second call sent at once", func() bool { return len(b.got()) == 2 })
	for i := 2; i < n; i++ {
		wg.Go(func() { got[i] = fetchAll(context.Background(), fn, keys(fmt.Sprintf("p%d", i), "p1")) })
	}
	// p0: 2 callers; p1: n-1; the queued call: n-2.
	poll.Until(t, "every caller waiting", func() bool { w, _ := s.waiting(); return w == 2+(n-1)+(n-2) })
	if calls := b.got(); len(calls) != 2 {
		t.Fatalf("in flight with every slot taken: got %d calls %v, want 2", len(calls), sizes(calls))
	}
	b.open()
	wg.Wait()
	for i, a := range got {
		if a.err != nil {
			t.Errorf("caller %d: %v", i, a.err)
		}
	}
	if got, want := sizes(b.got()), []int{1, 1, n - 2}; !slices.Equal(got, want) {
		t.Errorf("got batch sizes %v, want %v (p0, p1, then the queue in one call)", got, want)
	}
	poll.Until(t, "groups dropped", func() bool { return s.Groups() == 0 })
}

// Under a steady stream of fresh keys, the calls in flight never exceed
// MaxCalls: the queue fills each slot that frees up. The backend answers
// one held call at a time; each answer lets exactly one queued call go.
func TestShareSlotsBoundTheCallsInFlight(t *testing.T) {
	for _, slots := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(slots), func(t *testing.T) {
			be := &stepBackend{next: make(chan struct{})}
			ts := httptest.NewServer(be)
			t.Cleanup(ts.Close)
			c, err := upstream.New(upstream.Config{Service: "items", BaseURL: ts.URL, Timeout: 5 * time.Second},
				upstream.NewHTTPClient(upstream.NewTransport(upstream.TransportConfig{})), nil)
			if err != nil {
				t.Fatal(err)
			}
			s := NewShare(ShareConfig{MaxCalls: slots})
			ep := Endpoint{Name: "items", Path: "/items", Batch: "ids", Items: "items", Limit: 100}
			bfn := ByKey(c, nil, ep, func(e *shareEnvelope) []*shareItem { return e.Items }, func(it *shareItem) string { return it.ID })
			const callers = 40
			var wg sync.WaitGroup
			for i := range callers {
				wg.Go(func() {
					if a := fetchAll(context.Background(), Shared(s, "items.Item", c, new(int), bfn), keys(fmt.Sprintf("k%d", i))); a.err != nil {
						t.Errorf("caller %d: %v", i, a.err)
					}
				})
			}
			poll.Until(t, "every caller waiting", func() bool { w, _ := s.waiting(); return w == callers })
			// Every slot's call reaches the backend before any is answered
			// (a call is sent on its own goroutine: waiting callers alone
			// do not say it has arrived).
			poll.Until(t, "every slot's call held", func() bool { return be.held() == slots })
			// Answer one held call at a time. The send must not block: a
			// call counted as held may already have had its answer and be
			// on its way out, with nobody left to receive.
			for done := false; !done; {
				poll.Until(t, "a held call answered or all answered", func() bool {
					if s.Groups() == 0 {
						done = true
						return true
					}
					select {
					case be.next <- struct{}{}:
						return true
					default:
						return false
					}
				})
			}
			wg.Wait()
			if be.peak > slots {
				t.Errorf("peak calls in flight: got %d, want at most %d", be.peak, slots)
			}
			if be.peak < slots {
				t.Errorf("peak calls in flight: got %d, want the %d slots used", be.peak, slots)
			}
			if be.ids != callers {
				t.Errorf("ids sent: got %d, want %d (each once)", be.ids, callers)
			}
			if be.calls > callers {
				t.Errorf("got %d calls for %d keys", be.calls, callers)
			}
		})
	}
}

// stepBackend holds every call until the test sends on next (one call
// answered per send), counting the calls in flight at once.
type stepBackend struct {
	next chan struct{}

	mu             sync.Mutex
	inFlight, peak int
	calls, ids     int
}

func (b *stepBackend) held() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.inFlight
}

func (b *stepBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ids := strings.Split(r.URL.Query().Get("ids"), ",")
	b.mu.Lock()
	b.inFlight++
	b.calls++
	b.ids += len(ids)
	b.peak = max(b.peak, b.inFlight)
	b.mu.Unlock()
	select {
	case <-b.next:
	case <-r.Context().Done():
	}
	b.mu.Lock()
	b.inFlight--
	b.mu.Unlock()
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf(`{"id":%q}`, id)
	}
	fmt.Fprintf(w, `{"items":[%s]}`, strings.Join(parts, ","))
}

// Shared calls run through ShareConfig.Go (the gateway's workers), one
// task per call sent.
func TestShareCallsRunThroughGo(t *testing.T) {
	const n = 8
	var tasks atomic.Int32
	b, s, fn := shareFixtureWith(t, true, 100, ShareConfig{MaxCalls: 1, Go: func(f func()) {
		tasks.Add(1)
		go f()
	}})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { _ = fetchAll(context.Background(), fn, keys("p1")) })
	}
	poll.Until(t, "every caller waiting", func() bool { w, _ := s.waiting(); return w == n })
	b.open()
	wg.Wait()
	if calls, got := len(b.got()), tasks.Load(); calls != 1 || got != 1 {
		t.Errorf("got %d calls and %d tasks, want 1 and 1", calls, got)
	}
}
