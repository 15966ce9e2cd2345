package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestBatchDedupesSplitsAndKeepsGoodChunks(t *testing.T) {
	ids := []string{"a", "b", "a"}
	for i := range 230 {
		ids = append(ids, fmt.Sprintf("x%d", i))
	}
	var calls atomic.Int64
	items, failed := Batch(context.Background(), ids, 100, func(_ context.Context, chunk []string) ([]string, error) {
		calls.Add(1)
		if slices.Contains(chunk, "x150") {
			return nil, errors.New("chunk failed")
		}
		return chunk, nil
	})
	if got := calls.Load(); got != 3 {
		t.Errorf("calls: got %d, want 3 (232 distinct ids in chunks of 100)", got)
	}
	if failed.Err("x150") == nil || failed.Err("a") != nil {
		t.Errorf("failures: x150 %v, a %v", failed.Err("x150"), failed.Err("a"))
	}
	if len(items) != 132 {
		t.Errorf("items from the good chunks: got %d, want 132", len(items))
	}
}

func TestStatusClassification(t *testing.T) {
	tests := []struct {
		status    int
		wantCode  Code
		wantTemp  bool
		wantRetry bool
	}{
		{500, CodeServiceError, true, false},
		{502, CodeUnavailable, true, true},
		{503, CodeUnavailable, true, true},
		{504, CodeTimeout, true, true},
		{429, CodeUnavailable, true, true},
		{400, CodeRejected, false, false},
		{404, CodeServiceError, false, false},
	}
	for _, tt := range tests {
		code, temp := classifyStatus(tt.status)
		if code != tt.wantCode || temp != tt.wantTemp {
			t.Errorf("%d: got %s/%v, want %s/%v", tt.status, code, temp, tt.wantCode, tt.wantTemp)
		}
		e := &Error{Code: code, Status: tt.status, Temp: temp}
		if got := retryable(e); got != tt.wantRetry {
			t.Errorf("%d: retryable %v, want %v", tt.status, got, tt.wantRetry)
		}
	}
	if retryable(&Error{Code: CodeTimeout, Temp: true}) {
		t.Error("a client-side timeout must not be retried")
	}
	if retryable(&Error{Code: CodeCircuitOpen, Temp: true}) {
		t.Error("an open breaker must not be retried")
	}
}

func TestClientTimeoutIsBoundedByTheRequestDeadline(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer ts.Close()
	c, err := New(Config{Service: "pricing", BaseURL: ts.URL, Timeout: time.Minute}, NewHTTPClient(NewTransport(TransportConfig{})), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var out struct{}
	err = c.Get(ctx, Request{Endpoint: "prices", Path: "/prices"}, &out)
	e, ok := AsError(err)
	if !ok || e.Code != CodeTimeout || e.Service != "pricing" {
		t.Errorf("got %v, want a pricing SERVICE_TIMEOUT", err)
	}
}

func TestRetryBudgetCapsRetries(t *testing.T) {
	b := &retryBudget{ratio: 0.1, balance: 2, max: 2}
	allowed := 0
	for range 100 {
		b.deposit()
		if b.withdraw() {
			allowed++
		}
	}
	// 2 up front, then one per 10 calls once the balance is spent.
	if allowed > 2+10 || allowed < 10 {
		t.Errorf("retries allowed over 100 calls: got %d, want about 12", allowed)
	}
}

func TestConfigRejectsBadBaseURLAndForwardedHeaders(t *testing.T) {
	hc := NewHTTPClient(NewTransport(TransportConfig{}))
	if _, err := New(Config{Service: "x", BaseURL: "catalog:9101"}, hc, nil); err == nil {
		t.Error("a base URL without scheme was accepted")
	}
	if _, err := New(Config{Service: "x", BaseURL: "http://h", Forward: []string{"Connection"}}, hc, nil); err == nil {
		t.Error("forwarding a hop-by-hop header was accepted")
	}
}

// An id that cannot travel in the comma-separated batch parameter fails on
// its own as BAD_USER_INPUT and is never sent; the other ids are fetched.
func TestGetBatchRefusesIDsTheBatchSyntaxCannotCarry(t *testing.T) {
	tests := []struct {
		name      string
		giveIDs   []string
		wantSent  []string // the ids parameters of the calls made, in order
		wantBad   []string
		wantItems int
	}{
		{"separator alone", []string{"p1,p2,p3"}, nil, []string{"p1,p2,p3"}, 0},
		{"separator among good ids", []string{"p1", "p2,p3", "p4"}, []string{"p1,p4"}, []string{"p2,p3"}, 2},
		{"empty id", []string{"", "p1"}, []string{"p1"}, []string{""}, 1},
		{"too long", []string{string(make([]byte, MaxIDBytes+1)), "p1"}, []string{"p1"}, []string{string(make([]byte, MaxIDBytes+1))}, 1},
		{"all good", []string{"p1", "p2"}, []string{"p1,p2"}, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent []string
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ids := r.URL.Query().Get("ids")
				sent = append(sent, ids)
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"items":[`)
				for i, id := range strings.Split(ids, ",") {
					if i > 0 {
						fmt.Fprint(w, ",")
					}
					fmt.Fprintf(w, "%q", id)
				}
				fmt.Fprint(w, `]}`)
			}))
			defer ts.Close()
			c, err := New(Config{Service: "catalog", BaseURL: ts.URL, Timeout: time.Second}, NewHTTPClient(NewTransport(TransportConfig{})), nil)
			if err != nil {
				t.Fatal(err)
			}
			type envelope struct {
				Items []string `json:"items"`
			}
			items, failed := GetBatch(context.Background(), c, BatchRequest{Endpoint: "products.byIds", Path: "/products", Param: "ids", Require: "items"},
				tt.giveIDs, func(e *envelope) []string { return e.Items })
			if !slices.Equal(sent, tt.wantSent) {
				t.Errorf("sent: got %q, want %q", sent, tt.wantSent)
			}
			if len(items) != tt.wantItems {
				t.Errorf("items: got %d, want %d", len(items), tt.wantItems)
			}
			for _, id := range tt.wantBad {
				e, ok := AsError(failed.Err(id))
				if !ok || e.Code != CodeInvalidInput || !errors.Is(e, ErrInvalidID) {
					t.Errorf("id %.20q: got %v, want BAD_USER_INPUT", id, failed.Err(id))
				}
			}
			for _, id := range tt.giveIDs {
				if !slices.Contains(tt.wantBad, id) && failed.Err(id) != nil {
					t.Errorf("id %q: got %v, want no error", id, failed.Err(id))
				}
			}
		})
	}
}

func TestDedupeKeepsFirstSeenOrder(t *testing.T) {
	long := make([]string, 40)
	for i := range long {
		long[i] = fmt.Sprintf("x%d", i%35)
	}
	tests := []struct {
		name string
		give []string
		want []string
	}{
		{"empty", nil, nil},
		{"distinct", []string{"a", "b", "c"}, []string{"a", "b", "c"}},
		{"repeats", []string{"a", "b", "a", "c", "b"}, []string{"a", "b", "c"}},
		{"long with repeats", long, long[:35]},
		{"long distinct", long[:35], long[:35]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			give := slices.Clone(tt.give)
			if got := dedupe(give); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if !slices.Equal(give, tt.give) {
				t.Errorf("input changed to %v, want %v", give, tt.give)
			}
		})
	}
}
