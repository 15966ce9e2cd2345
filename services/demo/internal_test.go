package demo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRandDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		giveMax time.Duration
	}{
		{"zero", 0},
		{"negative", -time.Second},
		{"one", 1},
		{"ten ms", 10 * time.Millisecond},
		{"max", time.Duration(1<<63 - 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 1000 {
				if got := randDuration(tt.giveMax); got < 0 || got > max(tt.giveMax, 0) {
					t.Fatalf("got %v, want in [0, %v]", got, max(tt.giveMax, 0))
				}
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	ds := DefaultDataset()
	for _, rank := range []int{0, 1, 9, 10, 999} {
		c := ds.encodeCursor(rank)
		if got, ok := ds.decodeCursor(c); !ok || got != rank {
			t.Errorf("got decodeCursor(%q) = %d, %v, want %d, true", c, got, ok, rank)
		}
	}
}

func BenchmarkProductsByIDs(b *testing.B) {
	benchmarkHandler(b, Catalog, "/products?ids="+idList("p", 100))
}

func BenchmarkReviewsByProduct(b *testing.B) {
	benchmarkHandler(b, Reviews, "/reviews?productIds="+idList("p", 20))
}

func BenchmarkProductsList(b *testing.B) {
	benchmarkHandler(b, Catalog, "/products?first=50&category=books&after="+DefaultDataset().encodeCursor(500))
}

func benchmarkHandler(b *testing.B, svc Service, target string) {
	s := NewServer(svc, DefaultDataset())
	req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, target, nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("got status %d, want 200", w.Code)
		}
	}
}

func idList(prefix string, n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = prefix + strconv.Itoa(i+1)
	}
	return strings.Join(ids, ",")
}
