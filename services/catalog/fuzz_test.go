package catalog

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
		cl := New(upstreamtest.Client(t, "catalog", 200, body))
		ctx := context.Background()
		_, failed := cl.Products(ctx, []string{"p1", "p2"})
		upstreamtest.CheckError(t, failed.Any())
		_, err := cl.List(ctx, ListParams{First: 20})
		upstreamtest.CheckError(t, err)
		_, err = cl.Product(ctx, "p1")
		upstreamtest.CheckError(t, err)
	})
}
