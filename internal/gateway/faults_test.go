package gateway_test

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

// faultServer stands in for pricing: each call is answered by the fault
// for that call number (0-based), or passed to the real demo pricing.
type faultServer struct {
	calls atomic.Int64
	fault func(n int64, w http.ResponseWriter, r *http.Request) bool // true: handled
	real  http.Handler
}

func (f *faultServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.calls.Add(1) - 1
	if f.fault != nil && f.fault(n, w, r) {
		return
	}
	f.real.ServeHTTP(w, r)
}

func always(h func(w http.ResponseWriter, r *http.Request)) func(int64, http.ResponseWriter, *http.Request) bool {
	return func(_ int64, w http.ResponseWriter, r *http.Request) bool { h(w, r); return true }
}

func status(code int, contentType, body string) func(int64, http.ResponseWriter, *http.Request) bool {
	return always(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	})
}

// hijack gives raw access to the connection, to misbehave below HTTP.
func hijack(w http.ResponseWriter, do func(c net.Conn, buf *bufio.ReadWriter)) {
	c, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	do(c, buf)
}

const pageQuery = `{ product(id: "p1") { name price { amount { amountCents } } stock { available } } }`

func TestBackendFaults(t *testing.T) {
	t.Parallel()
	jsonCT := "application/json; charset=utf-8"
	tests := []struct {
		name      string
		fault     func(int64, http.ResponseWriter, *http.Request) bool
		refused   bool   // point pricing at a closed port instead
		wantCode  string // "" means price present, no errors
		wantCalls int64
	}{
		{"slow past the timeout", always(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}), false, "SERVICE_TIMEOUT", 1},
		{"500", status(500, jsonCT, `{"error":"boom"}`), false, "SERVICE_ERROR", 1},
		{"503 then success", func(n int64, w http.ResponseWriter, r *http.Request) bool {
			if n > 0 {
				return false
			}
			return status(503, jsonCT, `{"error":"busy"}`)(n, w, r)
		}, false, "", 2},
		{"429", status(429, jsonCT, `{"error":"slow down"}`), false, "SERVICE_UNAVAILABLE", 3},
		{"404 on a batch path", status(404, jsonCT, `{"error":"no route"}`), false, "SERVICE_ERROR", 1},
		{"HTML error page", status(502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"), false, "SERVICE_UNAVAILABLE", 3},
		{"HTML with 200", status(200, "text/html", "<html>hello</html>"), false, "BAD_BACKEND_RESPONSE", 1},
		{"invalid JSON", status(200, jsonCT, `{"prices": [`), false, "BAD_BACKEND_RESPONSE", 1},
		{"JSON of the wrong shape", status(200, jsonCT, `{"items": [{"productId": "p1"}]}`), false, "BAD_BACKEND_RESPONSE", 1},
		{"wrong item shape", status(200, jsonCT, `{"prices": [{"amountCents": "lots"}]}`), false, "BAD_BACKEND_RESPONSE", 1},
		{"truncated body", always(func(w http.ResponseWriter, _ *http.Request) {
			hijack(w, func(c net.Conn, buf *bufio.ReadWriter) {
				_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"prices\":[")
				_ = buf.Flush()
				_ = c.Close()
			})
		}), false, "BAD_BACKEND_RESPONSE", 1},
		{"body over the size cap", status(200, jsonCT, `{"prices":[],"pad":"`+strings.Repeat("x", 4096)+`"}`), false, "BAD_BACKEND_RESPONSE", 1},
		{"connection refused", nil, true, "SERVICE_UNAVAILABLE", 0},
		{"connection reset mid-body", always(func(w http.ResponseWriter, _ *http.Request) {
			hijack(w, func(c net.Conn, buf *bufio.ReadWriter) {
				_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"pri\r\n")
				_ = buf.Flush()
				if tc, ok := c.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // RST, not FIN
				}
				_ = c.Close()
			})
		}), false, "SERVICE_UNAVAILABLE", 3},
		{"drips a byte a second", always(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", jsonCT)
			w.WriteHeader(200)
			rc := http.NewResponseController(w)
			for _, b := range []byte(`{"prices":[]}`) {
				if _, err := w.Write([]byte{b}); err != nil {
					return
				}
				_ = rc.Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(time.Second):
				}
			}
		}), false, "SERVICE_TIMEOUT", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &faultServer{fault: tt.fault}
			ts := httptest.NewServer(fs)
			defer ts.Close()
			if tt.refused {
				ts.Close()
			}
			e := newEnv(t, func(c *config.Config) {
				fs.real = nil // set below, once the backends exist
				c.Services["pricing"].URL = ts.URL
				c.Services["pricing"].Timeout = 300 * time.Millisecond
				c.Services["pricing"].MaxResponseBytes = 2048
				c.Services["pricing"].RetryBackoff = time.Millisecond
				c.Services["pricing"].BreakerConsecutiveFailures = 0
				c.Services["pricing"].BreakerFailureRatio = 0
			})
			fs.real = e.Backends.Server(demo.Pricing)

			r := e.Query(pageQuery, nil)
			if r.Status != http.StatusOK {
				t.Errorf("status: got %d, want 200", r.Status)
			}
			if got := get(r.Data, "product", "name"); got == nil {
				t.Errorf("product name missing: %s", r.Raw)
			}
			if got := get(r.Data, "product", "stock", "available"); got == nil {
				t.Errorf("stock missing: %s", r.Raw)
			}
			if got := fs.calls.Load(); got != tt.wantCalls {
				t.Errorf("calls reaching pricing: got %d, want %d", got, tt.wantCalls)
			}
			if tt.wantCode == "" {
				if len(r.Errors) > 0 || get(r.Data, "product", "price", "amount", "amountCents") == nil {
					t.Errorf("want the price and no errors, got %s", r.Raw)
				}
				return
			}
			if get(r.Data, "product", "price") != nil {
				t.Errorf("price: got %v, want null", get(r.Data, "product", "price"))
			}
			if len(r.Errors) != 1 {
				t.Fatalf("got %d errors, want 1: %s", len(r.Errors), r.Raw)
			}
			er := r.Errors[0]
			if got := er.Extensions["code"]; got != tt.wantCode {
				t.Errorf("code: got %v, want %s", got, tt.wantCode)
			}
			if got := er.Extensions["service"]; got != "pricing" {
				t.Errorf("service: got %v, want pricing", got)
			}
			if got := strings.Join(pathStrings(er.Path), "."); got != "product.price" {
				t.Errorf("path: got %s, want product.price", got)
			}
			for _, leak := range []string{"127.0.0.1", "http://", "boom", "<html", "decode"} {
				if strings.Contains(er.Message, leak) {
					t.Errorf("error message leaks %q: %s", leak, er.Message)
				}
			}
		})
	}
}

