package gateway_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/bench/workload"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/services/demo"
)

// The product page's price is held for its related products' prices: the
// catalog's answer adds their ids to the same pricing queue (no
// parameters), and the price has nothing below it, so it fits in the two
// rounds the page takes anyway. One pricing call for all of them, as the
// hand-written floor makes it, whichever service answers first.
func TestProductPriceHeldForTheRelatedPrices(t *testing.T) {
	for _, tc := range []struct {
		name string
		slow demo.Service
	}{
		{"together", ""},
		{"catalog slow", demo.Catalog},
		{"reviews slow", demo.Reviews},
		{"inventory slow", demo.Inventory},
		{"pricing slow", demo.Pricing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.slow != "" {
				e.Backends.Server(tc.slow).SetFaults(demo.Faults{Latency: 15 * time.Millisecond})
			}
			for i := range 3 {
				e.Backends.ResetStats()
				r := e.Query(workload.ProductPage.Query, nil)
				if len(r.Errors) > 0 {
					t.Fatalf("errors: %+v", r.Errors)
				}
				related, _ := get(r.Data, "product", "related").([]any)
				if len(related) == 0 {
					t.Fatalf("p1 has no related products: %v", r.Data)
				}
				if got := e.Calls(demo.Pricing, "prices"); got != 1 {
					t.Fatalf("query %d: pricing calls %d, want 1", i, got)
				}
				if got := e.Stats(demo.Pricing).Endpoints["prices"].BatchSizes; len(got) != 1 || got[0] != 1+len(related) {
					t.Fatalf("query %d: pricing batch sizes %v, want [%d] (p1 and its related products)", i, got, 1+len(related))
				}
				if got := e.TotalCalls(); got != int64(workload.ProductPage.WantCalls) {
					t.Fatalf("query %d: backend calls %d, want %d", i, got, workload.ProductPage.WantCalls)
				}
			}
		})
	}
}

// A related look-up that hangs past the request's deadline does not take
// the product's price with it: the price went with the related products'
// ids when the catalog answered the product, and arrives; only the related
// products fail (partial data).
func TestProductPriceArrivesWhenTheRelatedLookUpHangs(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.RequestTimeout = 600 * time.Millisecond })
	e.Backends.OnRequest(func(s demo.Service, r *http.Request) {
		if s == demo.Catalog && !slices.Contains(strings.Split(r.URL.Query().Get("ids"), ","), "p1") {
			<-r.Context().Done() // the related products: past the deadline
		}
	})
	r := e.Query(workload.ProductPage.Query, nil)
	if get(r.Data, "product", "name") == nil || get(r.Data, "product", "price", "amount", "formatted") == nil {
		t.Fatalf("the product's name or price is missing: data %v errors %+v", r.Data, r.Errors)
	}
	if len(r.Errors) == 0 {
		t.Fatalf("no error for the hanging related look-up: %s", r.Raw)
	}
	for _, er := range r.Errors {
		if len(er.Path) < 2 || er.Path[1] != "related" {
			t.Errorf("error outside product.related: %+v", er)
		}
	}
	if got := e.Calls(demo.Pricing, "prices"); got != 1 {
		t.Errorf("pricing calls %d, want 1", got)
	}
}

// A catalog that hangs past the deadline holds the price at most half the
// time left: the held key still goes out, alone, before the deadline (the
// product itself then fails, with its catalog call).
func TestProductPriceHoldEndsBeforeTheDeadline(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.RequestTimeout = 400 * time.Millisecond })
	e.Backends.Server(demo.Catalog).SetFaults(demo.Faults{Latency: time.Hour})
	r := e.Query(workload.ProductPage.Query, nil)
	if len(r.Errors) == 0 {
		t.Fatalf("no error for the hanging catalog: %s", r.Raw)
	}
	if got := e.Stats(demo.Pricing).Endpoints["prices"].BatchSizes; len(got) != 1 || got[0] != 1 {
		t.Errorf("pricing batch sizes %v, want [1]: the held price sent alone when the hold ended", got)
	}
}

// The fan-out report carries the calls the plan makes next to the calls
// sent: on the bench's workloads they are the same, per service too.
func TestFanoutReportShowsThePlannedCalls(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.FanoutReport = true })
	for _, w := range workload.All() {
		e.Backends.ResetStats()
		r := e.queryWithReport(w.Query, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("%s: errors %+v", w.Name, r.Errors)
		}
		rep := get(r.Extensions, "tributary", "fanout")
		if got := get(rep, "plannedCalls"); got != float64(w.WantCalls) {
			t.Errorf("%s: planned calls %v, want %d", w.Name, got, w.WantCalls)
		}
		if got := get(rep, "totalCalls"); got != float64(e.TotalCalls()) {
			t.Errorf("%s: the report has %v calls, the backends counted %d", w.Name, got, e.TotalCalls())
		}
		for _, s := range demo.AllServices() {
			sr := get(rep, "services", string(s))
			if get(sr, "planned") != get(sr, "calls") {
				t.Errorf("%s: %s planned %v calls, sent %v", w.Name, s, get(sr, "planned"), get(sr, "calls"))
			}
		}
	}
}
