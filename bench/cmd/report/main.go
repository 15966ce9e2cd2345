// Command report turns the load generator's JSON lines (bench/cmd/load -out)
// into the benchmark's results: the median of the repeated runs of each
// (backend latency, workload, target, concurrency) as results.json, a
// Markdown table as results.md, and grouped bar charts as chart.png.
//
//	report -in runs.jsonl -dir bench/results [-meta commit=abc123 …]
package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tributary-gw/tributary/bench/workload"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

// Run is the part of a load result (bench/cmd/load's Result) used here.
type Run struct {
	Target        string            `json:"target"`
	Workload      string            `json:"workload"`
	Mode          string            `json:"mode"`
	Concurrency   int               `json:"concurrency"`
	Rate          float64           `json:"rate"`
	Labels        map[string]string `json:"labels"`
	Requests      int               `json:"requests"`
	Errors        int               `json:"errors"`
	FirstError    string            `json:"firstError,omitempty"`
	DurationS     float64           `json:"durationS"`
	ThroughputRPS float64           `json:"throughputRps"`
	Latency       struct {
		Mean, P50, P90, P95, P99, Max float64
	} `json:"latencyMs"`
	CPUMsPerReq float64 `json:"cpuMsPerReq"`
	CPUCores    float64 `json:"cpuCores"`
	PeakRSSMB   float64 `json:"peakRssMb"`
	HostBusy    float64 `json:"hostBusyCores"`
	DriverCores float64 `json:"driverCores"`
	OtherCores  float64 `json:"otherCores"`
	CallsPerOp  float64 `json:"callsPerOp"`
	IDsPerOp    float64 `json:"idsPerOp"`
}

// Key identifies the runs that repeat one measurement.
type Key struct {
	Latency     string `json:"backendLatency"`
	Workload    string `json:"workload"`
	Target      string `json:"target"`
	Concurrency int    `json:"concurrency"`
}

// Median is the median over a group's runs of each metric (errors are
// summed). The latencies are of the successful requests only.
type Median struct {
	ThroughputRPS float64 `json:"throughputRps"`
	P50Ms         float64 `json:"p50Ms"`
	P95Ms         float64 `json:"p95Ms"`
	P99Ms         float64 `json:"p99Ms"`
	MaxMs         float64 `json:"maxMs"`
	CPUMsPerReq   float64 `json:"cpuMsPerReq"`
	CPUCores      float64 `json:"cpuCores"`
	PeakRSSMB     float64 `json:"peakRssMb"`
	HostBusyCores float64 `json:"hostBusyCores"`
	DriverCores   float64 `json:"driverCores"`
	OtherCores    float64 `json:"otherCores"`
	CallsPerOp    float64 `json:"callsPerOp"`
	IDsPerOp      float64 `json:"idsPerOp"`
	Requests      float64 `json:"requests"`
	Errors        int     `json:"errors"`
	// ErrorRate is the errors over the requests of all runs.
	ErrorRate float64 `json:"errorRate"`
}

// Group is one measurement: its key, its median and the runs behind it.
type Group struct {
	Key
	Reps   int    `json:"reps"`
	Median Median `json:"median"`
	Runs   []Run  `json:"runs"`
}

// Results is results.json.
type Results struct {
	Generated time.Time         `json:"generated"`
	Meta      map[string]string `json:"meta,omitempty"`
	Groups    []Group           `json:"groups"`
}

type metaFlag map[string]string

func (m metaFlag) String() string { return fmt.Sprint(map[string]string(m)) }
func (m metaFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want key=value, got %q", s)
	}
	m[k] = v
	return nil
}

func run(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	in := fs.String("in", "", "JSON lines written by bench/cmd/load -out")
	dir := fs.String("dir", "bench/results", "output directory")
	meta := metaFlag{}
	fs.Var(meta, "meta", "key=value recorded in results.json and results.md (repeatable)")
	targets := fs.String("targets", "gateway,gateway-nobatch,floor", "target order in tables and charts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		return errors.New("-in is required")
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	runs, err := readRuns(f)
	f.Close()
	if err != nil {
		return err
	}
	order := strings.Split(*targets, ",")
	res := Results{Generated: time.Now().UTC(), Meta: meta, Groups: group(runs, order)}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, "results.md"), []byte(markdown(res, order)), 0o644); err != nil {
		return err
	}
	return chart(res, order, filepath.Join(*dir, "chart.png"))
}

