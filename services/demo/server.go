package demo

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Service names one of the six backends.
type Service string

// The six backends.
const (
	Catalog   Service = "catalog"
	Pricing   Service = "pricing"
	Inventory Service = "inventory"
	Reviews   Service = "reviews"
	Users     Service = "users"
	Orders    Service = "orders"
)

// AllServices returns the six services in a fixed order: catalog, pricing,
// inventory, reviews, users, orders.
func AllServices() []Service {
	return []Service{Catalog, Pricing, Inventory, Reviews, Users, Orders}
}

// Endpoint names: the stable keys of Stats.Endpoints.
const (
	EndpointProductsByIDs    = "products.byIds" // GET /products?ids=
	EndpointProductsList     = "products.list"  // GET /products[?first=&after=&category=]
	EndpointProductsGet      = "products.get"   // GET /products/{id}
	EndpointPrices           = "prices"         // GET /prices?productIds=
	EndpointInventory        = "inventory"      // GET /inventory?productIds=
	EndpointReviewsByProduct = "reviews.byProduct"
	EndpointReviewsByAuthor  = "reviews.byAuthor"
	EndpointUsersByIDs       = "users.byIds"
	EndpointUsersGet         = "users.get"
	EndpointOrdersByUser     = "orders.byUser"
	EndpointOrdersGet        = "orders.get"
)

// Endpoints returns the endpoint names of a service.
func (s Service) Endpoints() []string {
	switch s {
	case Catalog:
		return []string{EndpointProductsByIDs, EndpointProductsList, EndpointProductsGet}
	case Pricing:
		return []string{EndpointPrices}
	case Inventory:
		return []string{EndpointInventory}
	case Reviews:
		return []string{EndpointReviewsByProduct, EndpointReviewsByAuthor, EndpointReviewsCreate}
	case Users:
		return []string{EndpointUsersByIDs, EndpointUsersGet, EndpointUsersUpdate}
	case Orders:
		return []string{EndpointOrdersByUser, EndpointOrdersGet, EndpointOrdersCancel}
	}
	return nil
}

// MaxIDs is the most ids one batch request may carry.
const MaxIDs = 100

// Listing page sizes of GET /products.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// AdminPrefix is the reserved path prefix of the admin endpoints.
const AdminPrefix = "/_demo/"

const contentTypeJSON = "application/json; charset=utf-8"

// Server is one backend service: an http.Handler over a Dataset, with
// per-endpoint counters and run-time fault injection. Create it with
// NewServer; it is safe for concurrent use.
type Server struct {
	svc       Service
	ds        *Dataset
	endpoints map[string]*endpointCounters // fixed at construction
	inFlight  gauge

	w *writes // what the service's writes changed

	faults   atomic.Pointer[Faults]
	faultsMu sync.Mutex // serializes read-modify-write of faults

	stopOnce sync.Once
	stopping chan struct{} // closed by stop: ends injected latency early
}

// NewServer returns the server of one service over ds. It panics if svc is
// not one of AllServices, a programming error.
func NewServer(svc Service, ds *Dataset) *Server {
	eps := svc.Endpoints()
	if eps == nil {
		panic("demo: unknown service " + strconv.Quote(string(svc)))
	}
	s := &Server{
		svc:       svc,
		ds:        ds,
		endpoints: make(map[string]*endpointCounters, len(eps)),
		stopping:  make(chan struct{}),
		w:         newWrites(),
	}
	for _, e := range eps {
		s.endpoints[e] = &endpointCounters{}
	}
	s.faults.Store(&Faults{Status: DefaultFaultStatus})
	return s
}

// Service returns the service this server implements.
func (s *Server) Service() Service { return s.svc }

// SetFaults replaces the injected faults; out-of-range values are clamped and
// a Status of 0 or outside 400..599 becomes DefaultFaultStatus. Calls already
// waiting keep the latency they drew.
func (s *Server) SetFaults(f Faults) {
	f = f.normalized()
	s.faultsMu.Lock()
	s.faults.Store(&f)
	s.faultsMu.Unlock()
}

