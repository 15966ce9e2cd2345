package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/bench/benchenv"
	"github.com/tributary-gw/tributary/services/demo"
)

func TestParseCPUTicks(t *testing.T) {
	// A command name with spaces and parentheses, as a process may choose.
	stat := []byte("4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 8 0 100 0 0")
	got, err := parseCPUTicks(stat)
	if err != nil {
		t.Fatal(err)
	}
	if got != 1234+567 {
		t.Errorf("got %d ticks, want %d", got, 1234+567)
	}
	if _, err := parseCPUTicks([]byte("1 (x) S 1 2")); err == nil {
		t.Error("got no error for a short line, want one")
	}
}

func TestParseStatusKB(t *testing.T) {
	status := []byte("Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t   5120 kB\nVmRSS:\t 4000 kB\n")
	got, err := parseStatusKB(status, "VmHWM:")
	if err != nil || got != 5120 {
		t.Errorf("got %d, %v; want 5120", got, err)
	}
}

func TestParseHostCPU(t *testing.T) {
	stat := []byte("cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 50 2 25 500 10 0 1 1 0 0\n")
	got, err := parseHostCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := (hostCPU{busy: 100 + 5 + 50 + 1 + 2 + 3, total: 1181}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if c := (hostCPU{busy: 300}).busyCoresSince(hostCPU{busy: 100}, 2*time.Second, 100); c != 1 {
		t.Errorf("busy cores: got %g, want 1", c)
	}
}

func TestSummarize(t *testing.T) {
	var lats []time.Duration
	for i := 100; i >= 1; i-- { // 1..100 ms, unsorted
		lats = append(lats, time.Duration(i)*time.Millisecond)
	}
	got := summarize(lats)
	want := Latency{Mean: 50.5, P50: 50, P90: 90, P95: 95, P99: 99, Max: 100}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := summarize(nil); got != (Latency{}) {
		t.Errorf("empty: got %+v, want zero", got)
	}
}

func TestLoopbackOnly(t *testing.T) {
	tests := []struct {
		give    string
		wantErr bool
	}{
		{"http://127.0.0.1:8080/graphql", false},
		{"http://localhost:9101", false},
		{"http://[::1]:9101", false},
		{"http://10.0.0.1:80", true},
		{"http://example.com/graphql", true},
	}
	for _, tt := range tests {
		if err := loopbackOnly(tt.give); (err != nil) != tt.wantErr {
			t.Errorf("loopbackOnly(%s): got %v, want error %v", tt.give, err, tt.wantErr)
		}
	}
}

// A short closed-loop run against a real gateway (one worker: a round may
// split a level under concurrency, see README): every request succeeds,
// the CPU of this very process is read, and the backend calls per request
// come out at the listing's six.
func TestRunAgainstGateway(t *testing.T) {
	e := benchenv.Start(t)
	var urls []string
	for _, s := range demo.AllServices() {
		urls = append(urls, e.Backends.URL(s))
	}
	out := t.TempDir() + "/runs.jsonl"
	var stdout bytes.Buffer
	err := run([]string{
		"-target", strings.Replace(e.URL, "localhost", "127.0.0.1", 1), "-workload", "listing",
		"-c", "1", "-n", "20", "-duration", "5s", "-warmup", "0",
		"-pid", strconv.Itoa(os.Getpid()), "-backends", strings.Join(urls, ","),
		"-out", out, "-format", "table", "-set", "latency=0ms",
	}, &stdout)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r Result
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.Requests != 20 || r.Errors != 0 {
		t.Errorf("got %d requests, %d errors (%s); want 20, 0", r.Requests, r.Errors, r.FirstError)
	}
	if r.CallsPerOp != 6 {
		t.Errorf("got %g calls/op, want 6", r.CallsPerOp)
	}
	if r.Latency.P50 <= 0 || r.Latency.Max < r.Latency.P99 || r.PeakRSSMB <= 0 {
		t.Errorf("implausible result: %+v", r)
	}
	if r.Labels["latency"] != "0ms" {
		t.Errorf("labels: got %v, want latency=0ms", r.Labels)
	}
	if !strings.Contains(stdout.String(), "listing") {
		t.Errorf("table: got %q, want a row for listing", stdout.String())
	}
}
