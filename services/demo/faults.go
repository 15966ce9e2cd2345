package demo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"time"
)

// DefaultFaultStatus is the status of injected errors when Faults.Status is 0.
const DefaultFaultStatus = 503

// Faults are the failures a Server injects. The zero value injects nothing.
//
// Every call first waits Latency plus a uniformly random duration in
// [0, Jitter] (ended early if the client goes away); then, if Down, answers
// 503 {"error":"service down"}; otherwise a fraction ErrorRate (0..1) of calls
// answers Status (0 means DefaultFaultStatus) with {"error":"injected failure"}.
//
// In JSON, durations are Go duration strings:
//
//	{"latency":"20ms","jitter":"0s","errorRate":0,"down":false,"status":503}
//
// Unmarshalling into an existing Faults is a partial update: fields absent
// from the JSON keep their value.
type Faults struct {
	Latency   time.Duration
	Jitter    time.Duration
	ErrorRate float64
	Down      bool
	Status    int
	// CacheControl is sent as the Cache-Control header of successful
	// answers (not a fault, but set the same way: to exercise a gateway's
	// entity cache); empty sends none.
	CacheControl string
	// AfterWrite, when set (AfterWrite503 or AfterWriteDrop), is what the
	// server does after it has applied a write instead of answering it: a
	// write that took effect and looks failed to its client. It applies to
	// the next AfterWriteTimes writes (0: every write). A replay of a
	// remembered Idempotency-Key applies nothing and is answered as is.
	AfterWrite      string
	AfterWriteTimes int
}

// normalized returns f with Status defaulted and out-of-range values clamped.
func (f Faults) normalized() Faults {
	f.Latency = max(f.Latency, 0)
	f.Jitter = max(f.Jitter, 0)
	f.ErrorRate = min(max(f.ErrorRate, 0), 1)
	if f.ErrorRate != f.ErrorRate { // NaN
		f.ErrorRate = 0
	}
	if f.Status == 0 || !validFaultStatus(f.Status) {
		f.Status = DefaultFaultStatus
	}
	if f.AfterWrite != AfterWrite503 && f.AfterWrite != AfterWriteDrop {
		f.AfterWrite = ""
	}
	f.AfterWriteTimes = max(f.AfterWriteTimes, 0)
	return f
}

// Injected errors must be non-2xx; 4xx and 5xx are both useful to simulate.
func validFaultStatus(s int) bool { return s >= 400 && s <= 599 }

type faultsJSON struct {
	Latency   string  `json:"latency"`
	Jitter    string  `json:"jitter"`
	ErrorRate float64 `json:"errorRate"`
	Down      bool    `json:"down"`
	Status    int     `json:"status"`

	CacheControl string `json:"cacheControl,omitempty"`

	AfterWrite      string `json:"afterWrite,omitempty"`
	AfterWriteTimes int    `json:"afterWriteTimes,omitempty"`
}

type faultsPatch struct {
	Latency   *string  `json:"latency"`
	Jitter    *string  `json:"jitter"`
	ErrorRate *float64 `json:"errorRate"`
	Down      *bool    `json:"down"`
	Status    *int     `json:"status"`

	CacheControl *string `json:"cacheControl"`

	AfterWrite      *string `json:"afterWrite"`
	AfterWriteTimes *int    `json:"afterWriteTimes"`
}

// MarshalJSON encodes f with durations as strings.
func (f Faults) MarshalJSON() ([]byte, error) {
	f = f.normalized()
	return json.Marshal(faultsJSON{
		Latency:   f.Latency.String(),
		Jitter:    f.Jitter.String(),
		ErrorRate: f.ErrorRate,
		Down:      f.Down,
		Status:    f.Status,

		CacheControl: f.CacheControl,

		AfterWrite:      f.AfterWrite,
		AfterWriteTimes: f.AfterWriteTimes,
	})
}

// UnmarshalJSON applies the fields present in data to f, rejecting unknown
// fields, unparsable or negative durations, an errorRate outside [0,1] and a
// status outside 400..599 (0 means the default). On error f is unchanged.
func (f *Faults) UnmarshalJSON(data []byte) error {
	var p faultsPatch
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	if dec.More() {
		return errors.New("faults: trailing data after JSON object")
	}
	nf := *f
	for _, d := range []struct {
		name string
		give *string
		dst  *time.Duration
	}{{"latency", p.Latency, &nf.Latency}, {"jitter", p.Jitter, &nf.Jitter}} {
		if d.give == nil {
			continue
		}
		v, err := time.ParseDuration(*d.give)
		if err != nil {
			return fmt.Errorf("faults: %s: %w", d.name, err)
		}
		if v < 0 {
			return fmt.Errorf("faults: %s: negative duration %q", d.name, *d.give)
		}
		*d.dst = v
	}
	if p.ErrorRate != nil {
		if !(*p.ErrorRate >= 0 && *p.ErrorRate <= 1) {
			return fmt.Errorf("faults: errorRate %v outside [0,1]", *p.ErrorRate)
		}
		nf.ErrorRate = *p.ErrorRate
	}
	if p.Down != nil {
		nf.Down = *p.Down
	}
	if p.Status != nil {
		if *p.Status != 0 && !validFaultStatus(*p.Status) {
			return fmt.Errorf("faults: status %d outside 400..599", *p.Status)
		}
		nf.Status = *p.Status
	}
	if p.CacheControl != nil {
		nf.CacheControl = *p.CacheControl
	}
	if p.AfterWrite != nil {
		switch *p.AfterWrite {
		case "", AfterWrite503, AfterWriteDrop:
		default:
			return fmt.Errorf("faults: afterWrite %q: want %q, %q or \"\"", *p.AfterWrite, AfterWrite503, AfterWriteDrop)
		}
		nf.AfterWrite = *p.AfterWrite
	}
	if p.AfterWriteTimes != nil {
		if *p.AfterWriteTimes < 0 {
			return fmt.Errorf("faults: afterWriteTimes %d is negative", *p.AfterWriteTimes)
		}
		nf.AfterWriteTimes = *p.AfterWriteTimes
	}
	*f = nf
	return nil
}

// dropConnection closes the client's connection without an answer; where
// the connection cannot be taken over (HTTP/2), the handler panics with
// http.ErrAbortHandler, which resets the stream.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// injectFaults waits the injected latency and applies Down and ErrorRate. It
// reports whether the call should proceed; if not, rp holds the answer.
func (s *Server) injectFaults(r *http.Request, rp *reply) bool {
	f := s.faults.Load()
	if d := f.Latency + randDuration(f.Jitter); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			rp.fail(http.StatusServiceUnavailable, "request cancelled")
			return false
		case <-s.stopping:
			t.Stop()
			rp.fail(http.StatusServiceUnavailable, "server shutting down")
			return false
		}
	}
	if f.Down {
		rp.fail(http.StatusServiceUnavailable, "service down")
		return false
	}
	if f.ErrorRate > 0 && rand.Float64() < f.ErrorRate {
		rp.fail(f.Status, "injected failure")
		return false
	}
	return true
}

// randDuration returns a uniformly random duration in [0, limit].
func randDuration(limit time.Duration) time.Duration {
	switch {
	case limit <= 0:
		return 0
	case limit == time.Duration(math.MaxInt64):
		return time.Duration(rand.Int64())
	}
	return time.Duration(rand.Int64N(int64(limit) + 1))
}
