package demo

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Buffers that grew beyond this are not pooled, so that one huge answer does
// not pin memory.
const maxPooledBuf = 1 << 20

// reply is an answer being built: a status and a JSON body.
type reply struct {
	status int
	buf    *bytes.Buffer
}

func (rp *reply) fail(status int, msg string) {
	rp.status = status
	rp.buf.Reset()
	b, _ := json.Marshal(ErrorBody{Error: msg}) // a struct of one string: cannot fail
	rp.buf.Write(b)
}

// ServeHTTP answers the service's endpoints and the admin endpoints.
//
// A call to a service endpoint is counted, then waits the injected latency,
// then may fail as configured by Faults, and only then is validated (method,
// parameters) and answered. Unknown paths get 404 without being counted or
// faulted.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, AdminPrefix) || r.URL.Path == strings.TrimSuffix(AdminPrefix, "/") {
		s.serveAdmin(w, r)
		return
	}

	rp := reply{status: http.StatusOK, buf: bufPool.Get().(*bytes.Buffer)}
	rp.buf.Reset()
	defer func() {
		if rp.buf.Cap() <= maxPooledBuf {
			bufPool.Put(rp.buf)
		}
	}()

	q, qerr := url.ParseQuery(r.URL.RawQuery)
	rt, ok := s.route(r, q)
	if !ok {
		rp.fail(http.StatusNotFound, "no such path: "+r.URL.Path)
		writeReply(w, &rp)
		return
	}

	c := s.endpoints[rt.endpoint]
	c.calls.Add(1)
	switch {
	case rt.single:
		c.recordIDs(1)
	case rt.param != "":
		if n := countIDs(q[rt.param]); n > 0 {
			c.recordIDs(n)
		}
	}
	c.inFlight.inc()
	s.inFlight.inc()
	defer func() {
		if rp.status < 200 || rp.status > 299 {
			c.errors.Add(1)
		}
		c.inFlight.dec()
		s.inFlight.dec()
	}()

	switch {
	case !s.injectFaults(r, &rp):
	case !rt.allows(r.Method):
		w.Header().Set("Allow", rt.allow())
		rp.fail(http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; use "+strings.ReplaceAll(rt.allow(), ", ", " or "))
	case qerr != nil:
		rp.fail(http.StatusBadRequest, "invalid query string: "+qerr.Error())
	case rt.write != nil:
		if s.serveWrite(w, r, &rp, rt) {
			rp.status = 0 // not answered: counted as an error
			dropConnection(w)
			return
		}
	default:
		rt.handle(s, &rp, q, rt)
		if cc := s.faults.Load().CacheControl; cc != "" && rp.status >= 200 && rp.status <= 299 {
			w.Header().Set("Cache-Control", cc)
		}
	}
	writeReply(w, &rp)
}

func writeReply(w http.ResponseWriter, rp *reply) {
	h := w.Header()
	h.Set("Content-Type", contentTypeJSON)
	h.Set("Content-Length", strconv.Itoa(rp.buf.Len()))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(rp.status)
	w.Write(rp.buf.Bytes()) //nolint:errcheck // the client went away; nothing to do
}

// containsString is a linear search: with at most 100 short ids it beats a map.
func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// writeList writes {"<key>":[raw,raw,…]<suffix>} from pre-encoded records.
func writeList(buf *bytes.Buffer, key string, n int, item func(i int) []byte, suffix string) {
	buf.WriteString(`{"`)
	buf.WriteString(key)
	buf.WriteString(`":[`)
	first := true
	for i := range n {
		raw := item(i)
		if raw == nil {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		buf.Write(raw)
	}
	buf.WriteByte(']')
	buf.WriteString(suffix)
	buf.WriteByte('}')
}

func writeJSON(rp *reply, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		rp.fail(http.StatusInternalServerError, "encode: "+err.Error())
		return
	}
	rp.buf.Write(b)
}