func readRuns(r io.Reader) ([]Run, error) {
	dec := json.NewDecoder(r)
	var runs []Run
	for {
		var x Run
		err := dec.Decode(&x)
		if errors.Is(err, io.EOF) {
			return runs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("run %d: %w", len(runs)+1, err)
		}
		runs = append(runs, x)
	}
}

// group collects repeated runs and takes their medians, ordered by backend
// latency, concurrency, workload and target.
func group(runs []Run, targetOrder []string) []Group {
	idx := map[Key]int{}
	var groups []Group
	for _, r := range runs {
		k := Key{Latency: r.Labels["latency"], Workload: r.Workload, Target: r.Target, Concurrency: r.Concurrency}
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, Group{Key: k})
		}
		groups[i].Runs = append(groups[i].Runs, r)
	}
	for i := range groups {
		g := &groups[i]
		g.Reps = len(g.Runs)
		med := func(f func(Run) float64) float64 {
			xs := make([]float64, len(g.Runs))
			for j, r := range g.Runs {
				xs[j] = f(r)
			}
			return median(xs)
		}
		g.Median = Median{
			ThroughputRPS: med(func(r Run) float64 { return r.ThroughputRPS }),
			P50Ms:         med(func(r Run) float64 { return r.Latency.P50 }),
			P95Ms:         med(func(r Run) float64 { return r.Latency.P95 }),
			P99Ms:         med(func(r Run) float64 { return r.Latency.P99 }),
			MaxMs:         med(func(r Run) float64 { return r.Latency.Max }),
			CPUMsPerReq:   med(func(r Run) float64 { return r.CPUMsPerReq }),
			CPUCores:      med(func(r Run) float64 { return r.CPUCores }),
			PeakRSSMB:     med(func(r Run) float64 { return r.PeakRSSMB }),
			HostBusyCores: med(func(r Run) float64 { return r.HostBusy }),
			DriverCores:   med(func(r Run) float64 { return r.DriverCores }),
			OtherCores:    med(func(r Run) float64 { return r.OtherCores }),
			CallsPerOp:    med(func(r Run) float64 { return r.CallsPerOp }),
			IDsPerOp:      med(func(r Run) float64 { return r.IDsPerOp }),
			Requests:      med(func(r Run) float64 { return float64(r.Requests) }),
		}
		total := 0
		for _, r := range g.Runs {
			g.Median.Errors += r.Errors
			total += r.Requests
		}
		if total > 0 {
			g.Median.ErrorRate = float64(g.Median.Errors) / float64(total)
		}
	}
	rank := func(xs []string, x string) int {
		if i := slices.Index(xs, x); i >= 0 {
			return i
		}
		return len(xs)
	}
	var workloads []string
	for _, w := range workload.All() {
		workloads = append(workloads, w.Name)
	}
	slices.SortStableFunc(groups, func(a, b Group) int {
		return cmp.Or(
			cmp.Compare(latencyOf(a.Latency), latencyOf(b.Latency)),
			-cmp.Compare(a.Concurrency, b.Concurrency),
			cmp.Compare(rank(workloads, a.Workload), rank(workloads, b.Workload)),
			cmp.Compare(rank(targetOrder, a.Target), rank(targetOrder, b.Target)),
			strings.Compare(a.Target, b.Target),
		)
	})
	return groups
}

func latencyOf(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}

