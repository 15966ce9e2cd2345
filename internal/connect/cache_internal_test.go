package connect

import (
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
