package demo

import (
	"strconv"
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

	// clock, when set, is what writes stamp their records with (tests
	// comparing two sets of backends make them agree); nil: time.Now.
	clock atomic.Pointer[func() time.Time]

	stopOnce sync.Once
	stopping chan struct{} // closed by stop: ends injected latency early
}

// SetClock makes the server's writes stamp their records with now()
// instead of the time (nil restores the time).
func (s *Server) SetClock(now func() time.Time) {
	if now == nil {
		s.clock.Store(nil)
		return
	}
	s.clock.Store(&now)
}

// now is the time a write stamps.
func (s *Server) now() time.Time {
	if c := s.clock.Load(); c != nil {
		return (*c)()
	}
	return time.Now()
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
