package tributarytest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/services/demo"
)

// closeTimeout bounds the graceful shutdown of backends at cleanup.
const closeTimeout = 10 * time.Second

// Backends is the demo backends (every declared service: the six demo
// services and a stand-in for each other one) on httptest servers. The
// embedded demo.Backends gives each service's own counters and fault
// switches (Server(svc).Stats, SetFaults); Backends adds what only a view
// across all of them can count.
type Backends struct {
	*demo.Backends

	// inFlight/peak count contract calls across all services at once.
	inFlight, peak atomic.Int64
	onRequest      atomic.Pointer[func(demo.Service, *http.Request)]

	spansMu sync.Mutex
	spans   []span // every contract call, for Rounds
}

// span is one contract call as the backend saw it.
type span struct {
	start, end time.Time
}

// StartBackends starts the demo backends over ds (nil: demo.DefaultDataset)
// and stops them when the test ends.
func StartBackends(t testing.TB, ds *demo.Dataset) *Backends {
	t.Helper()
	if ds == nil {
		ds = demo.DefaultDataset()
	}
	b := &Backends{}
	db, err := demo.StartWith(ds, b.mount)
	if err != nil {
		t.Fatalf("tributarytest: %v", err)
	}
	b.Backends = db
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := db.Close(ctx); err != nil {
			t.Errorf("tributarytest: %v", err)
		}
	})
	return b
}

// mount serves one backend on httptest, counting its contract calls (not
// the /_demo/ admin ones) in the counters across services.
func (b *Backends) mount(svc demo.Service, h http.Handler) (string, func(context.Context) error, error) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, demo.AdminPrefix) {
			h.ServeHTTP(w, r)
			return
		}
		if f := b.onRequest.Load(); f != nil {
			(*f)(svc, r)
		}
		start := time.Now()
		n := b.inFlight.Add(1)
		for p := b.peak.Load(); n > p && !b.peak.CompareAndSwap(p, n); p = b.peak.Load() {
		}
		defer func() {
			b.inFlight.Add(-1)
			b.spansMu.Lock()
			b.spans = append(b.spans, span{start, time.Now()})
			b.spansMu.Unlock()
		}()
		h.ServeHTTP(w, r)
	}))
	stop := func(ctx context.Context) error {
		done := make(chan struct{})
		go func() {
			ts.Close() // waits for outstanding requests
			close(done)
		}()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			ts.CloseClientConnections()
			<-done
			return ctx.Err()
		}
	}
	return ts.URL, stop, nil
}

// OnRequest makes f see every contract call, before the backend answers
// it; nil stops that. f runs on the backends' goroutines.
func (b *Backends) OnRequest(f func(demo.Service, *http.Request)) {
	if f == nil {
		b.onRequest.Store(nil)
		return
	}
	b.onRequest.Store(&f)
}

// Peak is the most contract calls that were in flight at once, across all
// services.
func (b *Backends) Peak() int64 { return b.peak.Load() }

// InFlight is the number of contract calls in flight now, across all
// services.
func (b *Backends) InFlight() int64 { return b.inFlight.Load() }

// Rounds is the number of backend round trips the calls so far took one
// after another: the longest chain of calls each of which started after
// the one before it had answered. Calls of one round overlap; give the
// backends some latency (WithLatency) so that they do.
func (b *Backends) Rounds() int {
	b.spansMu.Lock()
	spans := slices.Clone(b.spans)
	b.spansMu.Unlock()
	slices.SortFunc(spans, func(a, b span) int { return a.start.Compare(b.start) })
	depth := make([]int, len(spans))
	best := 0
	for i, s := range spans {
		depth[i] = 1
		for j := range i {
			if !spans[j].end.After(s.start) {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
		best = max(best, depth[i])
	}
	return best
}

// WithLatency gives every demo service a latency (and no other fault), so
// that the calls of one round overlap.
func (b *Backends) WithLatency(d time.Duration) {
	b.SetFaults(demo.Faults{Latency: d})
}

// Stats returns the calls per endpoint of one service since its last reset.
func (b *Backends) Stats(svc demo.Service) demo.Stats { return b.Server(svc).Stats() }

// Calls returns the number of calls to one endpoint of svc.
func (b *Backends) Calls(svc demo.Service, endpoint string) int64 {
	return b.Stats(svc).Calls(endpoint)
}

// TotalCalls sums the calls to the six demo services.
func (b *Backends) TotalCalls() int64 {
	var n int64
	for _, s := range demo.AllServices() {
		n += b.Stats(s).TotalCalls()
	}
	return n
}

// ResetPeak starts counting the peak of calls in flight anew.
func (b *Backends) ResetPeak() { b.peak.Store(b.inFlight.Load()) }
