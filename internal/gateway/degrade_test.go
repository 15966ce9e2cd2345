package gateway_test

import (
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/services/demo"
)

// A @fallback field serves its last good value when its service fails,
// and the response says so.
func TestFallbackServesStaleValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.Services["reviews"].MaxRetries = 0 })
	const q = `{ product(id: "p1") { name ratingSummary { count } reviews(first: 2) { rating } stock { available } } }`
	fresh := e.Query(q, nil)
	if len(fresh.Errors) > 0 {
		t.Fatal(fresh.Errors)
	}
	if fresh.Extensions["tributary"] != nil {
		t.Errorf("fresh response reports degradation: %v", fresh.Extensions)
	}

	e.Backends.Server(demo.Reviews).SetFaults(demo.Faults{Down: true})
	r := e.Query(q, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("stale answers should not be errors: %s", r.Raw)
	}
	if got, want := get(r.Data, "product", "ratingSummary", "count"), get(fresh.Data, "product", "ratingSummary", "count"); got != want {
		t.Errorf("stale ratingSummary.count: got %v, want %v", got, want)
	}
	stale, _ := get(r.Extensions, "tributary", "stale").([]any)
	paths := map[string]bool{}
	for _, s := range stale {
		if get(s, "service") != "reviews" {
			t.Errorf("stale entry service: got %v, want reviews", get(s, "service"))
		}
		ps := []string{}
		for _, p := range get(s, "path").([]any) {
			ps = append(ps, p.(string))
		}
		paths[joinPath(ps)] = true
	}
	for _, want := range []string{"product.ratingSummary", "product.reviews"} {
		if !paths[want] {
			t.Errorf("extensions.tributary.stale lacks %s: %v", want, stale)
		}
	}

	// A product never fetched before has nothing stale to serve.
	r = e.Query(`{ product(id: "p2") { name ratingSummary { count } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "SERVICE_UNAVAILABLE" {
		t.Errorf("want one SERVICE_UNAVAILABLE for a key never fetched, got %s", r.Raw)
	}
}

func joinPath(ps []string) string {
	out := ""
	for i, p := range ps {
		if i > 0 {
			out += "."
		}
		out += p
	}
	return out
}

// When a critical service fails, the root field that needs it is null with
// the error; other root fields of the same query still resolve.
func TestCriticalFailureNullsOnlyItsRootField(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) {
		c.Services["pricing"].Critical = true
		c.Services["pricing"].MaxRetries = 0
	})
	e.Backends.Server(demo.Pricing).SetFaults(demo.Faults{Down: true})
	r := e.Query(`{ product(id: "p1") { name price { amount { formatted } } } user(id: "u1") { name } }`, nil)
	if v, ok := r.Data["product"]; !ok || v != nil {
		t.Errorf("product: got %v, want null", v)
	}
	if get(r.Data, "user", "name") == nil {
		t.Errorf("user should still resolve: %s", r.Raw)
	}
	codes := map[any]bool{}
	for _, er := range r.Errors {
		codes[er.Extensions["code"]] = true
	}
	if !codes["CRITICAL_FIELD_FAILED"] || !codes["SERVICE_UNAVAILABLE"] {
		t.Errorf("want CRITICAL_FIELD_FAILED and SERVICE_UNAVAILABLE, got %s", r.Raw)
	}

	// Without the setting the same failure only nulls the price.
	e2 := newEnv(t, func(c *config.Config) { c.Services["pricing"].MaxRetries = 0 })
	e2.Backends.Server(demo.Pricing).SetFaults(demo.Faults{Down: true})
	r = e2.Query(`{ product(id: "p1") { name price { amount { formatted } } } }`, nil)
	if get(r.Data, "product", "name") == nil || get(r.Data, "product", "price") != nil {
		t.Errorf("optional pricing: want name and a null price, got %s", r.Raw)
	}
}
