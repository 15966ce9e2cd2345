// Command load is the benchmark's load generator. It sends one workload
// (bench/workload) to a target — the gateway's GraphQL endpoint (POST
// application/json) or the floor (GET of the workload's floor path) — and
// reports throughput, latency percentiles, errors, the CPU time per request
// and peak RSS of the process under test, and backend calls per operation.
//
// Closed loop (the default): -c workers each send a request, wait for the
// answer, and send the next. Open loop (-rate > 0): requests start on a fixed
// schedule whatever the answers do, at most -max-inflight at once; latency
// counts from the scheduled start, so queueing is not hidden (no coordinated
// omission). Either way a run is bounded by -duration and by -n requests,
// after a -warmup that is not measured.
//
//	load -target http://127.0.0.1:8081/graphql -workload listing -c 50 -duration 10s -n 20000 \
//	     -pid 1234 -backends http://127.0.0.1:9101,…,http://127.0.0.1:9106 -out runs.jsonl
//
// Everything it talks to must be on loopback; it refuses other hosts.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-gw/tributary/bench/workload"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	target      string
	kind        string
	workload    workload.Workload
	label       string
	concurrency int
	authEach    bool
	rate        float64
	maxInFlight int
	duration    time.Duration
	n           int
	warmup      time.Duration
	timeout     time.Duration
	pid         int
	driverPIDs  []int
	backends    []string
	out         string
	format      string
	header      bool
	labels      map[string]string
	clkTck      int
}

// labelFlag collects repeated -set key=value.
type labelFlag map[string]string

func (l labelFlag) String() string { return fmt.Sprint(map[string]string(l)) }

func (l labelFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	l[k] = v
	return nil
}

