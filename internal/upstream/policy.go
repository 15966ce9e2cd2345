package upstream

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

// PolicyConfig is the resilience configuration of one service. Zero values
// disable the corresponding mechanism.
type PolicyConfig struct {
	// MaxRetries is how many times a transient failure (connection error,
	// 502, 503, 504, 429) is retried. Timeouts are not retried: the time
	// is already spent.
	MaxRetries int
	// RetryBackoff is the base of the jittered exponential backoff.
	RetryBackoff time.Duration
	// RetryBudget caps retries at this fraction of calls (e.g. 0.2), so a
	// struggling service does not see a retry storm. Zero means no cap
	// other than MaxRetries.
	RetryBudget float64
	// RetryBurst is how many retries the budget allows before any calls
	// have earned them.
	RetryBurst int

	// BreakerConsecutiveFailures opens the breaker after that many failures
	// in a row; 0 disables this trigger.
	BreakerConsecutiveFailures int
	// BreakerFailureRatio opens the breaker when at least that fraction of
	// at least BreakerMinRequests calls in BreakerWindow failed.
	BreakerFailureRatio float64
	BreakerMinRequests  int
	BreakerWindow       time.Duration
	// BreakerCooldown is how long the breaker stays open before it lets
	// BreakerProbes half-open probe calls through.
	BreakerCooldown time.Duration
	BreakerProbes   int

	// MaxInFlight bounds concurrent calls to the service (a bulkhead);
	// callers wait for a slot only while their deadline allows. 0 = no cap.
	MaxInFlight int
}

// Policy applies retries, a circuit breaker and a bulkhead to one service's
// calls. A nil *Policy calls exactly once.
type Policy struct {
	cfg     PolicyConfig
	breaker *gobreaker.CircuitBreaker[struct{}]
	slots   chan struct{}
	budget  *retryBudget
	hooks   PolicyHooks
}

// PolicyHooks lets metrics observe the policy; all fields are optional.
type PolicyHooks struct {
	OnRetry        func(service string)
	OnBreakerState func(service string, from, to gobreaker.State)
}

// NewPolicy returns a policy for service.
func NewPolicy(service string, cfg PolicyConfig, hooks PolicyHooks) *Policy {
	p := &Policy{cfg: cfg, hooks: hooks}
	if cfg.MaxInFlight > 0 {
		p.slots = make(chan struct{}, cfg.MaxInFlight)
	}
	if cfg.MaxRetries > 0 && cfg.RetryBudget > 0 {
		p.budget = &retryBudget{ratio: cfg.RetryBudget, balance: float64(cfg.RetryBurst), max: float64(max(cfg.RetryBurst, 1))}
	}
	if cfg.BreakerConsecutiveFailures > 0 || cfg.BreakerFailureRatio > 0 {
		p.breaker = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
			Name:        service,
			MaxRequests: uint32(max(cfg.BreakerProbes, 1)),
			Interval:    cfg.BreakerWindow,
			Timeout:     cfg.BreakerCooldown,
			ReadyToTrip: func(c gobreaker.Counts) bool {
				if n := cfg.BreakerConsecutiveFailures; n > 0 && c.ConsecutiveFailures >= uint32(n) {
					return true
				}
				if cfg.BreakerFailureRatio > 0 && c.Requests >= uint32(max(cfg.BreakerMinRequests, 1)) {
					return float64(c.TotalFailures)/float64(c.Requests) >= cfg.BreakerFailureRatio
				}
				return false
			},
			// Only failures that say the service is unwell count; a 4xx
			// or 404 is a healthy service answering.
			IsSuccessful: func(err error) bool {
				if err == nil {
					return true
				}
				e, ok := AsError(err)
				return ok && !e.Temp && e.Code != CodeBadResponse
			},
			OnStateChange: func(name string, from, to gobreaker.State) {
				if hooks.OnBreakerState != nil {
					hooks.OnBreakerState(name, from, to)
				}
			},
		})
	}
	return p
}

// BreakerState returns the breaker's state; closed when there is none.
func (p *Policy) BreakerState() gobreaker.State {
	if p == nil || p.breaker == nil {
		return gobreaker.StateClosed
	}
	return p.breaker.State()
}

// do runs attempt under the policy.
func (p *Policy) do(ctx context.Context, c *Client, req Request, attempt func(context.Context, int) error) error {
	if p == nil {
		return attempt(ctx, 0)
	}
	if p.slots != nil {
		select {
		case p.slots <- struct{}{}:
			defer func() { <-p.slots }()
		case <-ctx.Done():
			return c.fail(req, CodeOverloaded, 0, true, errors.New("no free slot before the deadline"))
		}
	}
	p.budget.deposit()
	for n := 0; ; n++ {
		err := p.guard(ctx, c, req, n, attempt)
		if err == nil {
			return nil
		}
		if e, ok := AsError(err); ok {
			e.Retries = n
		}
		if n >= p.cfg.MaxRetries || !retryable(err) || req.write() && req.IdempotencyKey == "" {
			return err
		}
		wait := p.backoff(n, err)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait+c.timeout/10 {
			return err // no time left for a useful retry
		}
		if !p.budget.withdraw() {
			return err
		}
		if p.hooks.OnRetry != nil {
			p.hooks.OnRetry(c.service)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// guard runs one attempt through the breaker.
func (p *Policy) guard(ctx context.Context, c *Client, req Request, n int, attempt func(context.Context, int) error) error {
	if p.breaker == nil {
		return attempt(ctx, n)
	}
	_, err := p.breaker.Execute(func() (struct{}, error) { return struct{}{}, attempt(ctx, n) })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return c.fail(req, CodeCircuitOpen, 0, true, err)
	}
	return err
}

// retryable: connection errors, 502/503/504 and 429 — never other 4xx,
// bad bodies, timeouts (the time is spent), an open breaker or a full
// bulkhead.
func retryable(err error) bool {
	e, ok := AsError(err)
	if !ok || !e.Temp {
		return false
	}
	switch e.Status {
	case 429, 502, 503, 504:
		return true
	}
	// A connection refused, or reset before the body was read: a GET is
	// idempotent, and a write is retried only with its Idempotency-Key.
	return e.Code == CodeUnavailable && e.Status < 300
}

func (p *Policy) backoff(n int, err error) time.Duration {
	base := p.cfg.RetryBackoff
	if base <= 0 {
		base = 20 * time.Millisecond
	}
	d := base << n
	// full jitter: spreads retries of many callers hit by the same blip
	d = time.Duration(rand.Int64N(int64(d)) + 1)
	if e, ok := AsError(err); ok && e.retryAfter > d {
		d = e.retryAfter
	}
	return d
}

func parseRetryAfter(v string) time.Duration {
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	return 0
}

// retryBudget earns ratio of a retry per call and spends one per retry;
// it starts with, and never holds more than, max (the burst).
type retryBudget struct {
	mu      sync.Mutex
	ratio   float64
	balance float64
	max     float64
}

func (b *retryBudget) deposit() {
	if b == nil {
		return
	}
	b.mu.Lock()
	// Capped, so a long healthy spell cannot bank a retry storm for the
	// next outage: at most max retries in a row, then ratio per call.
	b.balance = min(b.balance+b.ratio, b.max)
	b.mu.Unlock()
}

func (b *retryBudget) withdraw() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.balance < 1 {
		return false
	}
	b.balance--
	return true
}
