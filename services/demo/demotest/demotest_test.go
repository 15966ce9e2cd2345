package demotest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/services/demo/demotest"
)

func TestStart(t *testing.T) {
	b := demotest.Start(t)
	if got, want := b.Dataset(), demo.DefaultDataset(); got != want {
		t.Errorf("got dataset %p, want the default %p", got, want)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, svc := range demo.AllServices() {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, b.URL(svc)+"/_demo/stats", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: got status %d, want 200", svc, resp.StatusCode)
		}
	}
}

func TestStartDataset(t *testing.T) {
	ds := demo.NewDataset(42)
	b := demotest.StartDataset(t, ds)
	if b.Dataset() != ds {
		t.Errorf("got another dataset, want the one given")
	}
}
