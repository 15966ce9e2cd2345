package gateway_test

import (
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

const priceQuery = `{ product(id: "p1") { name price { amount { formatted } } } }`

func TestBreakerOpensFailsFastAndRecovers(t *testing.T) {
	t.Parallel()
	// Long enough that the five open queries below fit in it on a loaded
	// machine; the recovery is polled, not slept for.
	const cooldown = time.Second
	e := newEnv(t, func(c *config.Config) {
		c.Services["pricing"].MaxRetries = 0
		c.Services["pricing"].BreakerConsecutiveFailures = 3
		c.Services["pricing"].BreakerFailureRatio = 0
		c.Services["pricing"].BreakerCooldown = cooldown
		c.Services["pricing"].BreakerProbes = 1
	})
	pricing := e.Backends.Server(demo.Pricing)
	pricing.SetFaults(demo.Faults{Down: true})

	code := func() any {
		r := e.Query(priceQuery, nil)
		if get(r.Data, "product", "name") == nil {
			t.Fatalf("product missing: %s", r.Raw)
		}
		if len(r.Errors) == 0 {
			return nil
		}
		return r.Errors[0].Extensions["code"]
	}
	for i := range 3 {
		if got := code(); got != "SERVICE_UNAVAILABLE" {
			t.Fatalf("failure %d: got %v, want SERVICE_UNAVAILABLE", i, got)
		}
	}
	if got := pricing.Stats().Calls("prices"); got != 3 {
		t.Fatalf("pricing calls before opening: got %d, want 3", got)
	}
	for i := range 5 {
		if got := code(); got != "CIRCUIT_OPEN" {
			t.Fatalf("open query %d: got %v, want CIRCUIT_OPEN", i, got)
		}
	}
	if got := pricing.Stats().Calls("prices"); got != 3 {
		t.Errorf("pricing calls while open: got %d, want still 3", got)
	}

	pricing.SetFaults(demo.Faults{})
	// Open until the cool-down passes (no call made), then the probe.
	poll.Within(t, 10*cooldown, "the probe to succeed after the cool-down", func() bool {
		got := code()
		if got != nil && got != "CIRCUIT_OPEN" {
			t.Fatalf("probe: got %v, want CIRCUIT_OPEN until the cool-down passes, then success", got)
		}
		return got == nil
	})
	if got := code(); got != nil {
		t.Fatalf("after the probe: got %v, want success (closed)", got)
	}
	if got := pricing.Stats().Calls("prices"); got != 5 {
		t.Errorf("pricing calls after recovery: got %d, want 5", got)
	}
}

// Under a service failing half its calls, retries stay within the budget.
func TestRetriesStayWithinBudget(t *testing.T) {
	t.Parallel()
	const (
		queries = 200
		budget  = 0.2
		burst   = 2
	)
	e := newEnv(t, func(c *config.Config) {
		c.Services["pricing"].MaxRetries = 3
		c.Services["pricing"].RetryBackoff = time.Millisecond
		c.Services["pricing"].RetryBudget = budget
		c.Services["pricing"].RetryBurst = burst
		c.Services["pricing"].BreakerConsecutiveFailures = 0
		c.Services["pricing"].BreakerFailureRatio = 0
	})
	pricing := e.Backends.Server(demo.Pricing)
	pricing.SetFaults(demo.Faults{ErrorRate: 0.5})
	for range queries {
		e.Query(priceQuery, nil)
	}
	calls := pricing.Stats().Calls("prices")
	retries := calls - queries
	if max := int64(budget*queries) + burst; retries > max {
		t.Errorf("retries: got %d, want at most %d (%.0f%% of %d calls + %d)", retries, max, budget*100, queries, burst)
	}
	if retries < 10 {
		t.Errorf("retries: got %d, want the budget used (a 50%% failure rate)", retries)
	}
}

// A 4xx other than 429 is never retried.
func TestClientErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pricing := e.Backends.Server(demo.Pricing)
	pricing.SetFaults(demo.Faults{ErrorRate: 1, Status: 400})
	r := e.Query(priceQuery, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_REQUEST" {
		t.Errorf("want one BAD_REQUEST, got %s", r.Raw)
	}
	if got := pricing.Stats().Calls("prices"); got != 1 {
		t.Errorf("pricing calls: got %d, want 1", got)
	}
}

// The bulkhead caps calls in flight to one service; callers wait for a
// slot within their deadline.
func TestBulkheadCapsInFlightCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) {
		c.Services["pricing"].MaxInFlight = 2
		c.Batch.Share = false // eight identical requests would share one call
	})
	pricing := e.Backends.Server(demo.Pricing)
	pricing.SetFaults(demo.Faults{Latency: 30 * time.Millisecond})
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			e.QueryNoFatal(priceQuery, nil)
		}()
	}
	for range 8 {
		<-done
	}
	st := pricing.Stats()
	if st.Calls("prices") != 8 {
		t.Errorf("pricing calls: got %d, want 8", st.Calls("prices"))
	}
	if st.PeakConcurrent > 2 {
		t.Errorf("peak concurrent pricing calls: got %d, want at most 2", st.PeakConcurrent)
	}
}

// /readyz lists each breaker; with readyz_backends it fails while a
// critical service's circuit is open.
func TestReadyzReflectsCriticalBreakers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) {
		c.ReadyzBackends = true
		c.Services["pricing"].Critical = true
		c.Services["pricing"].MaxRetries = 0
		c.Services["pricing"].BreakerConsecutiveFailures = 1
		c.Services["pricing"].BreakerCooldown = time.Minute
	})
	readyz := func() int {
		resp, err := e.Server.Client().Get(e.Server.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := readyz(); got != 200 {
		t.Fatalf("before: got %d, want 200", got)
	}
	e.Backends.Server(demo.Pricing).SetFaults(demo.Faults{Down: true})
	e.Query(priceQuery, nil)
	if got := readyz(); got != 503 {
		t.Errorf("with pricing's circuit open: got %d, want 503", got)
	}
}
