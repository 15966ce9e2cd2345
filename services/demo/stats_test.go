package demo_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

func TestStatsCounters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		svc       demo.Service
		givePaths []string
		want      map[string]demo.EndpointStats // endpoints not listed must be zero
	}{
		{
			name: "catalog",
			svc:  demo.Catalog,
			givePaths: []string{
				"/products?ids=p1,p2,p2", "/products?ids=p9", "/products?ids=" + ids("p", 101),
				"/products?first=5", "/products", "/products?first=0",
				"/products/p1", "/products/nope",
			},
			want: map[string]demo.EndpointStats{
				"products.byIds": {Calls: 3, IDs: 105, BatchSizes: []int{3, 1, 101}, PeakConcurrent: 1, Errors: 1},
				"products.list":  {Calls: 3, IDs: 0, BatchSizes: []int{}, PeakConcurrent: 1, Errors: 1},
				"products.get":   {Calls: 2, IDs: 2, BatchSizes: []int{1, 1}, PeakConcurrent: 1, Errors: 1},
			},
		},
		{
			name:      "reviews",
			svc:       demo.Reviews,
			givePaths: []string{"/reviews?productIds=p1,p2", "/reviews?authorIds=u1,u2,u3", "/reviews", "/reviews?productIds=p1&authorIds=u1"},
			want: map[string]demo.EndpointStats{
				// Neither or both parameters count as reviews.byProduct.
				"reviews.byProduct": {Calls: 3, IDs: 3, BatchSizes: []int{2, 1}, PeakConcurrent: 1, Errors: 2},
				"reviews.byAuthor":  {Calls: 1, IDs: 3, BatchSizes: []int{3}, PeakConcurrent: 1},
			},
		},
		{
			name:      "pricing",
			svc:       demo.Pricing,
			givePaths: []string{"/prices?productIds=p1", "/prices?productIds=p1,p2&currency=XXX", "/prices?productIds="},
			want: map[string]demo.EndpointStats{
				"prices": {Calls: 3, IDs: 3, BatchSizes: []int{1, 2}, PeakConcurrent: 1, Errors: 2},
			},
		},
		{
			name:      "unknown paths are not counted",
			svc:       demo.Inventory,
			givePaths: []string{"/nope", "/inventory/p1", "/_demo/stats"},
			want:      map[string]demo.EndpointStats{},
		},
		{
			name:      "orders",
			svc:       demo.Orders,
			givePaths: []string{"/orders?userIds=u1,u1", "/orders/o1", "/orders/o2"},
			want: map[string]demo.EndpointStats{
				"orders.byUser": {Calls: 1, IDs: 2, BatchSizes: []int{2}, PeakConcurrent: 1},
				"orders.get":    {Calls: 2, IDs: 2, BatchSizes: []int{1, 1}, PeakConcurrent: 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tributarytest.StartBackends(t, nil)
			for _, p := range tt.givePaths {
				get(t, b.URL(tt.svc)+p)
			}
			st := b.Server(tt.svc).Stats()
			if got, want := slices.Sorted(mapsKeys(st.Endpoints)), slices.Sorted(slices.Values(tt.svc.Endpoints())); !slices.Equal(got, want) {
				t.Errorf("got endpoints %v, want %v", got, want)
			}
			var wantTotal int64
			for _, name := range tt.svc.Endpoints() {
				want, ok := tt.want[name]
				if !ok {
					want = demo.EndpointStats{BatchSizes: []int{}}
				}
				wantTotal += want.Calls
				if got := st.Endpoints[name]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s: got %+v, want %+v", name, got, want)
				}
				if got := st.Calls(name); got != want.Calls {
					t.Errorf("got Calls(%q) %d, want %d", name, got, want.Calls)
				}
			}
			if got := st.TotalCalls(); got != wantTotal {
				t.Errorf("got TotalCalls %d, want %d", got, wantTotal)
			}
			if st.InFlight != 0 {
				t.Errorf("got InFlight %d, want 0", st.InFlight)
			}
		})
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestStatsMethodNotAllowedCounted(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	do(t, context.Background(), http.MethodPost, b.URL(demo.Users)+"/users?ids=u1,u2", "")
	st := b.Server(demo.Users).Stats().Endpoints["users.byIds"]
	if st.Calls != 1 || st.Errors != 1 || st.IDs != 2 {
		t.Errorf("got %+v, want 1 call, 1 error, 2 ids", st)
	}
}

func TestStatsPeakConcurrency(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	s := b.Server(demo.Users)
	// Calls wait an hour, so all of them are in flight together until the
	// client cancels them.
	s.SetFaults(demo.Faults{Latency: time.Hour})

	const byIDs, gets = 5, 3
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	call := func(path string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.URL(demo.Users)+path, nil)
		if err != nil {
			t.Error(err)
			return
		}
		if resp, err := testClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	for range byIDs {
		wg.Go(func() { call("/users?ids=u1,u2") })
	}
	for range gets {
		wg.Go(func() { call("/users/u3") })
	}
	poll.Until(t, "all calls in flight", func() bool { return s.Stats().InFlight == byIDs+gets })

	st := s.Stats()
	tests := []struct {
		name         string
		got          demo.EndpointStats
		wantInFlight int64
	}{
		{"users.byIds", st.Endpoints["users.byIds"], byIDs},
		{"users.get", st.Endpoints["users.get"], gets},
	}
	for _, tt := range tests {
		if tt.got.InFlight != tt.wantInFlight || tt.got.PeakConcurrent != tt.wantInFlight || tt.got.Calls != tt.wantInFlight {
			t.Errorf("%s: got %+v, want calls, inFlight and peak %d", tt.name, tt.got, tt.wantInFlight)
		}
	}
	if st.PeakConcurrent != byIDs+gets {
		t.Errorf("got server peak %d, want %d", st.PeakConcurrent, byIDs+gets)
	}

	// Reset while calls are in flight: the peak restarts from the current level.
	s.ResetStats()
	if st := s.Stats(); st.PeakConcurrent != byIDs+gets || st.TotalCalls() != 0 {
		t.Errorf("got peak %d and %d calls after reset, want %d and 0", st.PeakConcurrent, st.TotalCalls(), byIDs+gets)
	}

	cancel()
	wg.Wait()
	poll.Until(t, "all calls to end", func() bool { return s.Stats().InFlight == 0 })
	st = s.Stats()
	if got := st.Endpoints["users.byIds"]; got.InFlight != 0 || got.Errors != byIDs {
		t.Errorf("got %+v, want 0 in flight and %d errors (cancelled)", got, byIDs)
	}
	if st.PeakConcurrent != byIDs+gets {
		t.Errorf("got server peak %d, want %d", st.PeakConcurrent, byIDs+gets)
	}
	s.ResetStats()
	if got := s.Stats().PeakConcurrent; got != 0 {
		t.Errorf("got peak %d after reset with nothing in flight, want 0", got)
	}
}

func TestStatsBatchSizesCapped(t *testing.T) {
	t.Parallel()
	s := demo.NewServer(demo.Users, demo.DefaultDataset())
	const calls = demo.MaxBatchSizes + 5
	for range calls {
		req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/users?ids=u1,u2", nil)
		s.ServeHTTP(httptest.NewRecorder(), req)
	}
	st := s.Stats().Endpoints["users.byIds"]
	if got, want := len(st.BatchSizes), demo.MaxBatchSizes; got != want {
		t.Errorf("got %d batch sizes, want %d", got, want)
	}
	if got, want := st.Calls, int64(calls); got != want {
		t.Errorf("got %d calls, want %d", got, want)
	}
	if got, want := st.IDs, int64(2*calls); got != want {
		t.Errorf("got %d ids, want %d", got, want)
	}
	s.ResetStats()
	if got := s.Stats().Endpoints["users.byIds"]; got.Calls != 0 || got.IDs != 0 || len(got.BatchSizes) != 0 {
		t.Errorf("got %+v after reset, want zero counters", got)
	}
}

func TestAdminStats(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	base := b.URL(demo.Catalog)
	get(t, base+"/products?ids=p1,p2")
	get(t, base+"/products/p3")

	r := get(t, base+"/_demo/stats")
	if r.status != http.StatusOK {
		t.Fatalf("got status %d, want 200", r.status)
	}
	checkContentType(t, r)
	var got demo.Stats
	decode(t, r, &got)
	if want := b.Server(demo.Catalog).Stats(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got.Calls("products.byIds") != 1 || got.Calls("products.get") != 1 || got.TotalCalls() != 2 {
		t.Errorf("got %+v, want one byIds and one get call", got)
	}

	tests := []struct {
		name       string
		giveMethod string
		givePath   string
		wantStatus int
	}{
		{"reset needs POST", http.MethodGet, "/_demo/stats/reset", http.StatusMethodNotAllowed},
		{"stats needs GET", http.MethodPost, "/_demo/stats", http.StatusMethodNotAllowed},
		{"reset", http.MethodPost, "/_demo/stats/reset", http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, context.Background(), tt.giveMethod, base+tt.givePath, "")
			if tt.wantStatus == http.StatusNoContent {
				if r.status != tt.wantStatus || len(r.body) != 0 {
					t.Errorf("got status %d and body %q, want %d and none", r.status, r.body, tt.wantStatus)
				}
				return
			}
			checkError(t, r, tt.wantStatus)
		})
	}
	if got := b.Server(demo.Catalog).Stats().TotalCalls(); got != 0 {
		t.Errorf("got %d calls after reset, want 0", got)
	}
}
