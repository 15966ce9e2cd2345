package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Write endpoints (contract 1.1), keys of Stats.Endpoints like the reads.
const (
	EndpointReviewsCreate = "reviews.create" // POST /reviews
	EndpointOrdersCancel  = "orders.cancel"  // POST /orders/{id}/cancel
	EndpointUsersUpdate   = "users.update"   // PATCH /users/{id}
)

// Bounds of the writes' bodies, from the contract.
const (
	MinRating, MaxRating = 1, 5
	MaxReviewBody        = 2000 // characters
	MaxUserName          = 100  // characters
	MaxIdempotencyKey    = 255
)

// maxWriteBody bounds a write's request body: a review body of 2000
// four-byte characters, escaped, and the rest, with room to spare.
const maxWriteBody = 64 << 10

// maxRemembered bounds the idempotency memory: beyond it the oldest
// finished keys are forgotten first. The contract asks for 24 hours; a demo
// backend keeps that many keys whatever their age, which a test or a load
// run never exceeds, and a hostile client cannot grow it without bound.
const maxRemembered = 100_000

// NewReview is the body of POST /reviews.
type NewReview struct {
	ProductID string `json:"productId"`
	AuthorID  string `json:"authorId"`
	Rating    int    `json:"rating"`
	Body      string `json:"body"`
}

// UserPatch is the body of PATCH /users/{id}.
type UserPatch struct {
	Name string `json:"name"`
}

// writes is what a server's writes changed: the dataset stays immutable
// (it is shared between servers and tests), the changes live here, per
// server, and its reads look here first.
type writes struct {
	mu sync.RWMutex
	// reviews created, in order; byProduct/byAuthor index them.
	reviews   []encoded[ReviewRecord]
	byProduct map[string][]int
	byAuthor  map[string][]int
	users     map[string]*encoded[UserRecord]  // renamed users
	orders    map[string]*encoded[OrderRecord] // cancelled orders

	// The idempotency memory: key → the request it came with and its
	// answer, oldest first in order.
	idem  map[string]*remembered
	order []string
	limit int // most keys remembered: maxRemembered (tests lower it)

	applied int64 // writes applied (not replays), for tests
}

type remembered struct {
	method, path string
	body         [32]byte // sha256 of the request body
	done         bool     // the answer is known
	status       int
	answer       []byte
}

func newWrites() *writes {
	return &writes{
		byProduct: map[string][]int{},
		byAuthor:  map[string][]int{},
		users:     map[string]*encoded[UserRecord]{},
		orders:    map[string]*encoded[OrderRecord]{},
		idem:      map[string]*remembered{},
		limit:     maxRemembered,
	}
}

// AfterWrite is what a server does once it has applied a write, in place of
// answering it (see Faults.AfterWrite).
const (
	AfterWrite503  = "503"  // answer 503 {"error":"injected failure after the write"}
	AfterWriteDrop = "drop" // close the connection without an answer
)

// Reviews returns the reviews created through POST /reviews on this server,
// in order (its own count of what was written).
func (s *Server) Reviews() []ReviewRecord {
	s.w.mu.RLock()
	defer s.w.mu.RUnlock()
	out := make([]ReviewRecord, len(s.w.reviews))
	for i, r := range s.w.reviews {
		out[i] = r.rec
	}
	return out
}

// Applied returns how many writes this server applied; a replay of a
// remembered Idempotency-Key is not one.
func (s *Server) Applied() int64 {
	s.w.mu.RLock()
	defer s.w.mu.RUnlock()
	return s.w.applied
}

// Order returns an order as this server answers it now (after cancels).
func (s *Server) Order(id string) (OrderRecord, bool) {
	s.w.mu.RLock()
	o, ok := s.w.orders[id]
	s.w.mu.RUnlock()
	if ok {
		return o.rec.clone(), true
	}
	return s.ds.Order(id)
}

// User returns a user as this server answers it now (after renames).
func (s *Server) User(id string) (UserRecord, bool) {
	s.w.mu.RLock()
	u, ok := s.w.users[id]
	s.w.mu.RUnlock()
	if ok {
		return u.rec, true
	}
	return s.ds.User(id)
}

// writeFunc applies a write whose body has been read; it fills rp and
// reports whether it changed anything.
type writeFunc func(s *Server, rp *reply, body []byte, rt route) bool

