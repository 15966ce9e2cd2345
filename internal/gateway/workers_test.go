package gateway_test

import (
	"sync"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

// Requests whose backend calls outlast their deadline hold workers only
// until then: the resolver and backend calls they ran on workers end with
// the request's context, and the workers stay (idle, bounded) for later
// requests. (After the test, Close ends them: TestMain checks for leaks.)
func TestWorkersEndWithTheirRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.RequestTimeout = 200 * time.Millisecond })
	e.Backends.WithLatency(time.Minute)
	const requests = 20
	var wg sync.WaitGroup
	answered := make([]bool, requests)
	for i := range requests {
		wg.Go(func() {
			r := e.QueryNoFatal(`{ product(id: "p1") { name price { amount { formatted } } reviews(first: 3) { author { name } } } }`, nil)
			answered[i] = r != nil && len(r.Errors) > 0
		})
	}
	poll.Until(t, "the requests' calls on workers", func() bool { _, busy := e.GW.Workers(); return busy >= requests })
	wg.Wait()
	for i, ok := range answered {
		if !ok {
			t.Errorf("request %d: got no answer with errors, want the deadline's", i)
		}
	}
	poll.Until(t, "every worker to be free", func() bool { _, busy := e.GW.Workers(); return busy == 0 })
	if alive, _ := e.GW.Workers(); alive < requests {
		t.Errorf("workers kept: got %d, want at least %d (one per request's call)", alive, requests)
	}
}
