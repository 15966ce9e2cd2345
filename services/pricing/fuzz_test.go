package pricing

import (
	"context"
	"testing"

	"github.com/tributary-gw/tributary/internal/upstream/upstreamtest"
)

func FuzzResponses(f *testing.F) {
	for _, s := range upstreamtest.Seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx := context.Background()
		_, failed := New(upstreamtest.Client(t, "pricing", 200, body)).Prices(ctx, "USD", []string{"p1"})
		upstreamtest.CheckError(t, failed.Any())
	})
}
