package telemetry

import (
	"context"
	"net/http"
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

// validOpName reports whether s matches ^[A-Za-z_][A-Za-z0-9_]{0,63}$. Every
// parsed operation name matches but for its length; a name the client sent
// for an operation that does not exist may be anything.
func validOpName(s string) bool {
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
	if !validOpName(name) {
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
	case !validOpName(name):
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

// outcomeOf classifies an executed operation's response. A nil response
// (the client went away before execution) is an error.
func outcomeOf(resp *graphql.Response) string {
	switch {
	case resp == nil:
		return outcomeError
	case len(resp.Errors) == 0:
		return outcomeOK
	case hasData(resp):
		return outcomePartial
	default:
		return outcomeError
	}
}

func hasData(resp *graphql.Response) bool {
	d := strings.TrimSpace(string(resp.Data))
	return d != "" && d != "null"
}

func errorCount(resp *graphql.Response) int {
	if resp == nil {
		return 0
	}
	return len(resp.Errors)
}

// onFirst wraps an operation's response handler so that f sees the first
// response (after every response middleware, so errors are counted as the
// client sees them). The gateway serves queries and mutations, which yield
// one response.
func onFirst(h graphql.ResponseHandler, f func(*graphql.Response)) graphql.ResponseHandler {
	done := false
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if !done {
			done = true
			f(resp)
		}
		return resp
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
