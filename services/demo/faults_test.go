package demo_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

func TestFaultsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		give       demo.Faults
		wantStatus int
		wantError  string
	}{
		{"error rate 1", demo.Faults{ErrorRate: 1}, http.StatusServiceUnavailable, "injected failure"},
		{"error rate 1 with status 500", demo.Faults{ErrorRate: 1, Status: 500}, http.StatusInternalServerError, "injected failure"},
		{"error rate 1 with status 429", demo.Faults{ErrorRate: 1, Status: 429}, http.StatusTooManyRequests, "injected failure"},
		{"down", demo.Faults{Down: true}, http.StatusServiceUnavailable, "service down"},
		{"down wins over error rate", demo.Faults{Down: true, ErrorRate: 1, Status: 500}, http.StatusServiceUnavailable, "service down"},
	}
	const calls = 20
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tributarytest.StartBackends(t, nil)
			b.SetFaults(tt.give)
			for _, svc := range demo.AllServices() {
				for range calls {
					r := get(t, b.URL(svc)+pathOf(svc))
					checkError(t, r, tt.wantStatus)
					var e demo.ErrorBody
					decode(t, r, &e)
					if e.Error != tt.wantError {
						t.Errorf("got error %q, want %q", e.Error, tt.wantError)
					}
				}
				st := b.Server(svc).Stats()
				if got, want := st.TotalCalls(), int64(calls); got != want {
					t.Errorf("%s: got %d calls, want %d", svc, got, want)
				}
				var errs int64
				for _, e := range st.Endpoints {
					errs += e.Errors
				}
				if got, want := errs, int64(calls); got != want {
					t.Errorf("%s: got %d errors, want %d", svc, got, want)
				}
			}
			// Admin endpoints are never faulted.
			if r := get(t, b.URL(demo.Catalog)+"/_demo/stats"); r.status != http.StatusOK {
				t.Errorf("got admin status %d, want 200", r.status)
			}
			// Clearing the faults restores service.
			b.SetFaults(demo.Faults{})
			if r := get(t, b.URL(demo.Users)+"/users/u1"); r.status != http.StatusOK {
				t.Errorf("got status %d after clearing faults, want 200", r.status)
			}
		})
	}
}

// pathOf is a valid request path of each service.
func pathOf(svc demo.Service) string {
	return map[demo.Service]string{
		demo.Catalog:   "/products?ids=p1,p2",
		demo.Pricing:   "/prices?productIds=p1",
		demo.Inventory: "/inventory?productIds=p1",
		demo.Reviews:   "/reviews?productIds=p1",
		demo.Users:     "/users/u1",
		demo.Orders:    "/orders?userIds=u1",
	}[svc]
}

func TestFaultsPartialErrorRate(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	s := b.Server(demo.Users)
	s.SetFaults(demo.Faults{ErrorRate: 0.5})
	const calls = 200
	failed := int64(0)
	for range calls {
		switch r := get(t, b.URL(demo.Users)+"/users?ids=u1"); r.status {
		case http.StatusOK:
		case http.StatusServiceUnavailable:
			failed++
		default:
			t.Fatalf("got status %d, want 200 or 503", r.status)
		}
	}
	// The chance of all or none failing is 2^-199.
	if failed == 0 || failed == calls {
		t.Errorf("got %d of %d calls failed, want some but not all", failed, calls)
	}
	if got := s.Stats().Endpoints["users.byIds"].Errors; got != failed {
		t.Errorf("got %d errors counted, want %d (as observed)", got, failed)
	}
}

func TestFaultsLatencyCancelledByClient(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	s := b.Server(demo.Orders)
	// An hour of latency: the call can only end through cancellation.
	s.SetFaults(demo.Faults{Latency: time.Hour})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.URL(demo.Orders)+"/orders/o1", nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		resp, err := testClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	poll.Until(t, "the call to be in flight", func() bool { return s.Stats().InFlight == 1 })
	// The latency holds the call: no answer yet.
	select {
	case err := <-errc:
		t.Fatalf("got an answer (err %v) during injected latency, want none", err)
	default:
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("got client error %v, want context.Canceled", err)
	}
	// The handler stops sleeping when the client goes away.
	poll.Until(t, "the handler to end", func() bool { return s.Stats().InFlight == 0 })
	st := s.Stats().Endpoints["orders.get"]
	if st.Calls != 1 || st.Errors != 1 || st.InFlight != 0 || st.PeakConcurrent != 1 {
		t.Errorf("got stats %+v, want 1 call, 1 error, 0 in flight, peak 1", st)
	}
}

func TestFaultsLatencyThenAnswer(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	s := b.Server(demo.Inventory)
	s.SetFaults(demo.Faults{Latency: time.Millisecond, Jitter: time.Millisecond})
	r := get(t, b.URL(demo.Inventory)+"/inventory?productIds=p1")
	if r.status != http.StatusOK {
		t.Fatalf("got status %d, want 200", r.status)
	}
	if st := s.Stats().Endpoints["inventory"]; st.Calls != 1 || st.Errors != 0 {
		t.Errorf("got stats %+v, want 1 call, 0 errors", st)
	}
}

