package connect_test

import (
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/upstream"
)

func TestCacheTTL(t *testing.T) {
	c := connect.NewCache(connect.CacheConfig{MaxTTL: time.Hour})
	defer c.Close()
	tests := []struct {
		give    string
		giveAge string
		want    time.Duration
	}{
		{"", "", 0},
		{"max-age=60", "", time.Minute},
		{"public, max-age=60", "", time.Minute},
		{"max-age=60, s-maxage=10", "", 10 * time.Second},
		{"s-maxage=0, max-age=60", "", 0},
		{"max-age=60", "15", 45 * time.Second},
		{"max-age=60", "90", 0},
		{"max-age=86400", "", time.Hour},
		{"private, max-age=60", "", 0},
		{"no-store", "", 0},
		{"no-cache, max-age=60", "", 0},
		{"Max-Age=\"30\"", "", 30 * time.Second},
		{"max-age=abc", "", 0},
		{"max-age=-5", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.give+"/"+tt.giveAge, func(t *testing.T) {
			if got := c.TTL(upstream.Meta{CacheControl: tt.give, Age: tt.giveAge}); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