// Faults returns the injected faults, with Status defaulted.
func (s *Server) Faults() Faults { return *s.faults.Load() }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Endpoints:      make(map[string]EndpointStats, len(s.endpoints)),
		InFlight:       s.inFlight.cur.Load(),
		PeakConcurrent: s.inFlight.peak.Load(),
	}
	for name, c := range s.endpoints {
		st.Endpoints[name] = c.snapshot()
	}
	return st
}

// ResetStats zeroes the counters. Calls in flight stay in InFlight, and peaks
// restart from the current InFlight.
func (s *Server) ResetStats() {
	for _, c := range s.endpoints {
		c.reset()
	}
	s.inFlight.reset()
}

// stop makes calls waiting on injected latency give up, so that a graceful
// shutdown does not wait for them.
func (s *Server) stop() { s.stopOnce.Do(func() { close(s.stopping) }) }

// ---- request handling ----

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

// route is a resolved request: the endpoint, the single-item id (if any) and
// the name of its batch parameter (if any).
type route struct {
	endpoint string
	id       string // for single-item paths
	single   bool
	param    string // batch parameter name
	handle   func(s *Server, rp *reply, q url.Values, rt route)
	// write, for a write, applies it (and handle is nil); methods are the
	// methods the path allows (GET when empty).
	write   writeFunc
	methods []string
}

// allows reports whether the route's path takes method.
func (rt route) allows(method string) bool {
	if len(rt.methods) == 0 {
		return method == http.MethodGet
	}
	return containsString(rt.methods, method)
}

