package demo_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest/poll"
)

func TestStartRealListeners(t *testing.T) {
	t.Parallel()
	b, err := demo.Start(demo.DefaultDataset(), "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	closed := false
	defer func() {
		if !closed {
			b.Close(context.Background())
		}
	}()

	urls := b.URLs()
	if got, want := len(urls), len(demo.Declared()); got != want {
		t.Fatalf("got %d URLs, want %d", got, want)
	}
	hosts := map[string]bool{}
	for _, svc := range demo.AllServices() {
		u, err := url.Parse(b.URL(svc))
		if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Path != "" {
			t.Errorf("%s: got URL %q (%v), want http://127.0.0.1:<port>", svc, b.URL(svc), err)
		}
		if hosts[u.Host] {
			t.Errorf("%s: got port shared with another service: %s", svc, u.Host)
		}
		hosts[u.Host] = true
		if urls[svc] != b.URL(svc) {
			t.Errorf("%s: got URLs()[svc] %q, want %q", svc, urls[svc], b.URL(svc))
		}
		if got := b.Server(svc).Service(); got != svc {
			t.Errorf("got Server(%s).Service() %s, want %s", svc, got, svc)
		}
		if r := get(t, b.URL(svc)+pathOf(svc)); r.status != http.StatusOK {
			t.Errorf("%s: got status %d, want 200 (body %s)", svc, r.status, r.body)
		}
	}

	b.SetFaults(demo.Faults{Down: true})
	for _, svc := range demo.AllServices() {
		checkError(t, get(t, b.URL(svc)+pathOf(svc)), http.StatusServiceUnavailable)
	}
	b.SetFaults(demo.Faults{})
	b.ResetStats()
	for _, svc := range demo.AllServices() {
		if got := b.Server(svc).Stats().TotalCalls(); got != 0 {
			t.Errorf("%s: got %d calls after ResetStats, want 0", svc, got)
		}
	}

	// Close answers calls held by injected latency instead of waiting for them.
	b.SetFaults(demo.Faults{Latency: time.Hour})
	type result struct {
		status int
		err    error
	}
	res := make(chan result, 1)
	go func() {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, b.URL(demo.Orders)+"/orders/o1", nil)
		if err != nil {
			res <- result{err: err}
			return
		}
		resp, err := testClient.Do(req)
		if err != nil {
			res <- result{err: err}
			return
		}
		resp.Body.Close()
		res <- result{status: resp.StatusCode}
	}()
	poll.Until(t, "the call to be in flight", func() bool { return b.Server(demo.Orders).Stats().InFlight == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Close(ctx); err != nil {
		t.Errorf("got Close error %v, want nil", err)
	}
	closed = true
	if r := <-res; r.err != nil || r.status != http.StatusServiceUnavailable {
		t.Errorf("got held call status %d, err %v, want 503", r.status, r.err)
	}
	if err := b.Close(ctx); err != nil {
		t.Errorf("got second Close error %v, want nil", err)
	}
	if _, err := testClient.Get(b.URL(demo.Catalog) + "/products/p1"); err == nil {
		t.Errorf("got an answer after Close, want a connection error")
	}
}

func TestStartBadAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		giveAddr string
	}{
		{"no port", "127.0.0.1"},
		{"bad port", "127.0.0.1:http"},
		{"port too high", "127.0.0.1:65533"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := demo.Start(demo.DefaultDataset(), tt.giveAddr)
			if err == nil {
				b.Close(context.Background())
				t.Fatalf("got no error, want one")
			}
		})
	}
}

func TestStartWithMountFailure(t *testing.T) {
	t.Parallel()
	var (
		mu      sync.Mutex // mounts and stops run concurrently
		mounted int
		stopped []demo.Service
	)
	_, err := demo.StartWith(demo.DefaultDataset(), func(svc demo.Service, h http.Handler) (string, func(context.Context) error, error) {
		if svc == demo.Reviews {
			return "", nil, errors.New("boom")
		}
		mu.Lock()
		mounted++
		mu.Unlock()
		ts := httptest.NewServer(h)
		return ts.URL, func(context.Context) error {
			ts.Close()
			mu.Lock()
			stopped = append(stopped, svc)
			mu.Unlock()
			return nil
		}, nil
	})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got error %v, want the mount error", err)
	}
	// The services mount at once: every one but reviews mounted, and
	// every one mounted is stopped.
	if want := len(demo.Declared()) - 1; len(stopped) != mounted || mounted != want {
		t.Errorf("got %d stopped of %d mounted, want all %d but reviews stopped", len(stopped), mounted, want)
	}
}
