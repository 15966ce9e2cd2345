package gateway

import (
	"cmp"
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/upstream"
)

// ReportHeader asks for the fan-out report in the response's
// extensions.tributary.fanout (when the configuration allows it: fanout_report,
// on by default in the development profile, off in production).
const ReportHeader = "X-Tributary-Report"

type reportKey struct{}

// reportState is what a request that asked for the report carries.
type reportState struct {
	start time.Time // when the gateway took the request: the report's time zero
	// waits names the fields that waited on a service.
	waits func(service string) []string
}

// withCallLog records every backend call of a request (the access log and
// the fan-out report read it) and, when the client asked for the report and
// the configuration allows it, which fields waited on each service.
func (g *Gateway) withCallLog(allowReport bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			if upstream.RecorderFrom(ctx) == nil {
				ctx = upstream.WithRecorder(ctx, upstream.NewRecorder())
			}
			if allowReport {
				if on, _ := strconv.ParseBool(r.Header.Get(ReportHeader)); on {
					st := &reportState{start: time.Now()}
					ctx, st.waits = g.loaders.RecordWaits(context.WithValue(ctx, reportKey{}, st))
				}
			}
			if ctx != r.Context() { // not when the access log's recorder is there already
				r = r.WithContext(ctx)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Fanout is the report: what the operation cost, per service, on one time
// axis whose zero is the moment the gateway took the request. Times are in
// milliseconds.
type Fanout struct {
	TotalCalls int `json:"totalCalls"`
	// PlannedCalls is the calls the operation's plan makes, as the limits
	// estimated them (-1 when they did not): fewer were sent when the
	// entity cache answered or another request shared a call, more when a
	// batch split or a call was retried.
	PlannedCalls int                       `json:"plannedCalls"`
	Services     map[string]*ServiceReport `json:"services"`
	Batching     BatchingReport            `json:"batching"`
	// TotalIDs sums the ids asked for by the calls sent.
	TotalIDs int `json:"totalIds"`
	// Rounds is the length of the longest chain of calls in which each
	// started after the one before had ended: the levels of the query that
	// waited on each other (see CallReport.Round).
	Rounds int `json:"rounds"`
	// DurationMS is the time from the start to this report (the response
	// is complete but not yet encoded).
	DurationMS float64 `json:"durationMs"`
	// BackendMS is the time during which at least one backend call was in
	// flight; GatewayMS the rest of DurationMS: parsing, validation,
	// resolving and merging, and waiting out retry backoffs.
	BackendMS float64 `json:"backendMs"`
	GatewayMS float64 `json:"gatewayMs"`
	// DeadlineMS is when the request's deadline (request_timeout) falls;
	// 0 when the request has none.
	DeadlineMS float64 `json:"deadlineMs"`
}

// ServiceReport is one service's share of the operation.
type ServiceReport struct {
	Calls   int `json:"calls"` // sent, retries included
	Retries int `json:"retries"`
	Failed  int `json:"failed"`
	Stale   int `json:"staleServed"`
	// NotSent counts the calls the gateway refused to send (circuit open,
	// fan-out budget spent, no in-flight slot); they are in Batches too.
	NotSent int `json:"notSent"`
	// CacheHits are the keys the entity cache answered, with no call.
	CacheHits int `json:"cacheHits"`
	// Planned is the calls the plan makes to this service (PlannedCalls').
	Planned int          `json:"planned"`
	Batches []CallReport `json:"batches"`
	// Fields are the fields that waited on this service (list indices
	// dropped).
	Fields []string `json:"fields"`
}

// Outcomes of a call, CallReport.Outcome.
const (
	OutcomeOK          = "ok"           // answered 2xx with a valid body
	OutcomeError       = "error"        // failed; Code says how
	OutcomeStale       = "stale"        // failed, and its fields were served from the stale cache
	OutcomeCircuitOpen = "circuit_open" // not sent: the service's circuit breaker is open
	OutcomeNotSent     = "not_sent"     // not sent: fan-out budget spent or no in-flight slot (Code)
)

// CallReport is one HTTP call, or one the gateway refused to send.
type CallReport struct {
	Endpoint string `json:"endpoint"`
	// Method is the call's HTTP method: GET, or a write's POST, PATCH, ….
	Method  string `json:"method"`
	IDs     int    `json:"ids"`
	Attempt int    `json:"attempt"` // 0 for the first try
	Status  int    `json:"status"`  // 0 when no response arrived
	Code    string `json:"code,omitempty"`
	Outcome string `json:"outcome"`
	// StartMS is when the call started, from the request's start.
	StartMS   float64 `json:"startMs"`
	LatencyMS float64 `json:"latencyMs"`
	// Round is 1 for a call that started before any other ended, else one
	// more than the highest round among the calls that had ended when it
	// started; a retry belongs to its first attempt's round.
	Round int `json:"round"`
}

// BatchingReport says how the loaders were dispatched.
type BatchingReport struct {
	Mode string `json:"mode"`
	// Dispatches counts the moments the engine found every call of a
	// round waiting and dispatched the loaders; Backstops the batches the
	// loaders' own timer sent because no dispatch came in time.
	Dispatches int64 `json:"dispatches"`
	Backstops  int64 `json:"backstops"`
}

// fanoutReport adds the report to responses that asked for it; l are the
// request loaders.
func fanoutReport(mode string, l Loaders) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		st, ok := ctx.Value(reportKey{}).(*reportState)
		if resp == nil || !ok {
			return resp
		}
		var calls, refused []upstream.Call
		hits := map[string]int{} // service → keys the entity cache answered
		if rec := upstream.RecorderFrom(ctx); rec != nil {
			calls, refused = rec.Calls(), rec.Refused()
			for _, svc := range config.Services {
				if n := rec.Hits(svc); n > 0 {
					hits[svc] = n
				}
			}
		}
		stale := map[string]int{} // service → fields served stale
		lr, hasLoaders := l.Report(ctx)
		for _, s := range lr.Stale {
			stale[s.Service]++
		}
		deadline, _ := ctx.Deadline()
		rep := buildFanout(st.start, time.Now(), deadline, calls, refused, stale, st.waits)
		for svc, n := range hits {
			if sr := rep.Services[svc]; sr != nil {
				sr.CacheHits = n
			}
		}
		rep.PlannedCalls = -1
		if graphql.HasOperationContext(ctx) {
			if p := plannedFrom(graphql.GetOperationContext(ctx)); p != nil {
				rep.PlannedCalls = p.Calls
				for svc, n := range p.PerService {
					if sr := rep.Services[svc]; sr != nil {
						sr.Planned = n
					}
				}
			}
		}
		rep.Batching.Mode = mode
		if hasLoaders && lr.Dispatched {
			rep.Batching.Dispatches = lr.Dispatches
			rep.Batching.Backstops = lr.Backstops
		}
		tributaryExtensions(resp)["fanout"] = rep
		return resp
	}
}