// serveWrite reads the body, applies the Idempotency-Key rules and the
// write, and the after-write fault. It reports whether the connection is
// to be dropped instead of answered.
func (s *Server) serveWrite(w http.ResponseWriter, r *http.Request, rp *reply, rt route) (drop bool) {
	w.Header().Set("Cache-Control", "no-store")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWriteBody))
	if err != nil {
		rp.fail(http.StatusBadRequest, "body: "+err.Error())
		return false
	}
	key, hasKey := r.Header["Idempotency-Key"]
	if !hasKey {
		if rt.write(s, rp, body, rt) {
			return s.afterWrite(rp)
		}
		return false
	}
	if len(key) != 1 || !validIdempotencyKey(key[0]) {
		rp.fail(http.StatusBadRequest, "Idempotency-Key must be 1.."+strconv.Itoa(MaxIdempotencyKey)+" visible ASCII characters, given once")
		return false
	}
	k := key[0]
	sum := sha256.Sum256(body)
	path := r.URL.EscapedPath()
	s.w.mu.Lock()
	if m, ok := s.w.idem[k]; ok {
		s.w.mu.Unlock()
		switch {
		case m.method != r.Method || m.path != path || m.body != sum:
			rp.fail(http.StatusUnprocessableEntity, "Idempotency-Key "+strconv.Quote(k)+" was used with another request")
		case !m.done:
			rp.fail(http.StatusConflict, "Idempotency-Key "+strconv.Quote(k)+" is still being applied")
		default:
			rp.status = m.status
			rp.buf.Reset()
			rp.buf.Write(m.answer)
		}
		return false
	}
	m := &remembered{method: r.Method, path: path, body: sum}
	s.w.idem[k] = m
	s.w.order = append(s.w.order, k)
	s.forgetOldest()
	s.w.mu.Unlock()

	changed := rt.write(s, rp, body, rt)

	s.w.mu.Lock()
	m.done, m.status, m.answer = true, rp.status, bytes.Clone(rp.buf.Bytes())
	s.w.mu.Unlock()
	if changed {
		return s.afterWrite(rp)
	}
	return false
}

// forgetOldest keeps the idempotency memory within maxRemembered, dropping
// the oldest finished keys. Called with s.w.mu held.
func (s *Server) forgetOldest() {
	// At most one pass over the keys: those still being applied stay
	// (there are at most as many as requests in flight).
	for n := len(s.w.order); len(s.w.idem) > s.w.limit && n > 0; n-- {
		k := s.w.order[0]
		s.w.order = s.w.order[1:]
		if m := s.w.idem[k]; m != nil && m.done {
			delete(s.w.idem, k)
		} else {
			s.w.order = append(s.w.order, k) // still being applied: later
		}
	}
}

// afterWrite applies Faults.AfterWrite to a write just applied.
func (s *Server) afterWrite(rp *reply) (drop bool) {
	s.faultsMu.Lock()
	f := *s.faults.Load()
	mode := f.AfterWrite
	if mode != "" && f.AfterWriteTimes > 0 {
		f.AfterWriteTimes--
		if f.AfterWriteTimes == 0 {
			f.AfterWrite = ""
		}
		s.faults.Store(&f)
	}
	s.faultsMu.Unlock()
	switch mode {
	case AfterWrite503:
		rp.fail(http.StatusServiceUnavailable, "injected failure after the write")
	case AfterWriteDrop:
		return true
	}
	return false
}

func validIdempotencyKey(k string) bool {
	if len(k) < 1 || len(k) > MaxIdempotencyKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// decodeStrict decodes exactly one JSON object into v, refusing unknown
// properties (the contract's additionalProperties: false) and trailing data.
func decodeStrict(rp *reply, body []byte, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		rp.fail(http.StatusBadRequest, "body: "+err.Error())
		return false
	}
	if dec.More() {
		rp.fail(http.StatusBadRequest, "body: trailing data after the JSON object")
		return false
	}
	return true
}

// requireProps fails with 400 unless body has every one of props (a zero
// value in the struct cannot tell "absent" from "empty").
func requireProps(rp *reply, body []byte, props ...string) bool {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		rp.fail(http.StatusBadRequest, "body: want a JSON object")
		return false
	}
	for _, p := range props {
		if v, ok := m[p]; !ok || string(v) == "null" {
			rp.fail(http.StatusBadRequest, "body: missing property "+p)
			return false
		}
	}
	return true
}

// ---- reviews ----

