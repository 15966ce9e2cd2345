// Package poll waits in tests for a condition to hold, instead of sleeping
// for a time that is too long on a quiet machine and too short on a busy
// one. It imports nothing of the project, so the internal tests of any
// package can use it (the rest of the harness is package tributarytest).
package poll

import (
	"testing"
	"time"
)

// Timeout is how long Until waits before failing the test: a bound
// against a hang, not a statement about speed.
const Timeout = 10 * time.Second

// Until calls cond until it returns true and fails the test (naming what)
// when it has not within Timeout. cond may itself fail the test, e.g. when
// it sees a state that must not occur while waiting.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Within(t, Timeout, what, cond)
}

// Within is Until with another bound, for a condition whose bound follows
// from the test's own settings (e.g. a few cool-downs of a breaker).
func Within(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Wait(d, cond) {
		t.Fatalf("timed out after %s waiting for %s", d, what)
	}
}

// Wait calls cond until it returns true or d has passed, and reports
// whether it did. It checks at once, then at intervals growing from 1 ms
// to 25 ms: quick for a condition about to hold, light for a slow one.
func Wait(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	interval := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
		interval = min(2*interval, 25*time.Millisecond)
	}
	return true
}
