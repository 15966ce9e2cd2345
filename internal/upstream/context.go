package upstream

import (
	"context"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-gw/tributary/internal/auth"
)

// Outgoing is what a client request passes on to backend calls. Which of
// the client's headers reach which service is each client's Config.
type Outgoing struct {
	RequestID string
	// Incoming holds the client's request headers; read only.
	Incoming http.Header
}

type outgoingKey struct{}

// outgoing is what WithOutgoing stores: o, and the request id as a header
// value, made once per request rather than once per call. The value's
// array lives in the same allocation.
type outgoing struct {
	Outgoing
	id [1]string
}

// requestIDHeader is the X-Request-ID value of o's calls: a slice of one
// (len and cap 1, so that appending to it copies), shared by the calls of
// one request only; nil when there is no id.
func (o *outgoing) requestIDHeader() []string {
	if o == nil || o.RequestID == "" {
		return nil
	}
	return o.id[:]
}

// WithOutgoing returns ctx carrying o for backend calls made under it.
func WithOutgoing(ctx context.Context, o Outgoing) context.Context {
	v := &outgoing{Outgoing: o}
	v.id[0] = o.RequestID
	return context.WithValue(ctx, outgoingKey{}, v)
}

func outgoingFrom(ctx context.Context) *outgoing {
	o, _ := ctx.Value(outgoingKey{}).(*outgoing)
	return o
}

// identity is the authenticated subject a call made under ctx sends in
// the configured identity header: the request's auth.Principal's, empty
// for anonymous callers and without authentication.
func identity(ctx context.Context) string {
	p, _ := auth.PrincipalFrom(ctx)
	return p.Subject
}

// OutgoingFrom returns what WithOutgoing stored; the zero value when none.
func OutgoingFrom(ctx context.Context) Outgoing {
	if o := outgoingFrom(ctx); o != nil {
		return o.Outgoing
	}
	return Outgoing{}
}

// Call describes one HTTP attempt to a backend.
type Call struct {
	Service  string
	Endpoint string
	// Method is the HTTP method: GET, or a write's POST, PATCH, ….
	Method   string
	IDs      int
	Attempt  int // 0 for the first try
	Start    time.Time
	Duration time.Duration
	Status   int  // 0 when no response arrived
	Code     Code // "" on success
}

// Observer is told about every attempt (metrics, tracing). Implementations
// must be safe for concurrent use and fast.
type Observer interface {
	CallStarted(ctx context.Context, c Call)
	CallFinished(ctx context.Context, c Call)
}

type nopObserver struct{}

func (nopObserver) CallStarted(context.Context, Call)  {}
func (nopObserver) CallFinished(context.Context, Call) {}

// Recorder collects the calls made for one GraphQL request: the access log,
// the fan-out budget and the fan-out report read it.
type Recorder struct {
	mu      sync.Mutex
	calls   []Call
	refused []Call
	hits    map[string]int // service → keys answered by the entity cache

	// The fan-out budget: at most budget calls (0: no budget); over it,
	// calls fail with CodeBudgetExceeded when enforce is set, and are only
	// flagged otherwise.
	budget   int64
	enforce  bool
	started  atomic.Int64
	exceeded atomic.Bool
}

// SetBudget sets the request's fan-out budget; see Recorder.
func (r *Recorder) SetBudget(calls int, enforce bool) {
	r.budget, r.enforce = int64(calls), enforce
}

// Exceeded reports whether the request wanted more calls than its budget.
func (r *Recorder) Exceeded() bool { return r.exceeded.Load() }

// admit counts a call about to start against the budget.
func (r *Recorder) admit() bool {
	n := r.started.Add(1)
	if r.budget > 0 && n > r.budget {
		r.exceeded.Store(true)
		return !r.enforce
	}
	return true
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{} }

type recorderKey struct{}

// WithRecorder returns ctx whose backend calls are recorded in r.
func WithRecorder(ctx context.Context, r *Recorder) context.Context {
	return context.WithValue(ctx, recorderKey{}, r)
}

// RecorderFrom returns the recorder in ctx, or nil.
func RecorderFrom(ctx context.Context) *Recorder {
	r, _ := ctx.Value(recorderKey{}).(*Recorder)
	return r
}

func (r *Recorder) add(c Call) {
	r.mu.Lock()
	if r.calls == nil {
		// Room for a typical query's calls at once, instead of growing
		// through 1, 2 and 4.
		r.calls = make([]Call, 0, 8)
	}
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

// CacheHits records n keys of service answered by the entity cache, with
// no call.
func (r *Recorder) CacheHits(service string, n int) {
	if n == 0 {
		return
	}
	r.mu.Lock()
	if r.hits == nil {
		r.hits = map[string]int{}
	}
	r.hits[service] += n
	r.mu.Unlock()
}

// Hits returns the keys of service the entity cache answered.
func (r *Recorder) Hits(service string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[service]
}

// Calls returns a copy of the calls recorded so far.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// addRefused records a call the gateway did not send: the circuit was
// open, the fan-out budget spent or no in-flight slot freed up in time.
func (r *Recorder) addRefused(c Call) {
	r.mu.Lock()
	r.refused = append(r.refused, c)
	r.mu.Unlock()
}

// Refused returns a copy of the calls that were not sent (Code says why;
// Status is 0), in the order they were refused. They are not among Calls.
func (r *Recorder) Refused() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.refused...)
}

// Len returns how many calls were recorded.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

type callKey struct{}

// callContext is the context of one attempt's request: ctx carrying the
// call for CallFrom, in one allocation where context.WithValue would take
// two (the context and the boxed Call).
type callContext struct {
	context.Context
	call Call
}

func (c *callContext) Value(key any) any {
	if key == (callKey{}) {
		return &c.call
	}
	return c.Context.Value(key)
}

// CallFrom returns the call an outgoing request belongs to, for transport
// decorators (tracing); ok is false outside a backend call.
func CallFrom(ctx context.Context) (Call, bool) {
	if c, ok := ctx.Value(callKey{}).(*Call); ok {
		return *c, true
	}
	return Call{}, false
}

// Spent reports whether the request's enforced fan-out budget allows no
// more calls: its next call would be refused.
func (r *Recorder) Spent() bool {
	return r.enforce && r.budget > 0 && r.started.Load() >= r.budget
}

// Merge records o's calls, refused calls and cache hits in r as well: o
// recorded a call made for several requests at once (connect.Share), and
// each of them counts it, against its fan-out budget too.
func (r *Recorder) Merge(o *Recorder) {
	if o == nil || o == r {
		return
	}
	o.mu.Lock()
	// The recorded calls are only ever appended to, never changed in
	// place: the prefix seen under the lock can be read after it without a
	// copy, whatever o records meanwhile.
	calls, refused := o.calls[:len(o.calls):len(o.calls)], o.refused[:len(o.refused):len(o.refused)]
	hits := maps.Clone(o.hits)
	o.mu.Unlock()
	if n := r.started.Add(int64(len(calls))); r.budget > 0 && n > r.budget {
		r.exceeded.Store(true)
	}
	r.mu.Lock()
	r.calls = append(r.calls, calls...)
	r.refused = append(r.refused, refused...)
	for s, n := range hits {
		if r.hits == nil {
			r.hits = map[string]int{}
		}
		r.hits[s] += n
	}
	r.mu.Unlock()
}