func (rt route) allow() string {
	if len(rt.methods) == 0 {
		return http.MethodGet
	}
	return strings.Join(rt.methods, ", ")
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

func writeReply(w http.ResponseWriter, rp *reply) {
	h := w.Header()
	h.Set("Content-Type", contentTypeJSON)
	h.Set("Content-Length", strconv.Itoa(rp.buf.Len()))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(rp.status)
	w.Write(rp.buf.Bytes()) //nolint:errcheck // the client went away; nothing to do
}

// route resolves the request path (and, for /products and /reviews, which
// parameters are present) to an endpoint.
func (s *Server) route(r *http.Request, q url.Values) (route, bool) {
	seg, id, hasID := strings.Cut(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	if s.svc == Orders && seg == "orders" && hasID {
		// POST /orders/{id}/cancel
		if oid, ok := strings.CutSuffix(id, "/cancel"); ok && oid != "" && !strings.Contains(oid, "/") {
			oid, err := url.PathUnescape(oid)
			if err != nil {
				return route{}, false
			}
			return route{endpoint: EndpointOrdersCancel, id: oid, single: true, write: (*Server).cancelOrder,
				methods: []string{http.MethodPost}}, true
		}
	}
	if hasID {
		if id == "" || strings.Contains(id, "/") {
			return route{}, false
		}
		var err error
		if id, err = url.PathUnescape(id); err != nil {
			return route{}, false
		}
	}
	single := func(endpoint string, h func(*Server, *reply, url.Values, route)) (route, bool) {
		return route{endpoint: endpoint, id: id, single: true, handle: h}, true
	}
	batch := func(endpoint, param string, h func(*Server, *reply, url.Values, route)) (route, bool) {
		if hasID {
			return route{}, false
		}
		return route{endpoint: endpoint, param: param, handle: h}, true
	}
	switch {
	case s.svc == Catalog && seg == "products":
		if hasID {
			return single(EndpointProductsGet, (*Server).productGet)
		}
		if _, ok := q["ids"]; ok {
			return batch(EndpointProductsByIDs, "ids", (*Server).productsByIDs)
		}
		return batch(EndpointProductsList, "", (*Server).productsList)
	case s.svc == Pricing && seg == "prices":
		return batch(EndpointPrices, "productIds", (*Server).prices)
	case s.svc == Inventory && seg == "inventory":
		return batch(EndpointInventory, "productIds", (*Server).inventory)
	case s.svc == Reviews && seg == "reviews":
		// With both or neither parameter (a 400), the call is counted as
		// reviews.byProduct.
		if _, ok := q["productIds"]; !ok && r.Method != http.MethodPost {
			if _, ok := q["authorIds"]; ok {
				rt, ok := batch(EndpointReviewsByAuthor, "authorIds", (*Server).reviews)
				rt.methods = reviewsMethods
				return rt, ok
			}
		}
		if r.Method == http.MethodPost {
			if hasID {
				return route{}, false
			}
			return route{endpoint: EndpointReviewsCreate, write: (*Server).createReview, methods: reviewsMethods}, true
		}
		rt, ok := batch(EndpointReviewsByProduct, "productIds", (*Server).reviews)
		rt.methods = reviewsMethods
		return rt, ok
	case s.svc == Users && seg == "users":
		if hasID {
			if r.Method == http.MethodPatch {
				return route{endpoint: EndpointUsersUpdate, id: id, single: true, write: (*Server).updateUser, methods: userMethods}, true
			}
			rt, ok := single(EndpointUsersGet, (*Server).userGet)
			rt.methods = userMethods
			return rt, ok
		}
		return batch(EndpointUsersByIDs, "ids", (*Server).usersByIDs)
	case s.svc == Orders && seg == "orders":
		if hasID {
			return single(EndpointOrdersGet, (*Server).orderGet)
		}
		return batch(EndpointOrdersByUser, "userIds", (*Server).ordersByUser)
	}
	return route{}, false
}

// The methods of the paths that take a write as well as a read.
var (
	reviewsMethods = []string{http.MethodGet, http.MethodPost}
	userMethods    = []string{http.MethodGet, http.MethodPatch}
)

// countIDs counts the ids in the values of a batch parameter, for the stats.
func countIDs(vals []string) int {
	n := 0
	for _, v := range vals {
		if v != "" {
			n += strings.Count(v, ",") + 1
		}
	}
	return n
}

// singleParam returns the one value of an optional parameter. A repeated
// parameter is a 400, as the contract says.
func singleParam(rp *reply, q url.Values, name string) (v string, present, ok bool) {
	vals, present := q[name]
	if len(vals) > 1 {
		rp.fail(http.StatusBadRequest, "parameter "+name+" given more than once")
		return "", true, false
	}
	if present {
		v = vals[0]
	}
	return v, present, true
}

// batchIDs parses the required comma-separated id list of a batch parameter
// and removes duplicates (keeping the first occurrence). Missing, repeated or
// empty (`ids=`) parameters and more than MaxIDs ids are a 400: the contract's
// id lists have at least one element. Empty elements ("a,,b") are ids that
// match nothing, so they are simply omitted.
func batchIDs(rp *reply, q url.Values, name string) ([]string, bool) {
	v, present, ok := singleParam(rp, q, name)
	if !ok {
		return nil, false
	}
	if !present {
		rp.fail(http.StatusBadRequest, "missing parameter "+name)
		return nil, false
	}
	if v == "" {
		rp.fail(http.StatusBadRequest, "parameter "+name+" is empty; give at least one id")
		return nil, false
	}
	n := strings.Count(v, ",") + 1
	if n > MaxIDs {
		rp.fail(http.StatusBadRequest, "at most "+strconv.Itoa(MaxIDs)+" ids per request, got "+strconv.Itoa(n))
		return nil, false
	}
	ids := make([]string, 0, n)
	for id := range strings.SplitSeq(v, ",") {
		if !containsString(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, true
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

// ---- catalog ----

func (s *Server) productsByIDs(rp *reply, q url.Values, _ route) {
	// With ids, the listing parameters are ignored (contract).
	ids, ok := batchIDs(rp, q, "ids")
	if !ok {
		return
	}
	writeList(rp.buf, "products", len(ids), func(i int) []byte {
		if j, ok := s.ds.productIdx[ids[i]]; ok {
			return s.ds.productRaw[j]
		}
		return nil
	}, "")
}

func (s *Server) productGet(rp *reply, _ url.Values, rt route) {
	j, ok := s.ds.productIdx[rt.id]
	if !ok {
		rp.fail(http.StatusNotFound, "product "+strconv.Quote(rt.id)+" not found")
		return
	}
	rp.buf.Write(s.ds.productRaw[j])
}

func (s *Server) productsList(rp *reply, q url.Values, _ route) {
	firstStr, hasFirst, ok := singleParam(rp, q, "first")
	if !ok {
		return
	}
	after, _, ok := singleParam(rp, q, "after")
	if !ok {
		return
	}
	category, _, ok := singleParam(rp, q, "category")
	if !ok {
		return
	}
	hasCategory := category != "" // category= means no filter
	first := DefaultPageSize
	if hasFirst {
		n, err := strconv.Atoi(firstStr)
		if err != nil || n < 1 || n > MaxPageSize {
			rp.fail(http.StatusBadRequest, "first must be an integer in 1.."+strconv.Itoa(MaxPageSize)+", got "+strconv.Quote(firstStr))
			return
		}
		first = n
	}
	start := 0 // first rank to return
	if after != "" {
		rank, ok := s.ds.decodeCursor(after)
		if !ok {
			rp.fail(http.StatusBadRequest, "invalid cursor "+strconv.Quote(after))
			return
		}
		start = rank + 1
	}

	// ranks: the candidate ranks; pos: the index in ranks of the first to
	// return (ranks ascending, so a binary search finds it).
	var ranks []int
	pos := start
	if hasCategory {
		ranks = s.ds.byCategory[category] // unknown category: empty page
		pos, _ = searchInts(ranks, start)
	}
	total := len(s.ds.products)
	if hasCategory {
		total = len(ranks)
	}
	end := min(pos+first, total)
	pos = min(pos, end)
	rankAt := func(i int) int {
		if hasCategory {
			return ranks[i]
		}
		return i
	}
	next := ""
	if end < total {
		next = s.ds.encodeCursor(rankAt(end - 1))
	}
	writeList(rp.buf, "products", end-pos, func(i int) []byte {
		return s.ds.productRaw[rankAt(pos+i)]
	}, `,"nextCursor":"`+next+`"`)
}

// searchInts returns the index of the first element >= x in an ascending slice.
func searchInts(xs []int, x int) (int, bool) {
	lo, hi := 0, len(xs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if xs[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(xs) && xs[lo] == x
}

// Cursors are opaque to clients: "c1." followed by the base64url id of the
// last product returned. They stay valid across categories.
const cursorPrefix = "c1."

func (d *Dataset) encodeCursor(rank int) string {
	return cursorPrefix + base64URL(d.products[rank].ID)
}

func (d *Dataset) decodeCursor(c string) (int, bool) {
	rest, ok := strings.CutPrefix(c, cursorPrefix)
	if !ok {
		return 0, false
	}
	id, ok := unbase64URL(rest)
	if !ok {
		return 0, false
	}
	rank, ok := d.productIdx[id]
	return rank, ok
}

func base64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func unbase64URL(s string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return string(b), err == nil
}

// ---- pricing ----

func (s *Server) prices(rp *reply, q url.Values, _ route) {
	ids, ok := batchIDs(rp, q, "productIds")
	if !ok {
		return
	}
	cur, present, ok := singleParam(rp, q, "currency")
	if !ok {
		return
	}
	if !present {
		cur = currencies[0]
	}
	ci := currencyIndex(cur)
	if ci < 0 {
		rp.fail(http.StatusBadRequest, "unknown currency "+strconv.Quote(cur)+"; supported: "+strings.Join(currencies[:], ", "))
		return
	}
	writeList(rp.buf, "prices", len(ids), func(i int) []byte {
		if p, ok := s.ds.prices[ids[i]]; ok {
			return p[ci].raw
		}
		return nil
	}, "")
}

// ---- inventory ----

func (s *Server) inventory(rp *reply, q url.Values, _ route) {
	ids, ok := batchIDs(rp, q, "productIds")
	if !ok {
		return
	}
	writeList(rp.buf, "items", len(ids), func(i int) []byte {
		if st, ok := s.ds.stock[ids[i]]; ok {
			return st.raw
		}
		return nil
	}, "")
}

// ---- reviews ----

func (s *Server) reviews(rp *reply, q url.Values, _ route) {
	_, byProduct := q["productIds"]
	_, byAuthor := q["authorIds"]
	if byProduct == byAuthor {
		rp.fail(http.StatusBadRequest, "give exactly one of productIds and authorIds")
		return
	}
	param, index := "productIds", s.ds.reviewsByProduct
	if byAuthor {
		param, index = "authorIds", s.ds.reviewsByAuthor
	}
	ids, ok := batchIDs(rp, q, param)
	if !ok {
		return
	}
	created := s.w.byProduct
	if byAuthor {
		created = s.w.byAuthor
	}
	s.w.mu.RLock()
	defer s.w.mu.RUnlock()
	s.writeNested(rp.buf, "reviews", ids, index, func(j int) []byte { return s.ds.reviews[j].raw }, func(id string) [][]byte {
		return s.createdReviews(created, id)
	})
}

// writeNested writes {"<key>":[…]} with, for each id, the records index[id]
// and then those extra returns (records written since; extra may be nil).
func (s *Server) writeNested(buf *bytes.Buffer, key string, ids []string, index map[string][]int, raw func(int) []byte, extra func(id string) [][]byte) {
	buf.WriteString(`{"`)
	buf.WriteString(key)
	buf.WriteString(`":[`)
	first := true
	for _, id := range ids {
		for _, j := range index[id] {
			if !first {
				buf.WriteByte(',')
			}
			first = false
			buf.Write(raw(j))
		}
		if extra == nil {
			continue
		}
		for _, r := range extra(id) {
			if !first {
				buf.WriteByte(',')
			}
			first = false
			buf.Write(r)
		}
	}
	buf.WriteString("]}")
}

// ---- users ----

func (s *Server) usersByIDs(rp *reply, q url.Values, _ route) {
	ids, ok := batchIDs(rp, q, "ids")
	if !ok {
		return
	}
	writeList(rp.buf, "users", len(ids), func(i int) []byte { return s.userRaw(ids[i]) }, "")
}

func (s *Server) userGet(rp *reply, _ url.Values, rt route) {
	raw := s.userRaw(rt.id)
	if raw == nil {
		rp.fail(http.StatusNotFound, "user "+strconv.Quote(rt.id)+" not found")
		return
	}
	rp.buf.Write(raw)
}

// ---- orders ----

func (s *Server) ordersByUser(rp *reply, q url.Values, _ route) {
	ids, ok := batchIDs(rp, q, "userIds")
	if !ok {
		return
	}
	s.writeNested(rp.buf, "orders", ids, s.ds.ordersByUser, s.orderRaw, nil)
}

func (s *Server) orderGet(rp *reply, _ url.Values, rt route) {
	j, ok := s.ds.orderIdx[rt.id]
	if !ok {
		rp.fail(http.StatusNotFound, "order "+strconv.Quote(rt.id)+" not found")
		return
	}
	rp.buf.Write(s.orderRaw(j))
}

// ---- admin ----

// maxAdminBody bounds PUT /_demo/faults bodies.
const maxAdminBody = 64 << 10

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	rp := reply{status: http.StatusOK, buf: new(bytes.Buffer)}
	methodNotAllowed := func(allow ...string) {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		rp.fail(http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; use "+strings.Join(allow, " or "))
	}
	switch r.URL.Path {
	case AdminPrefix + "stats":
		if r.Method != http.MethodGet {
			methodNotAllowed(http.MethodGet)
			break
		}
		writeJSON(&rp, s.Stats())
	case AdminPrefix + "stats/reset":
		if r.Method != http.MethodPost {
			methodNotAllowed(http.MethodPost)
			break
		}
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
		return
	case AdminPrefix + "faults":
		switch r.Method {
		case http.MethodGet:
			writeJSON(&rp, s.Faults())
		case http.MethodPut, http.MethodPost:
			f, err := s.patchFaults(http.MaxBytesReader(w, r.Body, maxAdminBody))
			if err != nil {
				rp.fail(http.StatusBadRequest, err.Error())
				break
			}
			writeJSON(&rp, f)
		default:
			methodNotAllowed(http.MethodGet, http.MethodPut, http.MethodPost)
		}
	default:
		rp.fail(http.StatusNotFound, "no such admin path: "+r.URL.Path)
	}
	writeReply(w, &rp)
}

// patchFaults applies a partial Faults JSON to the current faults.
func (s *Server) patchFaults(body io.Reader) (Faults, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return Faults{}, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return Faults{}, errors.New("faults: empty body; send a JSON object")
	}
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	f := *s.faults.Load()
	if err := json.Unmarshal(data, &f); err != nil {
		return Faults{}, err
	}
	f = f.normalized()
	s.faults.Store(&f)
	return f, nil
}

func writeJSON(rp *reply, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		rp.fail(http.StatusInternalServerError, "encode: "+err.Error())
		return
	}
	rp.buf.Write(b)
}
