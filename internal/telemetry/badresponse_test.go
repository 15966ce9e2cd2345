package telemetry_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
)

// An answer that breaks the contract (pricing's listAmountCents as a
// string) is refused as BAD_BACKEND_RESPONSE and counted for its service.
func TestMetricsCountAnswersThatBreakTheContract(t *testing.T) {
	t.Parallel()
	drifted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		ids := strings.Split(r.URL.Query().Get("productIds"), ",")
		var items []string
		for _, id := range ids {
			items = append(items, `{"productId":"`+id+`","currency":"USD","amountCents":100,"listAmountCents":"2.00"}`)
		}
		_, _ = io.WriteString(w, `{"prices":[`+strings.Join(items, ",")+`]}`)
	}))
	defer drifted.Close()
	e := newMetricsEnv(t, func(c *config.Config) {
		sc := c.Service("pricing")
		sc.URL = drifted.URL
		c.SetService("pricing", sc)
	})
	r := e.Query(`{ product(id: "p1") { name price { listAmount { formatted } } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_BACKEND_RESPONSE" {
		t.Fatalf("want one BAD_BACKEND_RESPONSE, got %s", r.Raw)
	}
	checkSeries(t, e.scrape(), []wantSeries{
		{"tributary_backend_bad_responses_total", []string{"service", "pricing"}, 1},
		{"tributary_backend_bad_responses_total", []string{"service", "catalog"}, 0},
	})
}
