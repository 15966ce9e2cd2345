package gateway_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/services/demo"
)

const listingQuery = `query Listing($category: String) {
  products(category: $category, first: 20) {
    nodes {
      id name
      price(currency: "USD") { amount { amountCents currency formatted } }
      stock { available inStock warehouse restockDate }
      reviews(first: 5) { rating body author { name tier } }
      ratingSummary { count average }
      related { id name }
    }
    pageInfo { endCursor hasNextPage }
  }
}`

// The headline guarantee: a 20-product listing with prices, stock,
// reviews with authors and related products is one call per service.
func TestListingCostsOneCallPerService(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.Query(listingQuery, map[string]any{"category": "shoes"})
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	nodes := get(r.Data, "products", "nodes").([]any)
	if len(nodes) != 20 {
		t.Fatalf("got %d products, want 20", len(nodes))
	}
	tests := []struct {
		svc      demo.Service
		endpoint string
		want     int64
	}{
		{demo.Catalog, "products.list", 1},
		{demo.Catalog, "products.byIds", 1}, // related products not on the page
		{demo.Catalog, "products.get", 0},
		{demo.Pricing, "prices", 1},
		{demo.Inventory, "inventory", 1},
		{demo.Reviews, "reviews.byProduct", 1},
		{demo.Users, "users.byIds", 1},
		{demo.Orders, "orders.byUser", 0},
	}
	for _, tt := range tests {
		if got := e.Calls(tt.svc, tt.endpoint); got != tt.want {
			t.Errorf("%s %s: got %d calls, want %d", tt.svc, tt.endpoint, got, tt.want)
		}
	}
	if got := e.TotalCalls(); got != 6 {
		t.Errorf("got %d backend calls in all, want 6", got)
	}
	// The batch carried all 20 products.
	if got := e.Stats(demo.Pricing).Endpoints["prices"].BatchSizes; !slices.Equal(got, []int{20}) {
		t.Errorf("pricing batch sizes: got %v, want [20]", got)
	}

	// Spot-check the answer against the dataset.
	ds := e.Backends.Dataset()
	first := nodes[0].(map[string]any)
	id := first["id"].(string)
	p, _ := ds.Price(id, "USD")
	if got := get(first, "price", "amount", "amountCents"); got != float64(p.AmountCents) {
		t.Errorf("price of %s: got %v, want %d", id, got, p.AmountCents)
	}
	if got := len(get(first, "reviews").([]any)); got != min(5, len(ds.ReviewsByProduct(id))) {
		t.Errorf("reviews of %s: got %d", id, got)
	}
}

// user → orders → items → product → price: one call per service per level.
func TestDashboardCostsOneCallPerServicePerLevel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.Query(`{
  dashboard(userId: "u1") {
    user { name tier }
    recentOrders(first: 5) {
      id status total { formatted }
      items { quantity unitPrice { formatted } product { name price { amount { formatted } } } }
    }
    reviews(first: 5) { rating body }
    summary { orderCount totalSpent { amountCents currency } }
  }
}`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	orders := get(r.Data, "dashboard", "recentOrders").([]any)
	if len(orders) == 0 {
		t.Fatal("u1 has no orders in the demo data")
	}
	tests := []struct {
		svc      demo.Service
		endpoint string
		want     int64
	}{
		{demo.Users, "users.byIds", 1},
		{demo.Orders, "orders.byUser", 1},     // recentOrders and summary share it
		{demo.Reviews, "reviews.byAuthor", 1}, // level 1
		{demo.Catalog, "products.byIds", 1},   // every order item's product, one call
		{demo.Pricing, "prices", 1},           // their prices
		{demo.Reviews, "reviews.byProduct", 0},
	}
	for _, tt := range tests {
		if got := e.Calls(tt.svc, tt.endpoint); got != tt.want {
			t.Errorf("%s %s: got %d calls, want %d", tt.svc, tt.endpoint, got, tt.want)
		}
	}
	// users, orders and reviews go out together (prefetch), then catalog, then pricing.
	if got := e.TotalCalls(); got != 5 {
		t.Errorf("got %d backend calls, want 5", got)
	}
}