func parse(args []string) (*options, error) {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	o := &options{labels: map[string]string{}}
	fs.StringVar(&o.target, "target", "http://127.0.0.1:8080/graphql", "gateway GraphQL URL, or the floor's base URL with -kind floor")
	fs.StringVar(&o.kind, "kind", "graphql", "graphql (POST the workload's query) or floor (GET the workload's floor path)")
	wl := fs.String("workload", "listing", "listing, dashboard, product or user")
	fs.StringVar(&o.label, "label", "", "name of the target in the results (default: -kind)")
	fs.IntVar(&o.concurrency, "c", 50, "closed loop: concurrent workers")
	fs.Float64Var(&o.rate, "rate", 0, "open loop: requests per second (0: closed loop)")
	fs.IntVar(&o.maxInFlight, "max-inflight", 10000, "open loop: most requests in flight; beyond, a scheduled request counts as an error")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "longest measured phase")
	fs.IntVar(&o.n, "n", 20000, "most requests in the measured phase")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured warm-up before the measured phase")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of one request")
	fs.IntVar(&o.pid, "pid", 0, "process under test: report its CPU time per request and peak RSS (Linux /proc)")
	drivers := fs.String("driver-pids", "", "comma-separated PIDs of the other benchmark processes (the backends): with this process, their CPU is reported as driver cores")
	be := fs.String("backends", "", "comma-separated base URLs of the demo backends: report backend calls per request (their stats are reset)")
	fs.StringVar(&o.out, "out", "", "append the result as one JSON line to this file")
	fs.StringVar(&o.format, "format", "table", "what to print: table, json or none")
	fs.BoolVar(&o.authEach, "auth-each", false, "send a different Authorization (Bearer r<n>) with every request")
	fs.BoolVar(&o.header, "header", true, "print the table header")
	fs.Var(labelFlag(o.labels), "set", "key=value label recorded with the result (repeatable)")
	fs.IntVar(&o.clkTck, "clk-tck", 100, "clock ticks per second of /proc/<pid>/stat (getconf CLK_TCK)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	w, err := workload.ByName(*wl)
	if err != nil {
		return nil, err
	}
	o.workload = w
	if *drivers != "" {
		for f := range strings.SplitSeq(*drivers, ",") {
			pid, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || pid <= 0 {
				return nil, fmt.Errorf("-driver-pids: bad PID %q", f)
			}
			o.driverPIDs = append(o.driverPIDs, pid)
		}
	}
	if o.kind != "graphql" && o.kind != "floor" {
		return nil, fmt.Errorf("-kind: want graphql or floor, got %q", o.kind)
	}
	if o.label == "" {
		o.label = o.kind
	}
	if o.concurrency < 1 || o.n < 1 || o.duration <= 0 || o.rate < 0 || o.maxInFlight < 1 {
		return nil, errors.New("-c, -n, -duration and -max-inflight must be positive, -rate not negative")
	}
	urls := []string{o.target}
	if *be != "" {
		o.backends = strings.Split(*be, ",")
		urls = append(urls, o.backends...)
	}
	for _, u := range urls {
		if err := loopbackOnly(u); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// loopbackOnly refuses URLs whose host is not a loopback address.
func loopbackOnly(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("bad URL %q", raw)
	}
	h := u.Hostname()
	if h == "localhost" {
		return nil
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s: only loopback targets are allowed", raw)
}

// Result is one run, as written to the JSON lines file.
type Result struct {
	Target      string            `json:"target"`
	Workload    string            `json:"workload"`
	Kind        string            `json:"kind"`
	URL         string            `json:"url"`
	Mode        string            `json:"mode"` // closed or open
	Concurrency int               `json:"concurrency,omitempty"`
	Rate        float64           `json:"rate,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Started     time.Time         `json:"started"`

	Requests      int     `json:"requests"`
	Errors        int     `json:"errors"`
	FirstError    string  `json:"firstError,omitempty"`
	DurationS     float64 `json:"durationS"`
	ThroughputRPS float64 `json:"throughputRps"`
	Latency       Latency `json:"latencyMs"`

	// Of the process under test (-pid), over the measured phase.
	CPUMsPerReq float64 `json:"cpuMsPerReq,omitempty"`
	CPUCores    float64 `json:"cpuCores,omitempty"` // CPU seconds per second
	PeakRSSMB   float64 `json:"peakRssMb,omitempty"`
	// PeakRSSReset tells whether the peak was reset before the phase
	// (/proc/<pid>/clear_refs); if not it is the process's lifetime peak.
	PeakRSSReset bool `json:"peakRssReset,omitempty"`

	// HostBusyCores is the whole machine's busy CPU time per second over the
	// phase (/proc/stat). DriverCores is the part of the load generator and
	// the -driver-pids (the backends); OtherCores what is left after them and
	// the SUT: work that is not the benchmark's, which disturbs it.
	HostBusyCores float64 `json:"hostBusyCores,omitempty"`
	DriverCores   float64 `json:"driverCores,omitempty"`
	OtherCores    float64 `json:"otherCores"`

	// Of the demo backends (-backends), over the measured phase.
	BackendCalls int64   `json:"backendCalls,omitempty"`
	CallsPerOp   float64 `json:"callsPerOp,omitempty"`
	IDsPerOp     float64 `json:"idsPerOp,omitempty"`
}

// Latency is in milliseconds, over the successful requests.
type Latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

func run(args []string, stdout io.Writer) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	tr := &http.Transport{
		MaxIdleConns:        o.concurrency + 64,
		MaxIdleConnsPerHost: o.concurrency + 64,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	if o.rate > 0 {
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 1024, 1024
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: o.timeout}
	do := requester(o, hc)
	ctx := context.Background()

	// A broken target fails loudly instead of as 100% errors. A gateway
	// whose breakers a previous run opened gets their cool-down to recover.
	if err := firstRequest(ctx, do, 15*time.Second); err != nil {
		return fmt.Errorf("first request: %w", err)
	}
	if o.warmup > 0 {
		phase(ctx, o, do, o.warmup, o.n)
	}

	stats := &backendStats{urls: o.backends, hc: hc}
	if err := stats.reset(ctx); err != nil {
		return err
	}
	var proc procStats
	if o.pid > 0 {
		proc.resetPeak(o.pid)
		if proc.before, err = readCPUTicks(o.pid); err != nil {
			return err
		}
	}
	hostBefore, hostErr := readHostCPU()
	driversBefore := driverTicks(o.driverPIDs)
	started := time.Now()
	lats, nerr, firstErr, elapsed := phase(ctx, o, do, o.duration, o.n)

	res := Result{
		Target: o.label, Workload: o.workload.Name, Kind: o.kind, URL: o.target,
		Mode: "closed", Concurrency: o.concurrency, Labels: o.labels, Started: started.UTC(),
		Requests: len(lats) + nerr, Errors: nerr, FirstError: firstErr,
		DurationS: elapsed.Seconds(),
		Latency:   summarize(lats),
	}
	if o.rate > 0 {
		res.Mode, res.Concurrency, res.Rate = "open", 0, o.rate
	}
	if elapsed > 0 {
		res.ThroughputRPS = float64(len(lats)) / elapsed.Seconds()
	}
	if hostAfter, err := readHostCPU(); err == nil && hostErr == nil {
		res.HostBusyCores = hostAfter.busyCoresSince(hostBefore, elapsed, o.clkTck)
	}
	res.DriverCores = float64(driverTicks(o.driverPIDs)-driversBefore) / float64(o.clkTck) / elapsed.Seconds()
	if o.pid > 0 {
		after, err := readCPUTicks(o.pid)
		if err != nil {
			return err
		}
		cpu := time.Duration(after-proc.before) * time.Second / time.Duration(o.clkTck)
		if res.Requests > 0 {
			res.CPUMsPerReq = float64(cpu) / float64(time.Millisecond) / float64(res.Requests)
		}
		res.CPUCores = cpu.Seconds() / elapsed.Seconds()
		if kb, err := readHWM(o.pid); err == nil {
			res.PeakRSSMB = float64(kb) / 1024
		}
		res.PeakRSSReset = proc.peakReset
	}
	if res.HostBusyCores > 0 {
		res.OtherCores = max(res.HostBusyCores-res.CPUCores-res.DriverCores, 0)
	}
	if len(o.backends) > 0 {
		calls, ids, err := stats.read(ctx)
		if err != nil {
			return err
		}
		res.BackendCalls = calls
		if res.Requests > 0 {
			res.CallsPerOp = float64(calls) / float64(res.Requests)
			res.IDsPerOp = float64(ids) / float64(res.Requests)
		}
	}
	return emit(o, &res, stdout)
}

// driverTicks is the CPU time of this process and pids, in clock ticks;
// processes that cannot be read count nothing.
func driverTicks(pids []int) int64 {
	var n int64
	for _, pid := range append([]int{os.Getpid()}, pids...) {
		if t, err := readCPUTicks(pid); err == nil {
			n += t
		}
	}
	return n
}

// firstRequest sends requests until one succeeds, for at most d.
func firstRequest(ctx context.Context, do func(context.Context) error, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		err := do(ctx)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// requester returns a function that sends one request of the workload and
// reports whether it succeeded: status 200 and no "errors" in the answer.
func requester(o *options, hc *http.Client) func(context.Context) error {
	bodies := [][]byte{o.workload.Body()}
	urls := []string{o.target}
	for i := 1; i < len(o.workload.IDs); i++ {
		bodies = append(bodies, o.workload.BodyAt(i))
	}
	var seq atomic.Int64
	method := http.MethodPost
	if o.kind == "floor" {
		urls = urls[:0]
		for i := range max(1, len(o.workload.IDs)) {
			urls = append(urls, strings.TrimRight(o.target, "/")+o.workload.FloorPathAt(i))
		}
		method = http.MethodGet
	}
	bufs := sync.Pool{New: func() any { return new(bytes.Buffer) }}
	return func(ctx context.Context) error {
		n := seq.Add(1)
		var rd io.Reader
		if method == http.MethodPost {
			rd = bytes.NewReader(bodies[int(n)%len(bodies)])
		}
		req, err := http.NewRequestWithContext(ctx, method, urls[int(n)%len(urls)], rd)
		if err != nil {
			return err
		}
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/json")
		}
		if o.authEach {
			req.Header.Set("Authorization", "Bearer r"+strconv.FormatInt(n, 10))
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		buf := bufs.Get().(*bytes.Buffer)
		buf.Reset()
		defer bufs.Put(buf)
		_, err = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d: %.200s", resp.StatusCode, buf.Bytes())
		}
		if bytes.Contains(buf.Bytes(), []byte(`"errors"`)) {
			return fmt.Errorf("errors in answer: %.200s", buf.Bytes())
		}
		return nil
	}
}

// phase sends requests for at most d and at most n of them, closed or open
// loop, waits for those in flight, and returns the latencies of the
// successful ones, the number of errors, the first error and the time taken.
func phase(ctx context.Context, o *options, do func(context.Context) error, d time.Duration, n int) (lats []time.Duration, nerr int, firstErr string, elapsed time.Duration) {
	var (
		mu      sync.Mutex
		errOnce sync.Once
	)
	record := func(local []time.Duration, errs int) {
		mu.Lock()
		lats = append(lats, local...)
		nerr += errs
		mu.Unlock()
	}
	fail := func(err error) { errOnce.Do(func() { firstErr = err.Error() }) }

	start := time.Now()
	deadline := start.Add(d)
	if o.rate <= 0 {
		var issued atomic.Int64
		var wg sync.WaitGroup
		for range o.concurrency {
			wg.Go(func() {
				local := make([]time.Duration, 0, n/o.concurrency+1)
				errs := 0
				for issued.Add(1) <= int64(n) {
					t0 := time.Now()
					if t0.After(deadline) {
						break
					}
					if err := do(ctx); err != nil {
						errs++
						fail(err)
						continue
					}
					local = append(local, time.Since(t0))
				}
				record(local, errs)
			})
		}
		wg.Wait()
		return lats, nerr, firstErr, time.Since(start)
	}

	interval := time.Duration(float64(time.Second) / o.rate)
	var inFlight atomic.Int64
	var wg sync.WaitGroup
	dropped := 0
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if at.After(deadline) {
			break
		}
		time.Sleep(time.Until(at))
		if inFlight.Load() >= int64(o.maxInFlight) {
			dropped++
			fail(errors.New("open loop: -max-inflight reached"))
			continue
		}
		inFlight.Add(1)
		wg.Go(func() {
			defer inFlight.Add(-1)
			if err := do(ctx); err != nil {
				fail(err)
				record(nil, 1)
				return
			}
			record([]time.Duration{time.Since(at)}, 0) // from the scheduled start
		})
	}
	wg.Wait()
	record(nil, dropped)
	return lats, nerr, firstErr, time.Since(start)
}

// summarize returns the mean and nearest-rank percentiles of lats.
func summarize(lats []time.Duration) Latency {
	if len(lats) == 0 {
		return Latency{}
	}
	s := slices.Clone(lats)
	slices.Sort(s)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	pct := func(p float64) float64 {
		i := int(p*float64(len(s))+0.999999) - 1 // nearest rank
		return ms(s[min(max(i, 0), len(s)-1)])
	}
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Latency{
		Mean: ms(sum / time.Duration(len(s))),
		P50:  pct(0.50), P90: pct(0.90), P95: pct(0.95), P99: pct(0.99),
		Max: ms(s[len(s)-1]),
	}
}

func emit(o *options, r *Result, stdout io.Writer) error {
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if o.out != "" {
		f, err := os.OpenFile(o.out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.Write(append(line, '\n')); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	switch o.format {
	case "json":
		_, err = fmt.Fprintf(stdout, "%s\n", line)
	case "table":
		if o.header {
			fmt.Fprintf(stdout, "%-16s %-9s %-6s %5s %8s %6s %9s %8s %8s %8s %8s %8s %7s %8s %8s %5s\n",
				"target", "workload", "mode", "c", "reqs", "errs", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "cpu ms/r", "cores", "rss MB", "calls/op", "other")
		}
		mode := fmt.Sprintf("%d", r.Concurrency)
		if r.Mode == "open" {
			mode = fmt.Sprintf("%gr/s", r.Rate)
		}
		_, err = fmt.Fprintf(stdout, "%-16s %-9s %-6s %5s %8d %6d %9.1f %8.2f %8.2f %8.2f %8.2f %8.3f %7.2f %8.1f %8.2f %5.2f\n",
			r.Target, r.Workload, r.Mode, mode, r.Requests, r.Errors, r.ThroughputRPS,
			r.Latency.P50, r.Latency.P95, r.Latency.P99, r.Latency.Max, r.CPUMsPerReq, r.CPUCores, r.PeakRSSMB, r.CallsPerOp, r.OtherCores)
		if err == nil && r.FirstError != "" {
			fmt.Fprintf(stdout, "  first error: %s\n", r.FirstError)
		}
	}
	return err
}
