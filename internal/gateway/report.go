package gateway

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/upstream"
	"github.com/tributary-gw/tributary/services/loaders"
)

// ReportHeader asks for the fan-out report in the response's
// extensions.tributary.fanout (when the configuration allows it).
const ReportHeader = "X-Tributary-Report"

type reportKey struct{}

// withCallLog records every backend call of a request (the access log and
// the fan-out report read it) and, when the client asked for the report and
// the configuration allows it, which fields waited on each service.
func withCallLog(allowReport bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			if upstream.RecorderFrom(ctx) == nil {
				ctx = upstream.WithRecorder(ctx, upstream.NewRecorder())
			}
			if allowReport {
				if on, _ := strconv.ParseBool(r.Header.Get(ReportHeader)); on {
					w := &loaders.Waits{}
					ctx = loaders.WithWaits(context.WithValue(ctx, reportKey{}, w), w)
				}
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// Fanout is the report: what the operation cost, per service.
type Fanout struct {
	TotalCalls int                       `json:"totalCalls"`
	Services   map[string]*ServiceReport `json:"services"`
	Batching   BatchingReport            `json:"batching"`
}

// ServiceReport is one service's share of the operation.
type ServiceReport struct {
	Calls   int `json:"calls"`
	Retries int `json:"retries"`
	Failed  int `json:"failed"`
	Stale   int `json:"staleServed"`
	// CacheHits are the keys the entity cache answered, with no call.
	CacheHits int          `json:"cacheHits"`
	Batches   []CallReport `json:"batches"`
	// Fields are the fields that waited on this service (list indices
	// dropped).
	Fields []string `json:"fields"`
}

// CallReport is one HTTP call.
type CallReport struct {
	Endpoint  string  `json:"endpoint"`
	IDs       int     `json:"ids"`
	Attempt   int     `json:"attempt"`
	Status    int     `json:"status"`
	Code      string  `json:"code,omitempty"`
	LatencyMS float64 `json:"latencyMs"`
}

// BatchingReport says how the loaders were dispatched.
type BatchingReport struct {
	Mode string `json:"mode"`
	// Dispatches counts the moments the scheduler found every field waiting
	// and dispatched the loaders; Backstops the batches its timer sent.
	Dispatches int64 `json:"dispatches"`
	Backstops  int64 `json:"backstops"`
	// Anomalies counts the scheduler's count going negative: a bug if
	// ever non-zero.
	Anomalies int64 `json:"anomalies"`
}

// fanoutReport adds the report to responses that asked for it.
func fanoutReport(mode string) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		waits, ok := ctx.Value(reportKey{}).(*loaders.Waits)
		if resp == nil || !ok {
			return resp
		}
		rep := Fanout{Services: map[string]*ServiceReport{}, Batching: BatchingReport{Mode: mode}}
		for _, s := range config.Services {
			rep.Services[s] = &ServiceReport{Batches: []CallReport{}, Fields: waits.Fields(s)}
		}
		if rec := upstream.RecorderFrom(ctx); rec != nil {
			for s, sr := range rep.Services {
				sr.CacheHits = rec.Hits(s)
			}
			calls := rec.Calls()
			slices.SortStableFunc(calls, func(a, b upstream.Call) int { return a.Start.Compare(b.Start) })
			for _, c := range calls {
				sr := rep.Services[c.Service]
				if sr == nil {
					continue
				}
				sr.Calls++
				rep.TotalCalls++
				if c.Attempt > 0 {
					sr.Retries++
				}
				if c.Code != "" {
					sr.Failed++
				}
				sr.Batches = append(sr.Batches, CallReport{
					Endpoint: c.Endpoint, IDs: c.IDs, Attempt: c.Attempt, Status: c.Status,
					Code: string(c.Code), LatencyMS: float64(c.Duration.Microseconds()) / 1000,
				})
			}
		}
		if l, ok := loaders.From(ctx); ok {
			for _, st := range l.Degradation().StaleAnswers() {
				if sr := rep.Services[st.Service]; sr != nil {
					sr.Stale++
				}
			}
			if s := l.Scheduler(); s != nil {
				rep.Batching.Dispatches = s.Flushes()
				rep.Batching.Backstops = s.Backstops()
				rep.Batching.Anomalies = s.Anomalies()
			}
		}
		tributaryExtensions(resp)["fanout"] = rep
		return resp
	}
}