// median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func markdown(res Results, order []string) string {
	var b strings.Builder
	var load, calls []Group
	for _, g := range res.Groups {
		if g.Concurrency > 1 {
			load = append(load, g)
		} else {
			calls = append(calls, g)
		}
	}
	if len(load) > 0 {
		fmt.Fprintf(&b, "Closed loop, concurrency %d; median of %d runs each.\n\n", load[0].Concurrency, load[0].Reps)
		b.WriteString("| backend latency | workload | target | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | SUT CPU ms/req | SUT cores | SUT peak RSS MB | backend calls/req | driver cores | other cores |\n")
		b.WriteString("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, g := range load {
			m := g.Median
			errs := "0"
			if m.Errors > 0 {
				errs = fmt.Sprintf("%d (%.0f%%)", m.Errors, 100*m.ErrorRate)
			}
			if m.ErrorRate > 0.5 { // the latencies would be of the few that succeeded
				fmt.Fprintf(&b, "| %s | %s | %s | failed | – | – | – | – | %s | %.3f | %.2f | %.0f | – | %.2f | %.2f |\n",
					g.Latency, g.Workload, g.Target, errs, m.CPUMsPerReq, m.CPUCores, m.PeakRSSMB, m.DriverCores, m.OtherCores)
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %.0f | %.1f | %.1f | %.1f | %.1f | %s | %.3f | %.2f | %.0f | %.2f | %.2f | %.2f |\n",
				g.Latency, g.Workload, g.Target, m.ThroughputRPS, m.P50Ms, m.P95Ms, m.P99Ms, m.MaxMs, errs,
				m.CPUMsPerReq, m.CPUCores, m.PeakRSSMB, m.CallsPerOp, m.DriverCores, m.OtherCores)
		}
		b.WriteString("\n")
		ratios(&b, load, order)
	}
	if len(calls) > 0 {
		b.WriteString("Calls check: one request at a time (concurrency 1), median of the runs.\n\n")
		b.WriteString("| backend latency | workload | target | backend calls/req | ids/req | p50 ms | p99 ms | SUT CPU ms/req |\n")
		b.WriteString("|---|---|---|--:|--:|--:|--:|--:|\n")
		for _, g := range calls {
			m := g.Median
			fmt.Fprintf(&b, "| %s | %s | %s | %.2f | %.1f | %.2f | %.2f | %.3f |\n",
				g.Latency, g.Workload, g.Target, m.CallsPerOp, m.IDsPerOp, m.P50Ms, m.P99Ms, m.CPUMsPerReq)
		}
		b.WriteString("\n")
	}
	if len(res.Meta) > 0 {
		b.WriteString("Measured with: ")
		keys := slices.Sorted(maps.Keys(res.Meta))
		for i, k := range keys {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s: %s", k, res.Meta[k])
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// ratios writes the gateway's cost relative to the floor's, per workload
// and backend latency.
func ratios(b *strings.Builder, load []Group, order []string) {
	type lk struct{ lat, wl string }
	byT := map[lk]map[string]Median{}
	var keys []lk
	for _, g := range load {
		k := lk{g.Latency, g.Workload}
		if byT[k] == nil {
			byT[k] = map[string]Median{}
			keys = append(keys, k)
		}
		byT[k][g.Target] = g.Median
	}
	if len(order) == 0 || !slices.Contains(order, "floor") {
		return
	}
	gw := order[0]
	fmt.Fprintf(b, "%s relative to floor (×; >1 means the %s costs more):\n\n", gw, gw)
	b.WriteString("| backend latency | workload | throughput | p50 | p99 | CPU per request | backend calls |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|\n")
	div := func(a, c float64) string {
		if c == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f", a/c)
	}
	for _, k := range keys {
		g, okG := byT[k][gw]
		f, okF := byT[k]["floor"]
		if !okG || !okF || g.ErrorRate > 0.5 || f.ErrorRate > 0.5 {
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", k.lat, k.wl,
			div(g.ThroughputRPS, f.ThroughputRPS), div(g.P50Ms, f.P50Ms), div(g.P99Ms, f.P99Ms),
			div(g.CPUMsPerReq, f.CPUMsPerReq), div(g.CallsPerOp, f.CallsPerOp))
	}
	b.WriteString("\n")
}
