package gateway_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/bench/workload"
	"github.com/tributary-gw/tributary/graph/served"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/demo"
)

// The user query's ordered and reviewed products are one fetch step
// (catalog, round 2): they go to the catalog in one call whichever of
// orders and reviews answers first, and however far apart.
func TestRoundStepSharesOneCallWhenParentsAnswerApart(t *testing.T) {
	for _, tc := range []struct {
		name            string
		orders, reviews time.Duration
	}{
		{"together", 0, 0},
		{"orders slow", 15 * time.Millisecond, 0},
		{"reviews slow", 0, 15 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.Backends.Server(demo.Orders).SetFaults(demo.Faults{Latency: tc.orders})
			e.Backends.Server(demo.Reviews).SetFaults(demo.Faults{Latency: tc.reviews})
			for i := range 5 {
				e.Backends.ResetStats()
				r := e.Query(workload.User.Query, nil)
				if len(r.Errors) > 0 {
					t.Fatalf("errors: %+v", r.Errors)
				}
				if got := e.Calls(demo.Catalog, "products.byIds"); got != 1 {
					t.Fatalf("query %d: catalog products.byIds calls %d, want 1", i, got)
				}
				if got := e.TotalCalls(); got != int64(workload.User.WantCalls) {
					t.Fatalf("query %d: backend calls %d, want %d", i, got, workload.User.WantCalls)
				}
				// Every product of the user's orders and reviews, once.
				if got := e.Stats(demo.Catalog).Endpoints["products.byIds"].BatchSizes; len(got) != 1 {
					t.Fatalf("query %d: batch sizes %v, want one batch", i, got)
				}
			}
		})
	}
}

// A slow parent does not hold its round's step past the request's
// deadline: the reviews hang, the ordered products still go to the
// catalog (in time, half the time left at the hold), the reviews' field
// alone fails.
func TestRoundHoldEndsBeforeTheDeadline(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.RequestTimeout = 600 * time.Millisecond })
	e.Backends.Server(demo.Reviews).SetFaults(demo.Faults{Latency: time.Hour})
	r := e.Query(workload.User.Query, nil)
	if got := e.Calls(demo.Catalog, "products.byIds"); got != 1 {
		t.Errorf("catalog products.byIds calls %d, want 1 (the ordered products)", got)
	}
	orders, _ := get(r.Data, "user", "orders").([]any)
	if len(orders) == 0 {
		t.Fatalf("orders missing: data %v errors %+v", r.Data, r.Errors)
	}
	for _, o := range orders {
		for _, it := range get(o.(map[string]any), "items").([]any) {
			if get(it.(map[string]any), "product", "price", "amount", "formatted") == nil {
				t.Errorf("an ordered product's price is missing: errors %+v", r.Errors)
			}
		}
	}
	if len(r.Errors) == 0 {
		t.Errorf("no error for the hanging reviews")
	}
	for _, er := range r.Errors {
		if len(er.Path) < 2 || er.Path[1] != "reviews" {
			t.Errorf("error outside user.reviews: %+v", er)
		}
	}
}

// -explain plans a mutation's root fields one after another, each with
// its reads, and the backends count the calls it plans.
func TestExplainMutationMatchesCalls(t *testing.T) {
	q := `mutation { addReview(productId: "p1", rating: 5, body: "Fits.") { id author { name } } ` +
		`b: updateProfile(name: "Ann") { name reviews { product { name } } } }`
	cfg := config.Default()
	x, err := gateway.Explain(&cfg, served.Graph(), q, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	planned := 0
	for _, r := range x.Rounds {
		planned += len(r.Calls)
	}
	if x.Engine != engine.Plan || len(x.Rounds) != 5 {
		t.Errorf("explain: engine %s (%s), %d rounds, want the plan in 5 (a write, its read, a write, two reads)", x.Engine, x.Why, len(x.Rounds))
	}
	e := newEnv(t, withJWT)
	e.Backends.ResetStats()
	r := askWith(t, e.Client, token(t, "u1"), http.Header{}, q, nil)
	if !bytes.Contains(r, []byte(`"name":"Ann"`)) || bytes.Contains(r, []byte(`"errors"`)) {
		t.Fatalf("response: %s", r)
	}
	if got := e.TotalCalls(); got != int64(planned) {
		t.Errorf("the backends count %d calls, -explain plans %d", got, planned)
	}
}
