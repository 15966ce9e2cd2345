package telemetry

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sony/gobreaker/v2"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/upstream"
)

// Metrics records the gateway's Prometheus metrics in one registry. It is
// the Observer of backend calls, provides the policy hooks, the GraphQL
// extension and the /metrics handler. It is safe for concurrent use.
//
// Label values are bounded: services and endpoints are the gateway's own
// names, status classes are 2xx/3xx/4xx/5xx/error, and operation names are
// client input, so a name is used only when it matches
// ^[A-Za-z_][A-Za-z0-9_]{0,63}$ and is among the first 200 distinct names
// of executed operations; other names are "other", no name "anonymous".
type Metrics struct {
	handler http.Handler
	ops     opNames

	requests           *prometheus.CounterVec
	requestDuration    *prometheus.HistogramVec
	partial            *prometheus.CounterVec
	calls              *prometheus.CounterVec
	callDuration       *prometheus.HistogramVec
	batchSize          *prometheus.HistogramVec
	inFlight           *prometheus.GaugeVec
	retries            *prometheus.CounterVec
	badResponses       *prometheus.CounterVec
	breakerState       *prometheus.GaugeVec
	breakerTransitions *prometheus.CounterVec
	cacheKeys          *prometheus.CounterVec
	redisErrors        *prometheus.CounterVec
	operations         *prometheus.CounterVec

	// The children of the backend call metrics, per service and
	// endpoint: one look-up per call event (see endpointMetrics).
	endpoints sync.Map // endpointLabels → *endpointMetrics
}

type endpointLabels struct{ service, endpoint string }

// endpointMetrics holds the children of the backend call metrics of one
// service endpoint, so that a call does not hash and check its labels for
// each metric (as WithLabelValues does). Each child is resolved when first
// used, as it would be without them, so no series appears earlier. Label
// values are bounded (see Metrics: the gateway's own service and endpoint
// names), and no child is ever deleted from its vector, so an entry never
// goes stale.
type endpointMetrics struct {
	inFlight        lazy[prometheus.Gauge]
	bad             lazy[prometheus.Counter]
	duration, batch lazy[prometheus.Observer]
	calls           [len(statusClasses)]lazy[prometheus.Counter] // by statusClasses index
	labels          endpointLabels
}

// lazy is a child metric resolved on first use. Two first uses at once
// both resolve it, to the same child: a vector hands out one child per
// label values.
type lazy[M any] struct{ p atomic.Pointer[M] }

func (l *lazy[M]) get(resolve func() M) M {
	if p := l.p.Load(); p != nil {
		return *p
	}
	m := resolve()
	l.p.CompareAndSwap(nil, &m)
	return m
}

// endpoint returns the children of c's service endpoint.
func (m *Metrics) endpoint(c *upstream.Call) *endpointMetrics {
	k := endpointLabels{c.Service, c.Endpoint}
	if e, ok := m.endpoints.Load(k); ok {
		return e.(*endpointMetrics)
	}
	e, _ := m.endpoints.LoadOrStore(k, &endpointMetrics{labels: k})
	return e.(*endpointMetrics)
}

func (e *endpointMetrics) inFlightOf(m *Metrics) prometheus.Gauge {
	return e.inFlight.get(func() prometheus.Gauge { return m.inFlight.WithLabelValues(e.labels.service) })
}

