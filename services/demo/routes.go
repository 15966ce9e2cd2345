package demo

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

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