// With every backend slow, the services of one level are in flight at once.
func TestServicesOfOneLevelRunInParallel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Backends.SetFaults(demo.Faults{Latency: 100 * time.Millisecond})
	r := e.Query(`{ product(id: "p1") { name } products(first: 5) { nodes { id } } user(id: "u2") { name } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	// Root level: catalog (by id), catalog (list) and users at once.
	if got := e.Peak(); got != 3 {
		t.Errorf("root level: peak concurrent backend calls %d, want 3", got)
	}

	e.ResetPeak()
	e.Backends.ResetStats()
	r = e.Query(`{ product(id: "p1") {
    price { amount { formatted } } stock { available } ratingSummary { count } related { name } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	// Second level: pricing, inventory, reviews and catalog (related) at once.
	if got := e.Peak(); got != 4 {
		t.Errorf("product level: peak concurrent backend calls %d, want 4", got)
	}
}

// Unknown ids give null without an error, in the right places.
func TestUnknownIDsAreNullWithoutErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.Query(`{ product(id: "nope") { id } productsByIds(ids: ["p3", "nope", "p1", "p3"]) { id } user(id: "u9999") { id } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	if v, ok := r.Data["product"]; !ok || v != nil {
		t.Errorf("product: got %v, want null", v)
	}
	got := fmt.Sprint(r.Data["productsByIds"])
	want := "[map[id:p3] <nil> map[id:p1] map[id:p3]]"
	if got != want {
		t.Errorf("productsByIds: got %s, want %s", got, want)
	}
	if got := e.Stats(demo.Catalog).Endpoints["products.byIds"].BatchSizes; !slices.Equal(got, []int{3}) {
		t.Errorf("catalog batch sizes: got %v, want [3] (product and productsByIds in one deduplicated call)", got)
	}
}

func TestProductPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.Query(`{ product(id: "p1") {
    id name description category imageUrl
    price(currency: "EUR") { amount { amountCents currency formatted } listAmount { formatted } onSale discountPercent }
    stock { available inStock warehouse restockDate }
    reviews(first: 3) { rating body createdAt author { name tier } }
    ratingSummary { count average }
    related(first: 2) { name price { amount { formatted } } }
  } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	ds := e.Backends.Dataset()
	p := get(r.Data, "product")
	rec, _ := ds.Product("p1")
	if got := get(p, "name"); got != rec.Name {
		t.Errorf("name: got %v, want %s", got, rec.Name)
	}
	price, _ := ds.Price("p1", "EUR")
	if got := get(p, "price", "amount", "amountCents"); got != float64(price.AmountCents) {
		t.Errorf("EUR price: got %v, want %d", got, price.AmountCents)
	}
	if got := get(p, "price", "amount", "currency"); got != "EUR" {
		t.Errorf("currency: got %v, want EUR", got)
	}
	rs := ds.ReviewsByProduct("p1")
	if got := get(p, "ratingSummary", "count"); got != float64(len(rs)) {
		t.Errorf("rating count: got %v, want %d", got, len(rs))
	}
	reviews := get(p, "reviews").([]any)
	if len(reviews) != 3 {
		t.Fatalf("got %d reviews, want 3", len(reviews))
	}
	var prev string
	for i, rv := range reviews {
		ts := get(rv, "createdAt").(string)
		if i > 0 && ts > prev {
			t.Errorf("reviews not newest first: %s after %s", ts, prev)
		}
		prev = ts
		if get(rv, "author", "name") == nil {
			t.Errorf("review %d has no author name", i)
		}
	}
	if n := len(get(p, "related").([]any)); n != min(2, len(rec.RelatedIDs)) {
		t.Errorf("related: got %d, want %d", n, min(2, len(rec.RelatedIDs)))
	}
}

func TestListingPaginatesToTheEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ds := e.Backends.Dataset()
	want := 0
	for _, p := range ds.Products() {
		if p.Category == "books" {
			want++
		}
	}
	seen := map[string]bool{}
	var after any
	for page := 0; page < 100; page++ {
		r := e.Query(`query($after: String) { products(category: "books", first: 50, after: $after) { nodes { id category } pageInfo { endCursor hasNextPage } } }`,
			map[string]any{"after": after})
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		for _, n := range get(r.Data, "products", "nodes").([]any) {
			id := get(n, "id").(string)
			if seen[id] {
				t.Fatalf("product %s listed twice", id)
			}
			seen[id] = true
		}
		if get(r.Data, "products", "pageInfo", "hasNextPage") != true {
			if get(r.Data, "products", "pageInfo", "endCursor") != nil {
				t.Error("endCursor set on the last page")
			}
			break
		}
		after = get(r.Data, "products", "pageInfo", "endCursor")
	}
	if len(seen) != want {
		t.Errorf("got %d books, want %d", len(seen), want)
	}
}

func TestUserWithOrdersAndReviews(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.Query(`{ user(id: "u1") { name email tier memberSince
    orders(first: 3) { id status createdAt total { formatted } itemCount items { productId quantity unitPrice { amountCents } lineTotal { amountCents } product { name } } }
    reviews(first: 3) { rating body } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	ds := e.Backends.Dataset()
	want := ds.OrdersByUser("u1")
	orders := get(r.Data, "user", "orders").([]any)
	if len(orders) != min(3, len(want)) {
		t.Fatalf("got %d orders, want %d", len(orders), min(3, len(want)))
	}
	if got := get(orders[0], "id"); got != want[0].ID {
		t.Errorf("newest order: got %v, want %s", got, want[0].ID)
	}
	for _, o := range orders {
		for _, it := range get(o, "items").([]any) {
			q := get(it, "quantity").(float64)
			if get(it, "lineTotal", "amountCents").(float64) != q*get(it, "unitPrice", "amountCents").(float64) {
				t.Errorf("lineTotal is not quantity × unitPrice in %v", it)
			}
		}
	}
	// users with orders and reviews prefetched in parallel, then catalog
	// once for every item of every order.
	if got := e.Calls(demo.Catalog, "products.byIds"); got != 1 {
		t.Errorf("catalog calls: got %d, want 1", got)
	}
}

// The fetch plan: a user's orders and reviews go out with the user when
// the id is an argument (orders, under @auth, once the owner rule is
// decided from that id), the orders' item products and their prices when
// the orders arrive, with the reviewed products: two round trips, one call
// per service. A caller who may not read the orders costs no orders call.
func TestUserQueryTakesTwoRoundTrips(t *testing.T) {
	t.Parallel()
	const q = `{ user(id: "u1") { name orders { items { product { name price { amount { formatted } } } } } reviews { product { name } } } }`
	tests := []struct {
		name       string
		mods       []func(*config.Config)
		token      func(t *testing.T) string
		wantOrders int64
		wantErrors int
	}{
		{"auth off", nil, func(*testing.T) string { return "" }, 1, 0},
		{"owner", []func(*config.Config){withJWT}, func(t *testing.T) string { return token(t, "u1") }, 1, 0},
		{"staff", []func(*config.Config){withJWT}, func(t *testing.T) string { return token(t, "u9", "support") }, 1, 0},
		{"someone else", []func(*config.Config){withJWT}, func(t *testing.T) string { return token(t, "u2") }, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tt.mods...)
			// Long enough that calls of one round overlap however slowly a
			// loaded machine starts their goroutines.
			e.WithLatency(100 * time.Millisecond)
			r := e.queryAs(tt.token(t), q, nil)
			if len(r.Errors) != tt.wantErrors {
				t.Fatalf("got errors %+v, want %d", r.Errors, tt.wantErrors)
			}
			if tt.wantErrors > 0 && r.Errors[0].Extensions["code"] != "FORBIDDEN" {
				t.Errorf("got %+v, want FORBIDDEN", r.Errors[0])
			}
			if got := e.Calls(demo.Orders, demo.EndpointOrdersByUser); got != tt.wantOrders {
				t.Errorf("orders calls: got %d, want %d", got, tt.wantOrders)
			}
			for _, c := range []struct {
				svc      demo.Service
				endpoint string
			}{{demo.Users, demo.EndpointUsersByIDs}, {demo.Reviews, demo.EndpointReviewsByAuthor}} {
				if got := e.Calls(c.svc, c.endpoint); got != 1 {
					t.Errorf("%s %s calls: got %d, want 1", c.svc, c.endpoint, got)
				}
			}
			// The reviewed products and the ordered ones are one catalog
			// call when orders and reviews answer together; when one
			// answers first, its products go out at once rather than wait
			// for the other (a round holds ready work back only briefly).
			if got := e.Calls(demo.Catalog, demo.EndpointProductsByIDs); got < 1 || got > 2 {
				t.Errorf("catalog calls: got %d, want 1 or 2", got)
			}
			if tt.wantOrders > 0 && e.Calls(demo.Pricing, "prices") != 1 {
				t.Errorf("pricing calls: got %d, want 1", e.Calls(demo.Pricing, "prices"))
			}
			if got := e.Rounds(); got != 2 {
				t.Errorf("round trips: got %d, want 2", got)
			}
		})
	}
}

func TestBadArgumentsAreClientErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name  string
		query string
	}{
		{"first too large", `{ products(first: 101) { nodes { id } } }`},
		{"first zero", `{ products(first: 0) { nodes { id } } }`},
		{"lowercase currency", `{ product(id: "p1") { price(currency: "usd") { amount { formatted } } } }`},
		{"negative reviews", `{ product(id: "p1") { reviews(first: -1) { id } } }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Query(tt.query, nil)
			if len(r.Errors) != 1 {
				t.Fatalf("got %d errors, want 1: %s", len(r.Errors), r.Raw)
			}
			if got := r.Errors[0].Extensions["code"]; got != "BAD_USER_INPUT" {
				t.Errorf("code: got %v, want BAD_USER_INPUT", got)
			}
		})
	}
	if got := e.Calls(demo.Catalog, "products.list"); got != 0 {
		t.Errorf("invalid listings reached the catalog %d times, want 0", got)
	}
}

