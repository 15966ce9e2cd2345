package users

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
		_, failed := New(upstreamtest.Client(t, "users", 200, body)).Users(ctx, []string{"u1"})
		upstreamtest.CheckError(t, failed.Any())
	})
}
