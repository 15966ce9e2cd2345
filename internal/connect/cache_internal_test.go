package connect

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// @connect(maxAge:) replaces the backend's ages, never its refusals.
func TestCacheTTLWithMaxAge(t *testing.T) {
	c := NewCache(CacheConfig{MaxTTL: time.Hour})
	defer c.Close()
	tests := []struct {
		giveMaxAge int
		give       string
		want       time.Duration
	}{
		{0, "", 0},
		{30, "", 30 * time.Second},
		{30, "max-age=600", 30 * time.Second},
		{30, "s-maxage=5", 30 * time.Second},
		{30, "private, max-age=600", 0},
		{30, "no-store", 0},
		{30, "no-cache", 0},
		{86400, "", time.Hour},
	}
	for _, tt := range tests {
		if got := c.ttl(Endpoint{MaxAge: tt.giveMaxAge}, upstream.Meta{CacheControl: tt.give}); got != tt.want {
			t.Errorf("maxAge %d, %q: got %v, want %v", tt.giveMaxAge, tt.give, got, tt.want)
		}
	}
}

// The in-process cache is bounded in bytes, not only in entries: keys
// carrying long client strings and large answers cannot hold more than
// MaxBytes, however few entries they are. Before, 100,000 entries of any
// size were kept.
func TestCacheBoundedInBytes(t *testing.T) {
	const maxBytes = 256 << 10
	c := NewCache(CacheConfig{Entries: 100_000, MaxBytes: maxBytes})
	defer c.Close()
	type answer struct {
		ID   string
		Body string
	}
	long := strings.Repeat("c", 1000)
	for i := range 2000 {
		k := EntityKey{Service: "catalog", Endpoint: "listProducts", Query: long + strconv.Itoa(i)}
		c.l1.Set(k.String(), cached{v: answer{ID: strconv.Itoa(i), Body: strings.Repeat("b", 2000)}, ttl: time.Hour})
	}
	c.l1.CleanUp()
	if got := c.Bytes(); got > maxBytes {
		t.Errorf("weighed size: got %d bytes, want at most %d", got, maxBytes)
	}
	// Each entry is some 3 KB: at most ~85 fit.
	if got := c.Len(); got > maxBytes/3000 || got == 0 {
		t.Errorf("entries: got %d, want 1..%d", got, maxBytes/3000)
	}
	// Small entries are bounded by Entries through the floor weight.
	c2 := NewCache(CacheConfig{Entries: 100, MaxBytes: maxBytes})
	defer c2.Close()
	for i := range 1000 {
		c2.l1.Set(strconv.Itoa(i), cached{v: i, ttl: time.Hour})
	}
	c2.l1.CleanUp()
	if got := c2.Len(); got > 100 {
		t.Errorf("small entries: got %d, want at most 100", got)
	}
}
