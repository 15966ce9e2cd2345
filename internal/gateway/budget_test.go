package gateway_test

import (
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
)

// An accidental N+1 (here: batching off) runs into the fan-out budget: an
// error in development, a flag (and a metric) in production.
func TestFanoutBudget(t *testing.T) {
	t.Parallel()
	const q = `query Listing { products(first: 10) { nodes { price { amount { formatted } } } } }`
	dev := newEnv(t, func(c *config.Config) {
		c.Batch.Mode = "off"
		c.Budget.Operations = []string{"Listing=5"}
	})
	r := dev.Query(q, nil)
	codes := map[any]int{}
	for _, e := range r.Errors {
		codes[e.Extensions["code"]]++
	}
	if codes["FANOUT_BUDGET_EXCEEDED"] == 0 {
		t.Errorf("development: want FANOUT_BUDGET_EXCEEDED, got %s", r.Raw)
	}
	if got := dev.TotalCalls(); got != 5 {
		t.Errorf("development: backend calls %d, want the budget of 5", got)
	}

	prod := newEnv(t, func(c *config.Config) {
		c.Batch.Mode = "off"
		c.Budget.Operations = []string{"Listing=5"}
		c.Budget.Enforce = false
	})
	r = prod.Query(q, nil)
	if len(r.Errors) > 0 {
		t.Errorf("production: errors %s", r.Raw)
	}
	if get(r.Extensions, "tributary", "fanoutBudgetExceeded") == nil {
		t.Errorf("production: the response does not say the budget was exceeded: %s", r.Raw)
	}
	// The plan makes 2 calls (the page, its prices): the run, not the
	// query's shape, went over the budget.
	if got := get(r.Extensions, "tributary", "fanoutBudgetExceeded", "planned"); got != float64(2) {
		t.Errorf("production: planned calls %v, want 2: %s", got, r.Raw)
	}
	if got := prod.TotalCalls(); got != 11 {
		t.Errorf("production: backend calls %d, want all 11", got)
	}

	// With batching on the same query is well inside the budget.
	ok := newEnv(t, func(c *config.Config) { c.Budget.Operations = []string{"Listing=5"} })
	if r := ok.Query(q, nil); len(r.Errors) > 0 || r.Extensions["tributary"] != nil {
		t.Errorf("batched: got %s", r.Raw)
	}
}
