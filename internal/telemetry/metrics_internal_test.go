package telemetry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-gw/tributary/internal/upstream"
)

func TestStatusClass(t *testing.T) {
	t.Parallel()
	for status := -1; status <= 700; status++ {
		want := "error"
		if status >= 100 && status <= 599 {
			want = strconv.Itoa(status/100) + "xx"
		}
		if got := statusClass(status); got != want {
			t.Errorf("%d: got %q, want %q", status, got, want)
		}
	}
}

// The metrics keep one entry per service endpoint however many calls,
// ids, statuses and attempts go to it: the entries are bounded by the
// gateway's endpoints, not by what requests ask for.
func TestEndpointMetricsAreBoundedByEndpoints(t *testing.T) {
	t.Parallel()
	m := NewMetrics(prometheus.NewRegistry())
	ctx := context.Background()
	for i := range 1000 {
		c := upstream.Call{Service: "catalog", Endpoint: "products.byIds", IDs: i%100 + 1, Attempt: i % 3,
			Status: []int{0, 200, 404, 503}[i%4], Duration: time.Duration(i) * time.Microsecond}
		if i%2 == 1 {
			c.Endpoint = "products.list"
		}
		m.CallStarted(ctx, c)
		m.CallFinished(ctx, c)
	}
	n := 0
	m.endpoints.Range(func(any, any) bool { n++; return true })
	if n != 2 {
		t.Fatalf("%d endpoint entries after 1000 calls to 2 endpoints, want 2", n)
	}
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`tributary_backend_in_flight{service="catalog"} 0`,
		`tributary_backend_calls_total{endpoint="products.byIds",service="catalog",status_class="error"} 250`,
		`tributary_backend_calls_total{endpoint="products.byIds",service="catalog",status_class="4xx"} 250`,
		`tributary_backend_calls_total{endpoint="products.list",service="catalog",status_class="2xx"} 250`,
		`tributary_backend_calls_total{endpoint="products.list",service="catalog",status_class="5xx"} 250`,
		`tributary_backend_call_duration_seconds_count{endpoint="products.list",service="catalog"} 500`,
		`tributary_backend_batch_size_count{endpoint="products.byIds",service="catalog"} 167`,
	} {
		if !strings.Contains(w.Body.String(), want+"\n") {
			t.Errorf("no %s in\n%s", want, w.Body)
		}
	}
	if strings.Contains(w.Body.String(), `products.byIds",service="catalog",status_class="5xx"`) {
		t.Errorf("a series for a status class no call had")
	}
}
