package telemetry

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Outcomes of a GraphQL request, as metric label and log field.
const (
	outcomeOK       = "ok"       // data and no errors
	outcomePartial  = "partial"  // data with errors (a backend failed)
	outcomeError    = "error"    // errors and no data
	outcomeRejected = "rejected" // not executed: unparsable, invalid, unknown persisted query
)

// Operation name labels that are not the client's name.
const (
	opAnonymous = "anonymous"
	opOther     = "other"
	// maxOpNames bounds the distinct operation names a Metrics (or a
	// tracing extension) reports; later names are "other".
	maxOpNames = 200
	// maxOpNameLen bounds one name.
	maxOpNameLen = 64
)

// validName reports whether s matches ^[A-Za-z_][A-Za-z0-9_]{0,63}$, the
// shape of a label taken from a response or a request. Every parsed
// operation name matches but for its length; a name the client sent for an
// operation that does not exist may be anything.
func validName(s string) bool {
	if s == "" || len(s) > maxOpNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// opNames turns client-chosen operation names into bounded labels: a valid
// name among the first maxOpNames admitted keeps its name, anything else is
// "other", no name is "anonymous". The zero value is ready to use.
type opNames struct {
	mu   sync.Mutex
	seen map[string]struct{}
}

// label returns name's label. Only admit adds a new name to the set: the
// extensions admit names of operations that execute, so requests rejected
// before execution cannot use up the set with made-up names.
func (n *opNames) label(name string, admit bool) string {
	if name == "" {
		return opAnonymous
	}
	if !validName(name) {
		return opOther
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.seen[name]; ok {
		return name
	}
	if !admit || len(n.seen) >= maxOpNames {
		return opOther
	}
	if n.seen == nil {
		n.seen = make(map[string]struct{})
	}
	n.seen[name] = struct{}{}
	return name
}

// logOpName is name for a log line: unbounded in count, but never a
// malformed or overlong string.
func logOpName(name string) string {
	switch {
	case name == "":
		return opAnonymous
	case !validName(name):
		return opOther
	}
	return name
}

// operationOf returns the operation's name and definition; the definition
// is nil when the request was rejected before an operation was chosen, and
// the name is then the one the client asked for, if any.
func operationOf(ctx context.Context) (string, *ast.OperationDefinition) {
	if !graphql.HasOperationContext(ctx) {
		return "", nil
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation != nil {
		return oc.Operation.Name, oc.Operation
	}
	return oc.OperationName, nil
}

// opSummary is what an operation's responses said: the first (initial)
// payload and any @defer payloads after it.
type opSummary struct {
	responded bool
	data      bool     // the initial payload had data
	errors    int      // errors in all payloads, as the client sees them
	services  []string // services named by those errors, once each
}

func (s *opSummary) add(resp *graphql.Response) {
	if !s.responded {
		s.responded = true
		// Read in place: the data is the whole response, and each
		// extension that tracks the operation looks at it.
		d := bytes.TrimSpace(resp.Data)
		s.data = len(d) != 0 && string(d) != "null"
	}
	s.errors += len(resp.Errors)
	for _, e := range resp.Errors {
		// extensions.service is set by the gateway's error presenter from
		// its own service names; check the shape all the same, it
		// becomes a label.
		if svc, ok := e.Extensions["service"].(string); ok && validName(svc) && !slices.Contains(s.services, svc) {
			s.services = append(s.services, svc)
		}
	}
}

// outcome classifies an executed operation. No payload at all (the client
// went away first) is an error.
func (s opSummary) outcome() string {
	switch {
	case !s.responded:
		return outcomeError
	case s.errors == 0:
		return outcomeOK
	case s.data:
		return outcomePartial
	default:
		return outcomeError
	}
}

// The extensions that track operations, as bits of opTracker.exts.
const (
	extMetrics uint8 = 1 << iota
	extTracing
	extAccessLog
)

// opTracker collects an operation's payloads and reports them once to
// every telemetry extension that intercepted the operation: one tracker,
// and one context value, per operation however many of them are in use.
type opTracker struct {
	mu     sync.Mutex
	sum    opSummary
	closed bool
	armed  bool
	exts   uint8             // the extensions that intercepted the operation
	done   []func(opSummary) // theirs, outermost first
	stop   func() bool
}

type trackerKey struct{}

// trackOperation registers done, for extension ext, to run once the
// operation under ctx is over, with every payload counted (after all
// response middleware, so errors are counted as the client sees them):
// after the final payload (one without hasNext, or with hasNext false),
// or when the handler yields nil. A transport may stop asking early — a
// @defer query over plain POST gets its first payload only — so once a
// payload says more will follow, the operation is also closed when the
// request ends: by TraceMiddleware or AccessLog when either is installed,
// else when the context is done. It returns the operation's response
// handler: next's, wrapped by the first extension to track the operation
// (the outermost; the others share its tracker).
func trackOperation(ctx context.Context, ext uint8, next graphql.OperationHandler, done func(opSummary)) graphql.ResponseHandler {
	t := trackerFrom(ctx)
	if t != nil {
		t.mu.Lock()
		t.exts |= ext
		t.done = append(t.done, done)
		t.mu.Unlock()
		return next(ctx)
	}
	t = &opTracker{exts: ext, done: []func(opSummary){done}}
	h := next(context.WithValue(ctx, trackerKey{}, t))
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			return resp
		}
		if resp != nil {
			t.sum.add(resp)
		}
		final := resp == nil || resp.HasNext == nil || !*resp.HasNext
		if !final && !t.armed {
			t.armed = true
			if rec := recordFrom(ctx); rec != nil {
				rec.atEnd(t.close)
			} else {
				t.stop = context.AfterFunc(ctx, t.close)
			}
		}
		t.mu.Unlock()
		if final {
			t.close()
		}
		return resp
	}
}

func trackerFrom(ctx context.Context) *opTracker {
	t, _ := ctx.Value(trackerKey{}).(*opTracker)
	return t
}

// tracked reports whether extension ext intercepted the operation under
// ctx; false for a request rejected before it became an operation.
func tracked(ctx context.Context, ext uint8) bool {
	t := trackerFrom(ctx)
	if t == nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.exts&ext != 0
}

func (t *opTracker) close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	sum, stop, done := t.sum, t.stop, t.done
	t.mu.Unlock()
	if stop != nil {
		stop()
	}
	// Innermost first, as trackers of their own would have run.
	for i := len(done) - 1; i >= 0; i-- {
		done[i](sum)
	}
}

