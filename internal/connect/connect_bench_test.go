package connect_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/upstream"
	"github.com/tributary-gw/tributary/internal/upstream/upstreamtest"
)

// BenchmarkByKey measures the batch function of a batch endpoint: 20 keys
// with one parameter set, one call answered by a canned transport, so only
// the gateway's own work is counted (allocs/op is the number to watch).
func BenchmarkByKey(b *testing.B) {
	keys := make([]connect.Key, 20)
	parts := make([]string, len(keys))
	for i := range keys {
		keys[i] = connect.Key{ID: fmt.Sprintf("p%d", i+1), Query: connect.Query("cur", "EUR")}
		parts[i] = fmt.Sprintf(`{"id":"p%d","cur":"EUR"}`, i+1)
	}
	c := upstreamtest.Client(b, "pricing", http.StatusOK, []byte(`{"items":[`+strings.Join(parts, ",")+`]}`))
	fetch := connect.ByKey(c, nil, connect.Endpoint{Name: "prices", Path: "/prices", Batch: "ids", Items: "items"},
		func(e *envelope) []*item { return e.Items }, func(it *item) string { return it.ID })
	ctx := upstream.WithOutgoing(context.Background(), upstream.Outgoing{RequestID: "rid"})
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range fetch(upstream.WithRecorder(ctx, upstream.NewRecorder()), keys) {
			if r.Error != nil || r.Data == nil {
				b.Fatalf("got %v, %v", r.Data, r.Error)
			}
		}
	}
}

// BenchmarkGroup is BenchmarkByKey for an endpoint with several items per
// key: 20 keys with 5 items each.
func BenchmarkGroup(b *testing.B) {
	keys := make([]connect.Key, 20)
	var parts []string
	for i := range keys {
		keys[i] = connect.Key{ID: fmt.Sprintf("u%d", i+1)}
		for j := range 5 {
			parts = append(parts, fmt.Sprintf(`{"id":"%d-%d","owner":"u%d"}`, i, j, i+1))
		}
	}
	c := upstreamtest.Client(b, "orders", http.StatusOK, []byte(`{"items":[`+strings.Join(parts, ",")+`]}`))
	fetch := connect.Group(c, nil, connect.Endpoint{Name: "orders", Path: "/orders", Batch: "userIds", Items: "items"},
		func(e *envelope) []*item { return e.Items }, func(it *item) string { return it.Owner }, func(it *item) string { return it.ID })
	ctx := upstream.WithOutgoing(context.Background(), upstream.Outgoing{RequestID: "rid"})
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range fetch(upstream.WithRecorder(ctx, upstream.NewRecorder()), keys) {
			if r.Error != nil || len(r.Data) != 5 {
				b.Fatalf("got %v, %v", r.Data, r.Error)
			}
		}
	}
}
