// Package demotest runs the demo backends on httptest servers for tests.
package demotest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/services/demo"
)

// closeTimeout bounds the graceful shutdown at cleanup.
const closeTimeout = 10 * time.Second

// Start runs the six demo services over demo.DefaultDataset on httptest
// servers and stops them when the test ends.
func Start(t testing.TB) *demo.Backends {
	t.Helper()
	return StartDataset(t, demo.DefaultDataset())
}

// StartDataset is Start over a given dataset.
func StartDataset(t testing.TB, ds *demo.Dataset) *demo.Backends {
	t.Helper()
	b, err := demo.StartWith(ds, mount)
	if err != nil {
		t.Fatalf("demotest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := b.Close(ctx); err != nil {
			t.Errorf("demotest: %v", err)
		}
	})
	return b
}

func mount(_ demo.Service, h http.Handler) (string, func(context.Context) error, error) {
	ts := httptest.NewServer(h)
	stop := func(ctx context.Context) error {
		done := make(chan struct{})
		go func() {
			ts.Close() // waits for outstanding requests
			close(done)
		}()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			ts.CloseClientConnections()
			<-done
			return ctx.Err()
		}
	}
	return ts.URL, stop, nil
}
