package demo

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// A client sending a new Idempotency-Key with every write cannot grow the
// idempotency memory past its bound: the oldest keys are forgotten.
func TestIdempotencyMemoryIsBounded(t *testing.T) {
	t.Parallel()
	s := NewServer(Users, DefaultDataset())
	s.w.limit = 3
	for i := range 50 {
		req := httptest.NewRequest(http.MethodPatch, "/users/u2", strings.NewReader(`{"name":"n`+strconv.Itoa(i)+`"}`))
		req.Header.Set("Idempotency-Key", "k"+strconv.Itoa(i))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("write %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	if got := len(s.w.idem); got > 3 {
		t.Errorf("got %d keys remembered, want at most 3", got)
	}
	if got := len(s.w.order); got > 3 {
		t.Errorf("got %d keys in order, want at most 3", got)
	}
	if _, ok := s.w.idem["k49"]; !ok {
		t.Error("the newest key was forgotten")
	}
}
