package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		give []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{9, 1, 5}, 5},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.give); got != tt.want {
			t.Errorf("median(%v): got %g, want %g", tt.give, got, tt.want)
		}
	}
}

// Three repeats of each measurement become one group with their medians,
// and all three outputs are written.
func TestReport(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for rep := 1; rep <= 3; rep++ {
		for _, lat := range []string{"0ms", "20ms"} {
			for _, wl := range []string{"listing", "dashboard", "product"} {
				for k, target := range []string{"floor", "gateway-nobatch", "gateway"} {
					p50 := float64(rep*(k+1)) + latencyOf(lat).Seconds()*3000
					errs := 0
					if target == "gateway-nobatch" && wl == "listing" && lat == "20ms" {
						errs = 1000 // every request failed
					}
					lines = append(lines, fmt.Sprintf(`{"target":%q,"workload":%q,"mode":"closed","concurrency":50,`+
						`"labels":{"latency":%q},"requests":1000,"errors":%d,"throughputRps":%g,`+
						`"latencyMs":{"p50":%g,"p99":%g,"max":%g},"cpuMsPerReq":%g,"callsPerOp":6}`,
						target, wl, lat, errs, 1000/p50, p50, 2*p50, 3*p50, 0.1*float64(k+1)))
				}
			}
		}
	}
	lines = append(lines, `{"target":"gateway","workload":"listing","mode":"closed","concurrency":1,"labels":{"latency":"0ms"},"requests":200,"callsPerOp":6,"idsPerOp":95}`)
	in := filepath.Join(dir, "runs.jsonl")
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-in", in, "-dir", dir, "-meta", "commit=abc"}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	// gateway is the third target: p50 = rep*3, median over reps 1..3 = 6.
	if !strings.Contains(string(md), "| 0ms | listing | gateway | 167 | 6.0 |") {
		t.Errorf("results.md lacks the gateway's median row:\n%s", md)
	}
	if !strings.Contains(string(md), "| 20ms | listing | gateway-nobatch | failed | – | – | – | – | 3000 (100%) |") {
		t.Errorf("results.md does not mark the failed measurement:\n%s", md)
	}
	if !strings.Contains(string(md), "| 0ms | listing | gateway | 6.00 | 95.0 |") {
		t.Errorf("results.md lacks the calls check row:\n%s", md)
	}
	for _, f := range []string{"results.json", "chart.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}