func (s *Server) createReview(rp *reply, body []byte, _ route) bool {
	var nr NewReview
	if !requireProps(rp, body, "productId", "authorId", "rating", "body") || !decodeStrict(rp, body, &nr) {
		return false
	}
	if nr.Rating < MinRating || nr.Rating > MaxRating {
		rp.fail(http.StatusBadRequest, "rating must be "+strconv.Itoa(MinRating)+".."+strconv.Itoa(MaxRating)+", got "+strconv.Itoa(nr.Rating))
		return false
	}
	if n := utf8.RuneCountInString(nr.Body); n < 1 || n > MaxReviewBody {
		rp.fail(http.StatusBadRequest, "body must be 1.."+strconv.Itoa(MaxReviewBody)+" characters, got "+strconv.Itoa(n))
		return false
	}
	if _, ok := s.ds.productIdx[nr.ProductID]; !ok {
		rp.fail(http.StatusUnprocessableEntity, "unknown product "+strconv.Quote(nr.ProductID))
		return false
	}
	if _, ok := s.ds.users[nr.AuthorID]; !ok {
		rp.fail(http.StatusUnprocessableEntity, "unknown author "+strconv.Quote(nr.AuthorID))
		return false
	}
	s.w.mu.Lock()
	rec := ReviewRecord{
		ID:        "r" + strconv.Itoa(s.ds.NumReviews()+len(s.w.reviews)+1),
		ProductID: nr.ProductID,
		AuthorID:  nr.AuthorID,
		Rating:    nr.Rating,
		Body:      nr.Body,
		CreatedAt: s.now().UTC().Truncate(time.Second),
	}
	e := encode(rec)
	i := len(s.w.reviews)
	s.w.reviews = append(s.w.reviews, e)
	s.w.byProduct[rec.ProductID] = append(s.w.byProduct[rec.ProductID], i)
	s.w.byAuthor[rec.AuthorID] = append(s.w.byAuthor[rec.AuthorID], i)
	s.w.applied++
	s.w.mu.Unlock()
	rp.status = http.StatusCreated
	rp.buf.Write(e.raw)
	return true
}

// ---- orders ----

func (s *Server) cancelOrder(rp *reply, _ []byte, rt route) bool {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	cur, ok := s.w.orders[rt.id]
	if !ok {
		j, known := s.ds.orderIdx[rt.id]
		if !known {
			rp.fail(http.StatusNotFound, "order "+strconv.Quote(rt.id)+" not found")
			return false
		}
		cur = &s.ds.orders[j]
	}
	switch cur.rec.Status {
	case StatusCancelled:
		rp.buf.Write(cur.raw)
		return false
	case StatusShipped, StatusDelivered:
		rp.fail(http.StatusConflict, "order "+rt.id+" is "+cur.rec.Status)
		return false
	}
	o := cur.rec.clone()
	o.Status = StatusCancelled
	e := encode(o)
	s.w.orders[o.ID] = &e
	s.w.applied++
	rp.buf.Write(e.raw)
	return true
}

// ---- users ----

func (s *Server) updateUser(rp *reply, body []byte, rt route) bool {
	var up UserPatch
	if !requireProps(rp, body, "name") || !decodeStrict(rp, body, &up) {
		return false
	}
	if n := utf8.RuneCountInString(up.Name); n < 1 || n > MaxUserName {
		rp.fail(http.StatusBadRequest, "name must be 1.."+strconv.Itoa(MaxUserName)+" characters, got "+strconv.Itoa(n))
		return false
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	cur, ok := s.w.users[rt.id]
	if !ok {
		cur, ok = s.ds.users[rt.id]
		if !ok {
			rp.fail(http.StatusNotFound, "user "+strconv.Quote(rt.id)+" not found")
			return false
		}
	}
	u := cur.rec
	u.Name = up.Name
	e := encode(u)
	s.w.users[u.ID] = &e
	s.w.applied++
	rp.buf.Write(e.raw)
	return true
}

// ---- what reads see ----

// userRaw is the user as answered now; nil when unknown.
func (s *Server) userRaw(id string) []byte {
	s.w.mu.RLock()
	u, ok := s.w.users[id]
	s.w.mu.RUnlock()
	if ok {
		return u.raw
	}
	if u, ok := s.ds.users[id]; ok {
		return u.raw
	}
	return nil
}

// orderRaw is order j of the dataset as answered now.
func (s *Server) orderRaw(j int) []byte {
	o := &s.ds.orders[j]
	s.w.mu.RLock()
	c, ok := s.w.orders[o.rec.ID]
	s.w.mu.RUnlock()
	if ok {
		return c.raw
	}
	return o.raw
}

// createdReviews returns the raw reviews created for the keys of index
// (byProduct or byAuthor); called with s.w.mu read-held.
func (s *Server) createdReviews(index map[string][]int, id string) [][]byte {
	var out [][]byte
	for _, i := range index[id] {
		out = append(out, s.w.reviews[i].raw)
	}
	return out
}