func TestAdminFaults(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	base := b.URL(demo.Pricing) + "/_demo/faults"
	s := b.Server(demo.Pricing)
	ctx := context.Background()

	tests := []struct {
		name       string
		giveMethod string
		giveBody   string
		wantStatus int
		want       demo.Faults // the server's faults afterwards
	}{
		{"get defaults", http.MethodGet, "", http.StatusOK, demo.Faults{Status: 503}},
		{"put all", http.MethodPut, `{"latency":"20ms","jitter":"5ms","errorRate":0.25,"down":false,"status":500}`, http.StatusOK,
			demo.Faults{Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, ErrorRate: 0.25, Status: 500}},
		{"partial update keeps the rest", http.MethodPost, `{"down":true}`, http.StatusOK,
			demo.Faults{Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, ErrorRate: 0.25, Down: true, Status: 500}},
		{"status 0 means default", http.MethodPut, `{"status":0,"latency":"0s"}`, http.StatusOK,
			demo.Faults{Jitter: 5 * time.Millisecond, ErrorRate: 0.25, Down: true, Status: 503}},
		{"bad JSON", http.MethodPut, `{"down":`, http.StatusBadRequest,
			demo.Faults{Jitter: 5 * time.Millisecond, ErrorRate: 0.25, Down: true, Status: 503}},
		{"empty body", http.MethodPut, ``, http.StatusBadRequest,
			demo.Faults{Jitter: 5 * time.Millisecond, ErrorRate: 0.25, Down: true, Status: 503}},
		{"unknown field", http.MethodPut, `{"latencyMs":20}`, http.StatusBadRequest,
			demo.Faults{Jitter: 5 * time.Millisecond, ErrorRate: 0.25, Down: true, Status: 503}},
		{"numeric duration", http.MethodPut, `{"latency":20}`, http.StatusBadRequest,
			demo.Faults{Jitter: 5 * time.Millisecond, ErrorRate: 0.25, Down: true, Status: 503}},
		{"bad duration", http.MethodPut, `{"latency":"soon"}`, http.StatusBadRequest,
			demo.Faults{Jitter: 5 * time.Millisecond, ErrorRate: 0.25, Down: true, Status: 503}},
		{"negative duration", http.MethodPut, `{"jitter":"-1s"}`, http.StatusBadRequest,
			demo.Faults{Jitter: 5 * time.Millisecond, ErrorRate: 0.25, Down: true, Status: 503}},
		{"error rate above 1", http.MethodPut, `{"errorRate":1.5}`, http.StatusBadRequest,
			demo.Faults{Jitter: 5 * time.Millisecond, ErrorRate: 0.25, Down: true, Status: 503}},
		{"2xx status", http.MethodPut, `{"status":200}`, http.StatusBadRequest,
			demo.Faults{Jitter: 5 * time.Millisecond, ErrorRate: 0.25, Down: true, Status: 503}},
		{"invalid fields change nothing", http.MethodPut, `{"down":false,"errorRate":-1}`, http.StatusBadRequest,
			demo.Faults{Jitter: 5 * time.Millisecond, ErrorRate: 0.25, Down: true, Status: 503}},
		{"wrong method", http.MethodDelete, ``, http.StatusMethodNotAllowed,
			demo.Faults{Jitter: 5 * time.Millisecond, ErrorRate: 0.25, Down: true, Status: 503}},
		{"clear", http.MethodPut, `{"latency":"0s","jitter":"0s","errorRate":0,"down":false}`, http.StatusOK,
			demo.Faults{Status: 503}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, ctx, tt.giveMethod, base, tt.giveBody)
			if tt.wantStatus != http.StatusOK {
				checkError(t, r, tt.wantStatus)
			} else {
				checkContentType(t, r)
				var got demo.Faults
				if err := json.Unmarshal(r.body, &got); err != nil || got != tt.want {
					t.Errorf("got answer %s (%v), want %+v", r.body, err, tt.want)
				}
			}
			if got := s.Faults(); got != tt.want {
				t.Errorf("got faults %+v, want %+v", got, tt.want)
			}
		})
	}

	t.Run("JSON shape", func(t *testing.T) {
		s.SetFaults(demo.Faults{Latency: 20 * time.Millisecond})
		r := get(t, base)
		want := `{"latency":"20ms","jitter":"0s","errorRate":0,"down":false,"status":503}`
		if got := string(r.body); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("faults set over HTTP take effect", func(t *testing.T) {
		do(t, ctx, http.MethodPut, base, `{"down":true}`)
		checkError(t, get(t, b.URL(demo.Pricing)+"/prices?productIds=p1"), http.StatusServiceUnavailable)
		do(t, ctx, http.MethodPut, base, `{"down":false}`)
		if r := get(t, b.URL(demo.Pricing)+"/prices?productIds=p1"); r.status != http.StatusOK {
			t.Errorf("got status %d, want 200", r.status)
		}
	})
	t.Run("other services are unaffected", func(t *testing.T) {
		if got, want := b.Server(demo.Catalog).Faults(), (demo.Faults{Status: 503}); got != want {
			t.Errorf("got catalog faults %+v, want %+v", got, want)
		}
	})
}

func TestSetFaultsNormalizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give demo.Faults
		want demo.Faults
	}{
		{"zero", demo.Faults{}, demo.Faults{Status: 503}},
		{"clamps", demo.Faults{Latency: -1, Jitter: -1, ErrorRate: 2, Status: 200}, demo.Faults{ErrorRate: 1, Status: 503}},
		{"negative rate", demo.Faults{ErrorRate: -0.5, Status: 502}, demo.Faults{Status: 502}},
		{"kept", demo.Faults{Latency: time.Second, Jitter: time.Millisecond, ErrorRate: 0.1, Down: true, Status: 429},
			demo.Faults{Latency: time.Second, Jitter: time.Millisecond, ErrorRate: 0.1, Down: true, Status: 429}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := demo.NewServer(demo.Catalog, demo.DefaultDataset())
			s.SetFaults(tt.give)
			if got := s.Faults(); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