func pathStrings(p []any) []string {
	out := make([]string, len(p))
	for i, el := range p {
		switch v := el.(type) {
		case string:
			out[i] = v
		case float64:
			out[i] = strconv.Itoa(int(v))
		}
	}
	return out
}

// A slow pricing costs only the price: the rest of the page arrives with
// one SERVICE_TIMEOUT error, and no backend call outlives the request.
func TestSlowServiceIsCutOffAtItsTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) {
		c.Services["pricing"].Timeout = 200 * time.Millisecond
		c.RequestTimeout = 2 * time.Second
	})
	e.Backends.Server(demo.Pricing).SetFaults(demo.Faults{Latency: 5 * time.Second})
	r := e.Query(`{ product(id: "p1") { name description price { amount { formatted } } stock { available }
    reviews(first: 3) { rating author { name } } ratingSummary { count } related { name } } }`, nil)
	if len(r.Errors) != 1 {
		t.Fatalf("got %d errors, want 1: %s", len(r.Errors), r.Raw)
	}
	if got := r.Errors[0].Extensions["code"]; got != "SERVICE_TIMEOUT" {
		t.Errorf("code: got %v, want SERVICE_TIMEOUT", got)
	}
	if got := r.Errors[0].Extensions["service"]; got != "pricing" {
		t.Errorf("service: got %v, want pricing", got)
	}
	for _, f := range []string{"name", "description", "stock", "reviews", "ratingSummary", "related"} {
		if get(r.Data, "product", f) == nil {
			t.Errorf("%s missing", f)
		}
	}
	// related products ask for their price too: same loader, same failure.
	poll.Until(t, "pricing's calls in flight to end after the response", func() bool { return e.Stats(demo.Pricing).InFlight == 0 })
}

// The request deadline bounds every backend call, even one whose own
// timeout is longer.
func TestRequestDeadlineBoundsBackendCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, eachService(func(_ string, sc *config.ServiceConfig) { sc.Timeout = 10 * time.Second }),
		func(c *config.Config) { c.RequestTimeout = 300 * time.Millisecond })
	e.Backends.Server(demo.Reviews).SetFaults(demo.Faults{Latency: 10 * time.Second})
	r := e.Query(`{ product(id: "p1") { name ratingSummary { count } } }`, nil)
	if get(r.Data, "product", "name") == nil {
		t.Errorf("name missing: %s", r.Raw)
	}
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "SERVICE_TIMEOUT" {
		t.Errorf("want one SERVICE_TIMEOUT, got %s", r.Raw)
	}
	poll.Until(t, "reviews' calls in flight to end after the response", func() bool { return e.Stats(demo.Reviews).InFlight == 0 })
}

// One failed batch for a whole list is one error, not one per item.
func TestFailedBatchIsOneError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.Services["pricing"].MaxRetries = 0 })
	e.Backends.Server(demo.Pricing).SetFaults(demo.Faults{ErrorRate: 1})
	r := e.Query(`{ products(first: 20) { nodes { name price { amount { formatted } } } } }`, nil)
	if len(r.Errors) != 1 {
		t.Fatalf("got %d errors, want 1: %s", len(r.Errors), r.Raw)
	}
	er := r.Errors[0]
	if got := er.Extensions["affectedCount"]; got != float64(20) {
		t.Errorf("affectedCount: got %v, want 20", got)
	}
	if got := len(er.Extensions["affectedPaths"].([]any)); got != 20 {
		t.Errorf("affectedPaths: got %d, want 20", got)
	}
	if got := strings.Join(pathStrings(er.Path[:2]), "."); got != "products.nodes" {
		t.Errorf("path: got %v", er.Path)
	}
	nodes := get(r.Data, "products", "nodes").([]any)
	for i, n := range nodes {
		if get(n, "name") == nil || get(n, "price") != nil {
			t.Errorf("node %d: want a name and a null price, got %v", i, n)
		}
	}
}

// A listing page whose items break the contract (a null item, an item
// without its id) is the catalog's fault, reported as such, not a
// non-null violation of the graph.
func TestListingItemsBreakingTheContract(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
	}{
		{"null item", `{"products":[null],"nextCursor":""}`},
		{"item without id", `{"products":[{"name":"x","description":"","category":"c","imageUrl":"","relatedIds":[]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(ts.Close)
			e := newEnv(t, func(c *config.Config) { c.Services["catalog"].URL = ts.URL })
			r := e.Query(`{ products(first: 2) { nodes { id name } } }`, nil)
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_BACKEND_RESPONSE" || r.Errors[0].Extensions["service"] != "catalog" {
				t.Errorf("got %s, want one BAD_BACKEND_RESPONSE error from catalog", r.Raw)
			}
		})
	}
}
