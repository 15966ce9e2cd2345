package redisstore

import (
	"context"
	"math"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// RateLimit is a GCRA rate limit kept in Redis (go-redis/redis_rate: one
// atomic Lua script per request), so a client's allowance is shared by
// every replica.
type RateLimit struct {
	s     *Store
	l     *redis_rate.Limiter
	limit redis_rate.Limit
}

// RateLimit returns a limit of rps requests per second with burst.
func (s *Store) RateLimit(rps float64, burst int) *RateLimit {
	// redis_rate counts whole requests per period: express rps over the
	// period that makes it a whole number (1.5 rps = 3 per 2s).
	period := time.Second
	rate := rps
	for rate != math.Trunc(rate) && period < time.Hour {
		rate *= 2
		period *= 2
	}
	return &RateLimit{
		s:     s,
		l:     redis_rate.NewLimiter(s.rdb),
		limit: redis_rate.Limit{Rate: max(1, int(math.Round(rate))), Period: period, Burst: burst},
	}
}

// Allow takes one request from key's allowance; when there is none, it
// says after how long to retry.
func (r *RateLimit) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	if err := r.s.available(); err != nil {
		return false, 0, r.s.result("rate_limit", err)
	}
	res, err := r.l.Allow(ctx, r.s.prefix+"rl:"+key, r.limit)
	if err := r.s.result("rate_limit", err); err != nil {
		return false, 0, err
	}
	return res.Allowed > 0, res.RetryAfter, nil
}
