package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// procStats is what is read of the process under test before the phase.
type procStats struct {
	before    int64 // utime+stime, in clock ticks
	peakReset bool
}

// resetPeak resets the process's peak RSS (VmHWM) to its current RSS, so
// the peak read after the phase is the phase's. Linux ≥ 4.0, and allowed to
// the process's owner or root; without it the peak is the lifetime's.
func (p *procStats) resetPeak(pid int) {
	p.peakReset = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// readCPUTicks returns utime+stime of pid from /proc/<pid>/stat.
func readCPUTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseCPUTicks(b)
}

// parseCPUTicks reads fields 14 (utime) and 15 (stime) of a /proc/<pid>/stat
// line. The command name (field 2) is in parentheses and may hold spaces,
// so fields are counted from the last ')'.
func parseCPUTicks(stat []byte) (int64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("proc stat: no ')'")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state), so field k is f[k-3].
	if len(f) < 13 {
		return 0, errors.New("proc stat: too few fields")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("proc stat: %w", err)
	}
	return ut + st, nil
}

// readHWM returns VmHWM (peak RSS) of pid in kB.
func readHWM(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseStatusKB(b, "VmHWM:")
}

func parseStatusKB(status []byte, key string) (int64, error) {
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("proc status: no %s", key)
}

// hostCPU is the machine's CPU time from the first line of /proc/stat, in
// clock ticks.
type hostCPU struct{ busy, total int64 }

func readHostCPU() (hostCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return hostCPU{}, err
	}
	return parseHostCPU(b)
}

// parseHostCPU reads "cpu  user nice system idle iowait irq softirq steal …";
// idle and iowait are not busy.
func parseHostCPU(stat []byte) (hostCPU, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 6 || f[0] != "cpu" {
		return hostCPU{}, errors.New("proc stat: no cpu line")
	}
	var h hostCPU
	for i, s := range f[1:min(len(f), 9)] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return hostCPU{}, fmt.Errorf("proc stat: %w", err)
		}
		h.total += v
		if i != 3 && i != 4 {
			h.busy += v
		}
	}
	return h, nil
}

// busyCoresSince is the busy CPU seconds per second since before.
func (h hostCPU) busyCoresSince(before hostCPU, elapsed time.Duration, clkTck int) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(h.busy-before.busy) / float64(clkTck) / elapsed.Seconds()
}

// backendStats reads and resets the demo backends' counters
// (GET /_demo/stats, POST /_demo/stats/reset).
type backendStats struct {
	urls []string
	hc   *http.Client
}

func (s *backendStats) reset(ctx context.Context) error {
	for _, u := range s.urls {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(u, "/")+"/_demo/stats/reset", nil)
		if err != nil {
			return err
		}
		resp, err := s.hc.Do(req)
		if err != nil {
			return fmt.Errorf("reset backend stats: %w", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("reset backend stats at %s: status %d", u, resp.StatusCode)
		}
	}
	return nil
}

// read returns the calls and ids counted by all backends since the reset.
func (s *backendStats) read(ctx context.Context) (calls, ids int64, err error) {
	for _, u := range s.urls {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(u, "/")+"/_demo/stats", nil)
		if err != nil {
			return 0, 0, err
		}
		resp, err := s.hc.Do(req)
		if err != nil {
			return 0, 0, fmt.Errorf("backend stats: %w", err)
		}
		var st struct {
			Endpoints map[string]struct {
				Calls int64 `json:"calls"`
				IDs   int64 `json:"ids"`
			} `json:"endpoints"`
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			return 0, 0, fmt.Errorf("backend stats at %s: %w", u, err)
		}
		for _, e := range st.Endpoints {
			calls += e.Calls
			ids += e.IDs
		}
	}
	return calls, ids, nil
}
