package upstream

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// writeServer answers a write with the statuses given, one per attempt (the
// last repeats), and records each attempt's Idempotency-Key and body.
type writeServer struct {
	mu       sync.Mutex
	statuses []int // 0: drop the connection
	keys     []string
	bodies   []string
}

func (ws *writeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	ws.mu.Lock()
	n := len(ws.keys)
	ws.keys = append(ws.keys, r.Header.Get("Idempotency-Key"))
	ws.bodies = append(ws.bodies, r.Method+" "+r.URL.Path+" "+string(b))
	st := ws.statuses[min(n, len(ws.statuses)-1)]
	ws.mu.Unlock()
	if st == 0 {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(st)
	if st >= 300 {
		_, _ = w.Write([]byte(`{"error":"status ` + http.StatusText(st) + `"}`))
		return
	}
	_, _ = w.Write([]byte(`{"id":"r9"}`))
}

func (ws *writeServer) attempts() []string {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return append([]string(nil), ws.keys...)
}

func newWriteClient(t *testing.T, ws *writeServer, pc PolicyConfig) *Client {
	t.Helper()
	srv := httptest.NewServer(ws)
	t.Cleanup(srv.Close)
	c, err := New(Config{Service: "reviews", BaseURL: srv.URL, Timeout: 2 * time.Second,
		Policy: NewPolicy("reviews", pc, PolicyHooks{})}, NewHTTPClient(NewTransport(TransportConfig{})), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSendRetriesOnlyWithTheSameKey(t *testing.T) {
	tests := []struct {
		name         string
		statuses     []int
		key          string
		wantAttempts int
		wantErr      bool
		wantMaybe    bool
		wantStatus   int
	}{
		{"503 then created, with a key", []int{503, 201}, "k1", 2, false, false, 0},
		{"dropped then created, with a key", []int{0, 201}, "k1", 2, false, false, 0},
		{"503 without a key is not retried", []int{503, 201}, "", 1, true, true, 503},
		{"dropped without a key is not retried", []int{0, 201}, "", 1, true, true, 0},
		{"503 every time", []int{503}, "k1", 3, true, true, 503},
		{"400 is not retried and not applied", []int{400}, "k1", 1, true, false, 400},
		{"409 after a 503: the first may have been applied", []int{503, 409}, "k1", 2, true, true, 409},
		{"500 is not retried", []int{500}, "k1", 1, true, true, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := &writeServer{statuses: tt.statuses}
			c := newWriteClient(t, ws, PolicyConfig{MaxRetries: 2, RetryBackoff: time.Millisecond})
			rec := NewRecorder()
			ctx := WithRecorder(context.Background(), rec)
			var out struct{ ID string }
			err := c.Send(ctx, Request{Endpoint: "reviews.create", Method: http.MethodPost, Path: "/reviews",
				Body: []byte(`{"rating":4}`), IdempotencyKey: tt.key}, &out)
			got := ws.attempts()
			if len(got) != tt.wantAttempts {
				t.Fatalf("got %d attempts, want %d", len(got), tt.wantAttempts)
			}
			for i, k := range got {
				if k != tt.key {
					t.Errorf("attempt %d: got key %q, want %q", i, k, tt.key)
				}
				if ws.bodies[i] != `POST /reviews {"rating":4}` {
					t.Errorf("attempt %d: got %q", i, ws.bodies[i])
				}
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				if out.ID != "r9" {
					t.Errorf("got %+v, want the created review", out)
				}
				return
			}
			e, _ := AsError(err)
			if !e.Write || e.MaybeApplied != tt.wantMaybe || e.Status != tt.wantStatus {
				t.Errorf("got write %v, maybe applied %v, status %d; want true, %v, %d", e.Write, e.MaybeApplied, e.Status, tt.wantMaybe, tt.wantStatus)
			}
			for _, call := range rec.Calls() {
				if call.Method != http.MethodPost {
					t.Errorf("got recorded method %q, want POST", call.Method)
				}
			}
		})
	}
}

// An open breaker or a full bulkhead sends nothing, and says the write was
// not applied.
func TestSendRefusedSendsNothing(t *testing.T) {
	ws := &writeServer{statuses: []int{503}}
	c := newWriteClient(t, ws, PolicyConfig{BreakerConsecutiveFailures: 1, BreakerCooldown: time.Hour})
	req := Request{Endpoint: "reviews.create", Method: http.MethodPost, Path: "/reviews", Body: []byte(`{}`), IdempotencyKey: "k"}
	_ = c.Send(context.Background(), req, nil) // opens the breaker
	err := c.Send(context.Background(), req, nil)
	e, _ := AsError(err)
	if e == nil || e.Code != CodeCircuitOpen || e.MaybeApplied {
		t.Fatalf("got %v (maybe applied %v), want CIRCUIT_OPEN, not applied", err, e != nil && e.MaybeApplied)
	}
	if got := len(ws.attempts()); got != 1 {
		t.Errorf("got %d calls, want 1 (the second refused)", got)
	}

	full := &writeServer{statuses: []int{201}}
	c = newWriteClient(t, full, PolicyConfig{MaxInFlight: 1})
	c.policy.slots <- struct{}{} // the one slot is taken
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = c.Send(ctx, req, nil)
	if e, _ := AsError(err); e == nil || e.Code != CodeOverloaded || e.MaybeApplied {
		t.Fatalf("got %v, want SERVICE_OVERLOADED, not applied", err)
	}
	if got := len(full.attempts()); got != 0 {
		t.Errorf("got %d calls, want none", got)
	}
}

func TestSendRefusesGet(t *testing.T) {
	c := newWriteClient(t, &writeServer{statuses: []int{200}}, PolicyConfig{})
	if err := c.Send(context.Background(), Request{Endpoint: "x", Path: "/x"}, nil); err == nil {
		t.Error("got no error for a GET sent as a write")
	}
}
