package telemetry_test

import (
	"bufio"
	"bytes"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// env is the harness's gateway over its own demo backends, with the
// telemetry under test plugged in through gateway.Options, recording the
// traceparent every backend received.
type env struct {
	*tributarytest.Env

	mu sync.Mutex
	// traceparents are the traceparent headers each backend received
	// ("" for a call without one).
	traceparents map[demo.Service][]string
}

// newEnv starts the demo backends and a gateway over them with opts; mods
// adjust the configuration before the gateway is built.
func newEnv(t *testing.T, opts gateway.Options, mods ...func(*config.Config)) *env {
	t.Helper()
	e := &env{
		Env:          tributarytest.NewWith(t, tributarytest.Options{Gateway: opts}, mods...),
		traceparents: map[demo.Service][]string{},
	}
	e.OnRequest(func(svc demo.Service, r *http.Request) {
		e.mu.Lock()
		e.traceparents[svc] = append(e.traceparents[svc], r.Header.Get("traceparent"))
		e.mu.Unlock()
	})
	return e
}

// received returns the traceparent headers svc received.
func (e *env) received(svc demo.Service) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.traceparents[svc]...)
}

// Short names for the harness's, used throughout this package's tests.
type (
	gqlResponse = tributarytest.Response
	gqlError    = tributarytest.Error
)

var (
	get         = tributarytest.At
	withService = tributarytest.WithService
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape reads /metrics.
func (e *env) scrape() metrics {
	e.T.Helper()
	status, body := e.Get("/metrics")
	if status != http.StatusOK {
		e.T.Fatalf("GET /metrics: got status %d, want 200", status)
	}
	var out metrics
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, ok := parseSample(line)
		if !ok {
			e.T.Fatalf("unparsable metrics line %q", line)
		}
		out = append(out, s)
	}
	return out
}

// parseSample parses `name{k="v",...} value` (no timestamps: promhttp
// writes none).
func parseSample(line string) (sample, bool) {
	s := sample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return s, false
	}
	s.name, line = line[:i], line[i:]
	if line[0] == '{' {
		line = line[1:]
		for line[0] != '}' {
			eq := strings.IndexByte(line, '=')
			if eq < 0 || len(line) < eq+2 || line[eq+1] != '"' {
				return s, false
			}
			key := line[:eq]
			line = line[eq+2:]
			var v strings.Builder
			j := 0
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' && j+1 < len(line) {
					j++
					if line[j] == 'n' {
						v.WriteByte('\n')
						continue
					}
				}
				v.WriteByte(line[j])
			}
			if j == len(line) {
				return s, false
			}
			s.labels[key] = v.String()
			line = strings.TrimPrefix(line[j+1:], ",")
			if line == "" {
				return s, false
			}
		}
		line = line[1:]
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(line), 64)
	if err != nil {
		return s, false
	}
	s.value = v
	return s, true
}

type metrics []sample

// get returns the value of the series of name with exactly the given labels
// (name, value pairs).
func (ms metrics) get(name string, labels ...string) (float64, bool) {
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, s := range ms {
		if s.name == name && maps.Equal(s.labels, want) {
			return s.value, true
		}
	}
	return 0, false
}

// sum adds the values of every series of name.
func (ms metrics) sum(name string) float64 {
	var n float64
	for _, s := range ms {
		if s.name == name {
			n += s.value
		}
	}
	return n
}

// series returns the series of name.
func (ms metrics) series(name string) []sample {
	var out []sample
	for _, s := range ms {
		if s.name == name {
			out = append(out, s)
		}
	}
	return out
}
