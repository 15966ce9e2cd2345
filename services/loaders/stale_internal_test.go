package loaders

import (
	"testing"
	"time"
)

// A hot key fetched by every request is stored once per StaleRefresh, not
// once per fetch; after the interval its fresher value replaces the old.
func TestStaleKeepStoresAHotKeyOncePerInterval(t *testing.T) {
	st := NewStaleCache(100, 1<<20)
	defer st.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sk := staleKey{loader: "l", key: "k"}
	for i := range 10_000 {
		st.keep(sk, i, t0.Add(time.Duration(i)*time.Microsecond)) // 10 ms of requests
	}
	e, ok := st.c.GetIfPresent(sk)
	if !ok || e.v != 0 || !e.at.Equal(t0) {
		t.Fatalf("after 10,000 fetches within the interval: got %v at %v (ok %v), want the first value at %v", e.v, e.at, ok, t0)
	}
	later := t0.Add(StaleRefresh)
	st.keep(sk, "fresh", later)
	if e, _ := st.c.GetIfPresent(sk); e.v != "fresh" || !e.at.Equal(later) {
		t.Errorf("after the interval: got %v at %v, want fresh at %v", e.v, e.at, later)
	}
	// A clock that went back does not pin an old value.
	st.keep(sk, "back", t0)
	if e, _ := st.c.GetIfPresent(sk); e.v != "back" {
		t.Errorf("after the clock went back: got %v, want back", e.v)
	}
	// Other keys are each stored.
	for i := range 50 {
		st.keep(staleKey{loader: "l", key: i}, i, later)
	}
	for i := range 50 {
		if e, ok := st.c.GetIfPresent(staleKey{loader: "l", key: i}); !ok || e.v != i {
			t.Errorf("key %d: got %v (ok %v), want %d", i, e.v, ok, i)
		}
	}
}