// Batching off (for measuring N+1) really makes one call per key.
func TestBatchingDisabledCallsPerKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.Batch.Mode = "off" })
	r := e.Query(`{ products(first: 10) { nodes { price { amount { formatted } } } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	if got := e.Calls(demo.Pricing, "prices"); got != 10 {
		t.Errorf("pricing calls with batching off: got %d, want 10", got)
	}
}

// The engine dispatches a round when it has asked for all its keys, not
// after a timer, so heavy concurrency (more runnable goroutines than
// cores) does not split a level into several calls.
func TestLevelsStayWholeUnderLoad(t *testing.T) {
	t.Parallel()
	// The backstop as long as the request deadline: the engine alone must
	// dispatch every round (a counting leak would hang the requests and
	// fail the test), however loaded the machine.
	e := newEnv(t, func(c *config.Config) {
		c.Batch.Backstop = 30 * time.Second
		c.RequestTimeout = 30 * time.Second
		// Each request's own levels are counted: sharing across requests
		// would merge them (connect's tests and bench/ measure that).
		c.Batch.Share = false
	}, eachService(func(_ string, sc *config.ServiceConfig) { sc.Timeout = 20 * time.Second }))
	const n = 24
	errs := make(chan error, n)
	for i := range n {
		go func() {
			cat := []string{"shoes", "shirts", "jackets", "bags", "hats", "watches", "books", "games"}[i%8]
			r := e.QueryNoFatal(listingQuery, map[string]any{"category": cat})
			if r == nil {
				errs <- fmt.Errorf("query %d failed", i)
				return
			}
			if len(r.Errors) > 0 {
				errs <- fmt.Errorf("query %d: %+v", i, r.Errors)
				return
			}
			errs <- nil
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got, want := e.TotalCalls(), int64(6*n); got != want {
		t.Errorf("%d concurrent listings made %d backend calls, want %d (6 each)", n, got, want)
		for _, s := range demo.AllServices() {
			for ep, st := range e.Stats(s).Endpoints {
				if st.Calls > 0 {
					t.Logf("%s %s: %d calls, %d errors, sizes %v", s, ep, st.Calls, st.Errors, st.BatchSizes)
				}
			}
		}
	}
}

// Fields that need only a product's id (price, stock, reviews) are fetched
// alongside the catalog call, not one round trip after it.
func TestProductFieldsGoOutWithTheCatalogCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Backends.SetFaults(demo.Faults{Latency: 60 * time.Millisecond})
	r := e.Query(`{ dashboard(userId: "u1") { recentOrders { items { product { name price { amount { formatted } } } } } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	// Level 1: users and orders; level 2: catalog and pricing together.
	if got := e.Stats(demo.Pricing).Calls("prices"); got != 1 {
		t.Errorf("pricing calls: got %d, want 1", got)
	}
	if got := e.Peak(); got != 2 {
		t.Errorf("peak concurrent backend calls: got %d, want 2 (users+orders, then catalog+pricing)", got)
	}

	// A product page with its related products' prices: one pricing call
	// for the product and its related products, made with the related
	// look-up (p1's price is held for it: it fits in the same two rounds).
	e.Backends.ResetStats()
	r = e.Query(`{ product(id: "p1") { price { amount { formatted } } related { name price { amount { formatted } } } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	if got := e.Stats(demo.Pricing).Calls("prices"); got != 1 {
		t.Errorf("pricing calls: got %d, want 1 (p1 and the related products, with the related look-up)", got)
	}
}

// A list with null entries (unknown ids) still batches its products'
// fields, and the nulls stay in place without errors.
func TestProductsByIdsWithUnknownIdsKeepFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.Query(`{ productsByIds(ids: ["p1", "zz", "p2"]) { id price { amount { amountCents } } stock { available } related(first: 1) { id } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %s", r.Raw)
	}
	list := r.Data["productsByIds"].([]any)
	if len(list) != 3 || list[1] != nil {
		t.Fatalf("got %v, want [p1, null, p2]", list)
	}
	ds := e.Backends.Dataset()
	for i, id := range map[int]string{0: "p1", 2: "p2"} {
		p, _ := ds.Price(id, "USD")
		if got := get(list[i], "price", "amount", "amountCents"); got != float64(p.AmountCents) {
			t.Errorf("%s price: got %v, want %d", id, got, p.AmountCents)
		}
	}
	if got := e.Calls(demo.Pricing, "prices"); got != 1 {
		t.Errorf("pricing calls: got %d, want 1", got)
	}
}
