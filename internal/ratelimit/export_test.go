package ratelimit

import "time"

// SetClock makes l read the time from now, so tests can move it.
func SetClock(l *Limiter, now func() time.Time) { l.now = now }