// NewMetrics registers the gateway's metrics in reg; it panics if they are
// already registered there (a wiring bug). Series per service start at zero
// for the services in config.Services.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_graphql_requests_total",
			Help: "GraphQL requests by operation name and outcome (ok, partial, error, rejected).",
		}, []string{"operation", "outcome"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tributary_graphql_request_duration_seconds",
			Help:    "Time from receiving a GraphQL request to its response being ready, by operation name.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation"}),
		partial: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_graphql_partial_responses_total",
			Help: "GraphQL responses with at least one error from the service, by service.",
		}, []string{"service"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_backend_calls_total",
			Help: "Backend call attempts (retries included) by service, endpoint and status class (error: no response).",
		}, []string{"service", "endpoint", "status_class"}),
		callDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tributary_backend_call_duration_seconds",
			Help: "Duration of backend call attempts by service and endpoint.",
			// Backend calls time out after a second by default.
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"service", "endpoint"}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tributary_backend_batch_size",
			Help: "Ids asked for per backend call (first attempts of calls that take ids), by service and endpoint.",
			// The contract allows at most 100 ids per call.
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100},
		}, []string{"service", "endpoint"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tributary_backend_in_flight",
			Help: "Backend call attempts in flight, by service.",
		}, []string{"service"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_backend_retries_total",
			Help: "Backend call retries, by service.",
		}, []string{"service"}),
		breakerState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tributary_breaker_state",
			Help: "Circuit breaker state by service: 0 closed, 1 half-open, 2 open.",
		}, []string{"service"}),
		breakerTransitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_breaker_transitions_total",
			Help: "Circuit breaker state changes by service, from and to state.",
		}, []string{"service", "from", "to"}),
	}
	m.cacheKeys = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tributary_entity_cache_keys_total",
		Help: "Keys looked up in the entity cache by service, endpoint and result (l1: in process, l2: shared store, miss: fetched).",
	}, []string{"service", "endpoint", "result"})
	m.redisErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tributary_redis_errors_total",
		Help: "Redis commands that failed, by use (entity_cache, apq, fallback, rate_limit, invalidation); each one was answered from in-process state instead.",
	}, []string{"use"})
	reg.MustRegister(m.redisErrors)
	// Answers that break the service's contract: the gateway refuses them
	// (BAD_BACKEND_RESPONSE); -check-contracts tells which change did it.
	m.badResponses = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tributary_backend_bad_responses_total",
		Help: "Backend answers refused as BAD_BACKEND_RESPONSE (not the contract: a missing required property, a wrong type, an enum value the contract lacks, an unreadable body), by service.",
	}, []string{"service"})
	reg.MustRegister(m.badResponses)
	m.operations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tributary_operations_total",
		Help: "GraphQL operations executed, by engine: plan (planned once, run round by round) or gqlgen (introspection, and whatever else the plan does not cover: docs/architecture.md).",
	}, []string{"engine"})
	reg.MustRegister(m.operations)
	// Both series exist from the start, so a rate of fallbacks reads 0.
	m.operations.WithLabelValues("plan")
	m.operations.WithLabelValues("gqlgen")
	reg.MustRegister(m.requests, m.requestDuration, m.partial, m.calls, m.callDuration,
		m.batchSize, m.inFlight, m.retries, m.breakerState, m.breakerTransitions, m.cacheKeys)
	for _, s := range config.Services {
		m.partial.WithLabelValues(s)
		m.inFlight.WithLabelValues(s)
		m.retries.WithLabelValues(s)
		m.badResponses.WithLabelValues(s)
		m.breakerState.WithLabelValues(s)
	}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return m
}

var (
	_ upstream.Observer     = (*Metrics)(nil)
	_ connect.CacheObserver = (*Metrics)(nil)
)

// Operation counts an operation run by engine (gateway.Options.OnOperation).
func (m *Metrics) Operation(engine string) { m.operations.WithLabelValues(engine).Inc() }

// RedisError counts a failed Redis command of use.
func (m *Metrics) RedisError(use string) { m.redisErrors.WithLabelValues(use).Inc() }

// CacheLookups implements connect.CacheObserver.
func (m *Metrics) CacheLookups(service, endpoint string, l1, l2, misses int) {
	for _, r := range []struct {
		result string
		n      int
	}{{"l1", l1}, {"l2", l2}, {"miss", misses}} {
		if r.n > 0 {
			m.cacheKeys.WithLabelValues(service, endpoint, r.result).Add(float64(r.n))
		}
	}
}

