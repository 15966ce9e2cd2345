package upstream_test

import (
	"context"
	"testing"

	"github.com/tributary-gw/tributary/internal/upstream"
	"github.com/tributary-gw/tributary/internal/upstream/upstreamtest"
)

// Merging a recorder that is still recording copies what it had when
// merged, and nothing it records later (run with -race).
func TestMergeWhileRecording(t *testing.T) {
	t.Parallel()
	o := upstream.NewRecorder()
	c, err := upstream.New(upstream.Config{Service: "s", BaseURL: "http://h"}, upstream.NewHTTPClient(upstreamtest.Canned{Status: 200, Body: []byte(`{}`)}), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := upstream.WithRecorder(context.Background(), o)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			var v map[string]any
			_ = c.Get(ctx, upstream.Request{Endpoint: "e", Path: "/x"}, &v)
		}
	}()
	for range 50 {
		r := upstream.NewRecorder()
		before := o.Len()
		r.Merge(o)
		if n := r.Len(); n < before || n > o.Len() {
			t.Fatalf("merged %d calls of a recorder that had %d, then %d", n, before, o.Len())
		}
	}
	<-done
	r := upstream.NewRecorder()
	r.Merge(o)
	if r.Len() != 200 {
		t.Fatalf("merged %d calls, want 200", r.Len())
	}
}