// buildFanout lays the calls of a request that started at start out on its
// time axis. now ends the request, deadline (zero: none) bounds it; stale
// counts per service the fields served stale after a failure; fields names
// the fields that waited on a service.
func buildFanout(start, now, deadline time.Time, calls, refused []upstream.Call, stale map[string]int, fields func(service string) []string) Fanout {
	rep := Fanout{Services: map[string]*ServiceReport{}, DurationMS: ms(now.Sub(start))}
	if !deadline.IsZero() {
		rep.DeadlineMS = ms(deadline.Sub(start))
	}
	for _, s := range config.Services {
		rep.Services[s] = &ServiceReport{Batches: []CallReport{}, Fields: fields(s), Stale: stale[s]}
	}

	// Every call, sent or not, in start order, each with its outcome.
	type entry struct {
		call upstream.Call
		sent bool
	}
	all := make([]entry, 0, len(calls)+len(refused))
	for _, c := range calls {
		all = append(all, entry{c, true})
	}
	for _, c := range refused {
		all = append(all, entry{c, false})
	}
	slices.SortStableFunc(all, func(a, b entry) int { return a.call.Start.Compare(b.call.Start) })

	// retried reports whether a later attempt followed all[i].
	retried := func(i int) bool {
		c := all[i].call
		for _, o := range all[i+1:] {
			if o.call.Service == c.Service && o.call.Endpoint == c.Endpoint && o.call.Attempt == c.Attempt+1 {
				return true
			}
		}
		return false
	}
	// A call's round is one more than the deepest round of the first
	// attempts that ended before it started: the length of the longest
	// chain of calls, each waiting for the one before, that ends with it.
	// Calls dispatched together start within microseconds, so one that
	// started less than sameWave before another (a refused call takes no
	// time) is not before it.
	const sameWave = time.Millisecond
	rounds := make([]int, len(all))
	var busy []span // intervals with a call in flight
	for i, e := range all {
		c := e.call
		end := c.Start.Add(c.Duration)
		if c.Attempt == 0 {
			rounds[i] = 1
			for j, p := range all[:i] {
				pc := p.call
				if pc.Attempt == 0 && !pc.Start.Add(pc.Duration).After(c.Start) && c.Start.Sub(pc.Start) >= sameWave {
					rounds[i] = max(rounds[i], rounds[j]+1)
				}
			}
		} else {
			// A retry belongs to the round of the attempt before it.
			for j := i - 1; j >= 0; j-- {
				if p := all[j].call; p.Service == c.Service && p.Endpoint == c.Endpoint && p.Attempt == c.Attempt-1 {
					rounds[i] = rounds[j]
					break
				}
			}
		}
		rep.Rounds = max(rep.Rounds, rounds[i])
		sr := rep.Services[c.Service]
		if sr == nil {
			continue
		}
		cr := CallReport{
			Endpoint: c.Endpoint, Method: c.Method, IDs: c.IDs, Attempt: c.Attempt, Status: c.Status, Code: string(c.Code),
			StartMS: ms(c.Start.Sub(start)), LatencyMS: ms(c.Duration), Round: rounds[i],
		}
		switch {
		case !e.sent && c.Code == upstream.CodeCircuitOpen:
			cr.Outcome = OutcomeCircuitOpen
			sr.NotSent++
		case !e.sent:
			cr.Outcome = OutcomeNotSent
			sr.NotSent++
		case c.Code == "":
			cr.Outcome = OutcomeOK
		case stale[c.Service] > 0 && !retried(i):
			cr.Outcome = OutcomeStale
		default:
			cr.Outcome = OutcomeError
		}
		if e.sent {
			sr.Calls++
			rep.TotalCalls++
			rep.TotalIDs += c.IDs
			if c.Attempt > 0 {
				sr.Retries++
			}
			if c.Code != "" {
				sr.Failed++
			}
			busy = append(busy, span{c.Start, end})
		}
		sr.Batches = append(sr.Batches, cr)
	}
	rep.BackendMS = ms(union(busy))
	rep.GatewayMS = math.Max(0, round3(rep.DurationMS-rep.BackendMS))
	return rep
}

type span struct{ from, to time.Time }

// union is the total length of spans, overlaps counted once.
func union(spans []span) time.Duration {
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.from.UnixNano(), b.from.UnixNano()) })
	var total time.Duration
	var cur span
	for i, s := range spans {
		switch {
		case i == 0:
			cur = s
		case s.from.After(cur.to):
			total += cur.to.Sub(cur.from)
			cur = s
		case s.to.After(cur.to):
			cur.to = s.to
		}
	}
	if len(spans) > 0 {
		total += cur.to.Sub(cur.from)
	}
	return total
}

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
