package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/bench/benchenv"
	"github.com/tributary-gw/tributary/bench/workload"
	"github.com/tributary-gw/tributary/graph/model"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// floorEnv is the floor behind httptest over the demo backends b.
type floorEnv struct {
	b   *demo.Backends
	url string
	c   *http.Client
}

func startFloor(tb testing.TB, b *demo.Backends) *floorEnv {
	tb.Helper()
	tr := NewTransport()
	f := NewFloor(Backends{
		Catalog:   b.URL(demo.Catalog),
		Pricing:   b.URL(demo.Pricing),
		Inventory: b.URL(demo.Inventory),
		Reviews:   b.URL(demo.Reviews),
		Users:     b.URL(demo.Users),
		Orders:    b.URL(demo.Orders),
	}, &http.Client{Transport: tr})
	srv := httptest.NewServer(f.Handler())
	tb.Cleanup(func() { srv.Close(); tr.CloseIdleConnections() })
	return &floorEnv{b: b, url: srv.URL, c: srv.Client()}
}

func (f *floorEnv) get(path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, f.url+path, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := f.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

func (f *floorEnv) totalCalls() int64 {
	var n int64
	for _, s := range demo.AllServices() {
		n += f.b.Server(s).Stats().TotalCalls()
	}
	return n
}

// The floor is only a floor if it does the same job: for every workload its
// answer equals the gateway's data, compared as decoded JSON.
func TestFloorAnswersLikeTheGateway(t *testing.T) {
	b := tributarytest.StartBackends(t, nil).Backends
	gw := benchenv.StartOver(t, b)
	fl := startFloor(t, b)
	tests := []struct {
		w         workload.Workload
		wantCalls int64 // the floor's; the gateway's is w.WantCalls
	}{
		{workload.Listing, 6},
		{workload.Dashboard, 5},
		{workload.ProductPage, 6}, // the product's price rides with the related products'
		{workload.User, 6},        // reviewed and ordered products at their own levels
		{workload.HotProduct, 5},
	}
	for _, tt := range tests {
		t.Run(tt.w.Name, func(t *testing.T) {
			raw, err := gw.Query(context.Background(), tt.w)
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			b.ResetStats()
			status, got, err := fl.get(tt.w.FloorPath)
			if err != nil {
				t.Fatal(err)
			}
			if status != http.StatusOK {
				t.Fatalf("floor: got status %d, want 200: %s", status, got)
			}
			var gotData map[string]any
			if err := json.Unmarshal(got, &gotData); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gotData, want) {
				t.Errorf("floor answer differs from the gateway's\ngot  %s\nwant %s", got, raw)
			}
			if n := fl.totalCalls(); n != tt.wantCalls {
				t.Errorf("floor: got %d backend calls, want %d", n, tt.wantCalls)
			}
		})
	}
}

// Unknown ids answer null like the gateway; a failing backend is a 502.
func TestFloorEdges(t *testing.T) {
	b := tributarytest.StartBackends(t, nil).Backends
	gw := benchenv.StartOver(t, b)
	fl := startFloor(t, b)

	for _, tt := range []struct{ query, path string }{
		{`{ product(id: "nope") { name } }`, "/product?id=nope"},
		{`{ dashboard(userId: "nobody") { user { name } } }`, "/dashboard?user=nobody"},
		{strings.Replace(workload.Listing.Query, `"shoes"`, `"no-such"`, 1), "/listing?category=no-such"},
	} {
		raw, err := gw.Query(context.Background(), workload.Workload{Query: tt.query})
		if err != nil {
			t.Fatal(err)
		}
		_, got, err := fl.get(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		var g, w map[string]any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: got %s, want %s", tt.path, got, raw)
		}
	}

	b.Server(demo.Pricing).SetFaults(demo.Faults{Down: true})
	if status, body, err := fl.get(workload.Listing.FloorPath); err != nil || status != http.StatusBadGateway {
		t.Errorf("pricing down: got status %d (%v), want 502: %s", status, err, body)
	}
	if status, body, _ := fl.get("/listing?first=0"); status != http.StatusBadRequest {
		t.Errorf("first=0: got status %d, want 400: %s", status, body)
	}
}

// More than 100 ids go out in parallel calls of at most 100.
func TestFloorSplitsBatches(t *testing.T) {
	b := tributarytest.StartBackends(t, nil).Backends
	fl := startFloor(t, b)
	f := NewFloor(Backends{Catalog: b.URL(demo.Catalog)}, fl.c)
	ids := make([]string, 250)
	for i := range ids {
		ids[i] = fmt.Sprintf("p%d", i+1)
	}
	got, err := f.products(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 {
		t.Errorf("got %d products, want 250", len(got))
	}
	if sizes := b.Server(demo.Catalog).Stats().Endpoints[demo.EndpointProductsByIDs].BatchSizes; len(sizes) != 3 || max(sizes[0], sizes[1], sizes[2]) != 100 {
		t.Errorf("batch sizes: got %v, want three calls of at most 100", sizes)
	}
}

func TestFormatMoneyMatchesTheGateway(t *testing.T) {
	for _, cur := range append(demo.Currencies(), "CHF", "CAD", "XYZ") {
		for _, cents := range []int64{0, 5, 99, 100, 1999, 123456, 100000000, -350, -7} {
			want := (&model.Money{AmountCents: cents, Currency: cur}).Formatted()
			if got := formatMoney(cents, cur); got != want {
				t.Errorf("formatMoney(%d, %s): got %q, want %q", cents, cur, got, want)
			}
		}
	}
}

// The floor's cost in the same setting as bench/'s gateway benchmarks:
// serial queries over the demo backends in process, client included.
func BenchmarkFloor(b *testing.B) {
	for _, w := range workload.All() {
		b.Run(w.Name, func(b *testing.B) {
			be := tributarytest.StartBackends(b, nil).Backends
			fl := startFloor(b, be)
			for range 20 {
				if status, body, err := fl.get(w.FloorPath); err != nil || status != http.StatusOK {
					b.Fatalf("status %d, %v: %s", status, err, body)
				}
			}
			be.ResetStats()
			b.ReportAllocs()
			for b.Loop() {
				if status, _, err := fl.get(w.FloorPath); err != nil || status != http.StatusOK {
					b.Fatalf("status %d, %v", status, err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(fl.totalCalls())/float64(b.N), "calls/op")
		})
	}
}
