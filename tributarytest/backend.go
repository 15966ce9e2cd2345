package tributarytest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Backend is a custom backend on an httptest server: its handler answers,
// the Backend counts the calls, keeps the query of each and holds two
// fault switches. Use it for a backend the demo does not implement, or an
// independent implementation of the contract.
type Backend struct {
	// URL is the backend's base URL.
	URL string

	mu      sync.Mutex
	queries []url.Values // of each call, in order of arrival

	inFlight, peak atomic.Int64
	down           atomic.Bool
	latency        atomic.Int64 // time.Duration
}

// StartBackend serves h as a backend until the test ends.
func StartBackend(t testing.TB, h http.Handler) *Backend {
	t.Helper()
	b := &Backend{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.queries = append(b.queries, r.URL.Query())
		b.mu.Unlock()
		n := b.inFlight.Add(1)
		defer b.inFlight.Add(-1)
		for p := b.peak.Load(); n > p && !b.peak.CompareAndSwap(p, n); p = b.peak.Load() {
		}
		if d := time.Duration(b.latency.Load()); d > 0 {
			// A slow backend, which stops waiting when the caller does.
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		if b.down.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"down"}`)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	b.URL = ts.URL
	return b
}

// Calls is the number of calls so far.
func (b *Backend) Calls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queries)
}

// Queries are the query parameters of every call so far, in order of
// arrival.
func (b *Backend) Queries() []url.Values {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.queries)
}

// Peak is the most calls that were in flight at once.
func (b *Backend) Peak() int64 { return b.peak.Load() }

// SetDown makes every call answer 503 (down) or the handler again.
func (b *Backend) SetDown(down bool) { b.down.Store(down) }

// SetLatency delays every answer by d (0: none); a call whose caller
// gives up stops waiting.
func (b *Backend) SetLatency(d time.Duration) { b.latency.Store(int64(d)) }