// requestRecord is what the telemetry middleware and extensions learn about
// one HTTP request; the first of TraceMiddleware and AccessLog puts it in
// the context and both share it.
type requestRecord struct {
	mu      sync.Mutex
	pattern string // the ServeMux pattern that served the request
	opSet   bool
	op      string // logOpName of the operation
	outcome string
	errors  int
	ends    []func() // run once the request is served
}

type recordKey struct{}

// withRecord returns ctx with a requestRecord, reusing one already there.
func withRecord(ctx context.Context) (context.Context, *requestRecord) {
	if rec := recordFrom(ctx); rec != nil {
		return ctx, rec
	}
	rec := &requestRecord{}
	return context.WithValue(ctx, recordKey{}, rec), rec
}

func recordFrom(ctx context.Context) *requestRecord {
	rec, _ := ctx.Value(recordKey{}).(*requestRecord)
	return rec
}

// notePattern keeps the pattern the mux set on r. Only the middleware the
// mux is called from sees it (every r.WithContext makes a new request), so
// the innermost one records it for the others.
func (rec *requestRecord) notePattern(r *http.Request) string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if r.Pattern != "" {
		rec.pattern = r.Pattern
	}
	return rec.pattern
}

// atEnd runs f when the request has been served (see end).
func (rec *requestRecord) atEnd(f func()) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.ends = append(rec.ends, f)
}

// end runs what atEnd registered; the middleware call it once the handler
// has returned, before reading the record.
func (rec *requestRecord) end() {
	rec.mu.Lock()
	ends := rec.ends
	rec.ends = nil
	rec.mu.Unlock()
	for _, f := range ends {
		f()
	}
}

func (rec *requestRecord) setOperation(name, outcome string, errors int) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.opSet, rec.op, rec.outcome, rec.errors = true, logOpName(name), outcome, errors
}

func (rec *requestRecord) operation() (name, outcome string, errors int, ok bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.op, rec.outcome, rec.errors, rec.opSet
}

// routeOf is the path part of a ServeMux pattern ("GET /healthz" → "/healthz").
func routeOf(pattern string) string {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = strings.TrimLeft(pattern[i+1:], " \t")
	}
	return pattern
}

// responseRecorder captures the status and size of a response.
type responseRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *responseRecorder) WriteHeader(code int) {
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush passes a flush on when the underlying writer supports it.
func (w *responseRecorder) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Status is the response's status; 200 when the handler wrote nothing, as
// net/http then sends.
func (w *responseRecorder) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// knownMethod bounds a client-sent method for attributes and span names,
// as the HTTP semantic conventions do.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "_OTHER"
}
