package demo

import (
	"slices"
	"sync"
	"sync/atomic"
)

// MaxBatchSizes caps EndpointStats.BatchSizes: only the first MaxBatchSizes
// calls since the last reset are recorded (Calls and IDs keep counting).
const MaxBatchSizes = 10000

// Stats is a snapshot of a Server's counters. Endpoints has an entry for each
// endpoint of the service, called or not.
type Stats struct {
	Endpoints map[string]EndpointStats `json:"endpoints"`
	// InFlight is the number of calls in progress on the whole server.
	InFlight int64 `json:"inFlight"`
	// PeakConcurrent is the highest InFlight since the last reset.
	PeakConcurrent int64 `json:"peakConcurrent"`
}

// EndpointStats are the counters of one endpoint since the last reset.
type EndpointStats struct {
	// Calls counts every call, failed ones included.
	Calls int64 `json:"calls"`
	// IDs is the total number of ids requested, duplicates included: the
	// elements of the batch parameter, or 1 for a single-item path. The
	// listing (products.list) requests no ids.
	IDs int64 `json:"ids"`
	// BatchSizes holds the ids requested per call, in arrival order, for the
	// first MaxBatchSizes calls. Calls of products.list are not recorded.
	BatchSizes []int `json:"batchSizes"`
	// InFlight is the number of calls in progress, injected latency included.
	InFlight int64 `json:"inFlight"`
	// PeakConcurrent is the highest InFlight since the last reset.
	PeakConcurrent int64 `json:"peakConcurrent"`
	// Errors counts the calls answered non-2xx (injected or real), including
	// calls abandoned because the client went away during injected latency.
	Errors int64 `json:"errors"`
}

// Calls returns the number of calls of one endpoint.
func (s Stats) Calls(endpoint string) int64 { return s.Endpoints[endpoint].Calls }

// TotalCalls returns the number of calls of all endpoints.
func (s Stats) TotalCalls() int64 {
	var n int64
	for _, e := range s.Endpoints {
		n += e.Calls
	}
	return n
}

// TotalIDs returns the number of ids requested from all endpoints.
func (s Stats) TotalIDs() int64 {
	var n int64
	for _, e := range s.Endpoints {
		n += e.IDs
	}
	return n
}

// gauge is an in-flight count with its peak.
type gauge struct {
	cur, peak atomic.Int64
}

func (g *gauge) inc() {
	n := g.cur.Add(1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

func (g *gauge) dec() { g.cur.Add(-1) }

// reset lowers the peak to the current level.
func (g *gauge) reset() { g.peak.Store(g.cur.Load()) }

type endpointCounters struct {
	calls, ids, errors atomic.Int64
	inFlight           gauge

	mu         sync.Mutex
	batchSizes []int
}

func (c *endpointCounters) recordIDs(n int) {
	c.ids.Add(int64(n))
	c.mu.Lock()
	if len(c.batchSizes) < MaxBatchSizes {
		c.batchSizes = append(c.batchSizes, n)
	}
	c.mu.Unlock()
}

func (c *endpointCounters) snapshot() EndpointStats {
	c.mu.Lock()
	bs := slices.Clone(c.batchSizes)
	c.mu.Unlock()
	if bs == nil {
		bs = []int{}
	}
	return EndpointStats{
		Calls:          c.calls.Load(),
		IDs:            c.ids.Load(),
		BatchSizes:     bs,
		InFlight:       c.inFlight.cur.Load(),
		PeakConcurrent: c.inFlight.peak.Load(),
		Errors:         c.errors.Load(),
	}
}

// reset zeroes the counters; calls in flight stay counted in InFlight.
func (c *endpointCounters) reset() {
	c.mu.Lock()
	c.batchSizes = nil
	c.mu.Unlock()
	c.calls.Store(0)
	c.ids.Store(0)
	c.errors.Store(0)
	c.inFlight.reset()
}