// CallStarted implements upstream.Observer.
func (m *Metrics) CallStarted(_ context.Context, c upstream.Call) {
	m.endpoint(&c).inFlightOf(m).Inc()
}

// CallFinished implements upstream.Observer. The batch size is observed
// once per call, on its first attempt, so retries do not skew it.
func (m *Metrics) CallFinished(_ context.Context, c upstream.Call) {
	e := m.endpoint(&c)
	e.inFlightOf(m).Dec()
	class := statusClassIndex(c.Status)
	e.calls[class].get(func() prometheus.Counter {
		return m.calls.WithLabelValues(c.Service, c.Endpoint, statusClasses[class])
	}).Inc()
	if c.Code == upstream.CodeBadResponse {
		e.bad.get(func() prometheus.Counter { return m.badResponses.WithLabelValues(c.Service) }).Inc()
	}
	e.duration.get(func() prometheus.Observer {
		return m.callDuration.WithLabelValues(c.Service, c.Endpoint)
	}).Observe(c.Duration.Seconds())
	if c.IDs > 0 && c.Attempt == 0 {
		e.batch.get(func() prometheus.Observer {
			return m.batchSize.WithLabelValues(c.Service, c.Endpoint)
		}).Observe(float64(c.IDs))
	}
}

// statusClasses are the values of the status_class label.
var statusClasses = [...]string{"error", "1xx", "2xx", "3xx", "4xx", "5xx"}

// statusClass is "1xx" … "5xx", or "error" when no response arrived.
func statusClass(status int) string { return statusClasses[statusClassIndex(status)] }

// statusClassIndex is statusClass's index in statusClasses.
func statusClassIndex(status int) int {
	if status < 100 || status > 599 {
		return 0
	}
	return status / 100
}

// PolicyHooks counts retries and follows breaker transitions.
func (m *Metrics) PolicyHooks() upstream.PolicyHooks {
	return upstream.PolicyHooks{
		OnRetry: func(service string) { m.retries.WithLabelValues(service).Inc() },
		OnBreakerState: func(service string, from, to gobreaker.State) {
			m.breakerState.WithLabelValues(service).Set(breakerValue(to))
			m.breakerTransitions.WithLabelValues(service, from.String(), to.String()).Inc()
		},
	}
}

func breakerValue(s gobreaker.State) float64 {
	switch s {
	case gobreaker.StateHalfOpen:
		return 1
	case gobreaker.StateOpen:
		return 2
	}
	return 0
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Extension returns the gqlgen extension that counts GraphQL requests,
// their outcomes and durations, and partial responses per service.
func (m *Metrics) Extension() graphql.HandlerExtension { return metricsExtension{m} }

type metricsExtension struct{ m *Metrics }

var (
	_ graphql.OperationInterceptor = metricsExtension{}
	_ graphql.ResponseInterceptor  = metricsExtension{}
)

func (metricsExtension) ExtensionName() string                   { return "TributaryMetrics" }
func (metricsExtension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation observes an executed operation once its last payload
// is out (see trackOperation): its outcome, its duration, and each service named by
// its errors.
func (e metricsExtension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	name, _ := operationOf(ctx)
	op := e.m.ops.label(name, true)
	return trackOperation(ctx, extMetrics, next, func(sum opSummary) {
		e.m.observeRequest(ctx, op, sum.outcome())
		for _, svc := range sum.services {
			e.m.partial.WithLabelValues(svc).Inc()
		}
	})
}

// InterceptResponse observes requests that never became an operation: the
// response middleware runs for them, the operation middleware does not.
func (e metricsExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if !tracked(ctx, extMetrics) {
		name, _ := operationOf(ctx)
		e.m.observeRequest(ctx, e.m.ops.label(name, false), outcomeRejected)
	}
	return resp
}

func (m *Metrics) observeRequest(ctx context.Context, op, outcome string) {
	m.requests.WithLabelValues(op, outcome).Inc()
	if start := graphql.GetStartTime(ctx); !start.IsZero() {
		m.requestDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	}
}
