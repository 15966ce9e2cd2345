package demo_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// batchEndpoint describes one batch endpoint for table-driven tests.
type batchEndpoint struct {
	endpoint string
	svc      demo.Service
	path     string // with "?param=" at the end
	prefix   string // id prefix of the demo data
	// keys decodes an answer into the ids it covers, one per item.
	keys func(t testing.TB, r response) []string
	// want returns the ids an answer for one id must cover.
	want func(ds *demo.Dataset, id string) []string
}

func batchEndpoints() []batchEndpoint {
	self := func(ds *demo.Dataset, id string) []string { return []string{id} }
	return []batchEndpoint{
		{
			endpoint: "products.byIds", svc: demo.Catalog, path: "/products?ids=", prefix: "p",
			keys: func(t testing.TB, r response) []string {
				var l demo.ProductList
				decode(t, r, &l)
				if l.NextCursor != nil {
					t.Errorf("got nextCursor %q in a batch answer, want none", *l.NextCursor)
				}
				return mapIDs(l.Products, func(p demo.ProductRecord) string { return p.ID })
			},
			want: self,
		},
		{
			endpoint: "prices", svc: demo.Pricing, path: "/prices?productIds=", prefix: "p",
			keys: func(t testing.TB, r response) []string {
				var l demo.PriceList
				decode(t, r, &l)
				return mapIDs(l.Prices, func(p demo.PriceRecord) string { return p.ProductID })
			},
			want: self,
		},
		{
			endpoint: "inventory", svc: demo.Inventory, path: "/inventory?productIds=", prefix: "p",
			keys: func(t testing.TB, r response) []string {
				var l demo.StockList
				decode(t, r, &l)
				return mapIDs(l.Items, func(s demo.StockRecord) string { return s.ProductID })
			},
			want: func(ds *demo.Dataset, id string) []string {
				if _, ok := ds.Stock(id); ok {
					return []string{id}
				}
				return nil
			},
		},
		{
			endpoint: "reviews.byProduct", svc: demo.Reviews, path: "/reviews?productIds=", prefix: "p",
			keys: reviewIDs,
			want: func(ds *demo.Dataset, id string) []string {
				return mapIDs(ds.ReviewsByProduct(id), func(r demo.ReviewRecord) string { return r.ID })
			},
		},
		{
			endpoint: "reviews.byAuthor", svc: demo.Reviews, path: "/reviews?authorIds=", prefix: "u",
			keys: reviewIDs,
			want: func(ds *demo.Dataset, id string) []string {
				return mapIDs(ds.ReviewsByAuthor(id), func(r demo.ReviewRecord) string { return r.ID })
			},
		},
		{
			endpoint: "users.byIds", svc: demo.Users, path: "/users?ids=", prefix: "u",
			keys: func(t testing.TB, r response) []string {
				var l demo.UserList
				decode(t, r, &l)
				return mapIDs(l.Users, func(u demo.UserRecord) string { return u.ID })
			},
			want: self,
		},
		{
			endpoint: "orders.byUser", svc: demo.Orders, path: "/orders?userIds=", prefix: "u",
			keys: func(t testing.TB, r response) []string {
				var l demo.OrderList
				decode(t, r, &l)
				return mapIDs(l.Orders, func(o demo.OrderRecord) string { return o.ID })
			},
			want: func(ds *demo.Dataset, id string) []string {
				return mapIDs(ds.OrdersByUser(id), func(o demo.OrderRecord) string { return o.ID })
			},
		},
	}
}

func reviewIDs(t testing.TB, r response) []string {
	var l demo.ReviewList
	decode(t, r, &l)
	return mapIDs(l.Reviews, func(r demo.ReviewRecord) string { return r.ID })
}

func mapIDs[T any](xs []T, f func(T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

func TestBatchEndpoints(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	ds := b.Dataset()
	tests := []struct {
		name       string
		giveIDs    func(prefix string) string
		wantStatus int
		// wantIDs are the dataset ids whose items the answer must hold.
		wantIDs func(prefix string) []string
	}{
		{
			name:       "known ids",
			giveIDs:    func(p string) string { return p + "1," + p + "2," + p + "3" },
			wantStatus: http.StatusOK,
			wantIDs:    func(p string) []string { return []string{p + "1", p + "2", p + "3"} },
		},
		{
			name:       "unknown ids omitted",
			giveIDs:    func(p string) string { return "nope," + p + "2,x9999," + p + "0" },
			wantStatus: http.StatusOK,
			wantIDs:    func(p string) []string { return []string{p + "2"} },
		},
		{
			name:       "duplicates returned once",
			giveIDs:    func(p string) string { return p + "1," + p + "1," + p + "7," + p + "1" },
			wantStatus: http.StatusOK,
			wantIDs:    func(p string) []string { return []string{p + "1", p + "7"} },
		},
		{
			name:       "only unknown ids",
			giveIDs:    func(string) string { return "zzz,yyy" },
			wantStatus: http.StatusOK,
			wantIDs:    func(string) []string { return nil },
		},
		{
			name:       "empty elements match nothing",
			giveIDs:    func(p string) string { return p + "1,," },
			wantStatus: http.StatusOK,
			wantIDs:    func(p string) []string { return []string{p + "1"} },
		},
		{
			name:       "100 ids",
			giveIDs:    func(p string) string { return ids(p, 100) },
			wantStatus: http.StatusOK,
			wantIDs: func(p string) []string {
				return slices.Collect(strings.SplitSeq(ids(p, 100), ","))
			},
		},
		{
			name:       "100 ids counting duplicates",
			giveIDs:    func(p string) string { return strings.Repeat(p+"1,", 99) + p + "1" },
			wantStatus: http.StatusOK,
			wantIDs:    func(p string) []string { return []string{p + "1"} },
		},
		{name: "101 ids", giveIDs: func(p string) string { return ids(p, 101) }, wantStatus: http.StatusBadRequest},
		{name: "101 duplicate ids", giveIDs: func(p string) string { return strings.Repeat(p+"1,", 100) + p + "1" }, wantStatus: http.StatusBadRequest},
		// An id list has at least one element: `ids=` is a 400.
		{name: "empty list", giveIDs: func(string) string { return "" }, wantStatus: http.StatusBadRequest},
	}
	for _, ep := range batchEndpoints() {
		for _, tt := range tests {
			t.Run(ep.endpoint+"/"+tt.name, func(t *testing.T) {
				r := get(t, b.URL(ep.svc)+ep.path+tt.giveIDs(ep.prefix))
				if tt.wantStatus != http.StatusOK {
					checkError(t, r, tt.wantStatus)
					return
				}
				if r.status != http.StatusOK {
					t.Fatalf("got status %d, want 200 (body %s)", r.status, r.body)
				}
				checkContentType(t, r)
				var want []string
				for _, id := range tt.wantIDs(ep.prefix) {
					want = append(want, ep.want(ds, id)...)
				}
				got := ep.keys(t, r)
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("got items %v, want %v", got, want)
				}
			})
		}
	}
}

func TestBatchEndpointsBadParameters(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	tests := []struct {
		name       string
		svc        demo.Service
		givePath   string
		wantStatus int
	}{
		{"prices without productIds", demo.Pricing, "/prices", http.StatusBadRequest},
		{"inventory without productIds", demo.Inventory, "/inventory?ids=p1", http.StatusBadRequest},
		{"users without ids", demo.Users, "/users", http.StatusBadRequest},
		{"orders without userIds", demo.Orders, "/orders?ids=u1", http.StatusBadRequest},
		{"repeated ids", demo.Catalog, "/products?ids=p1&ids=p2", http.StatusBadRequest},
		{"repeated productIds", demo.Pricing, "/prices?productIds=p1&productIds=p2", http.StatusBadRequest},
		{"repeated userIds", demo.Orders, "/orders?userIds=u1&userIds=u2", http.StatusBadRequest},
		{"bad query escape", demo.Users, "/users?ids=u1%zz", http.StatusBadRequest},
		{"reviews with both parameters", demo.Reviews, "/reviews?productIds=p1&authorIds=u1", http.StatusBadRequest},
		{"reviews with neither parameter", demo.Reviews, "/reviews", http.StatusBadRequest},
		{"reviews with an unrelated parameter", demo.Reviews, "/reviews?ids=p1", http.StatusBadRequest},
		{"reviews with empty authorIds", demo.Reviews, "/reviews?authorIds=", http.StatusBadRequest},
		{"single-item path on a batch-only service", demo.Pricing, "/prices/p1", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, get(t, b.URL(tt.svc)+tt.givePath), tt.wantStatus)
		})
	}
}

func TestBatchAnswersMatchDataset(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	ds := b.Dataset()
	const giveProducts = "p1,p2,p3,p40,p999,p1000"
	const giveUsers = "u1,u2,u17,u200"

	t.Run("products", func(t *testing.T) {
		var got demo.ProductList
		decode(t, get(t, b.URL(demo.Catalog)+"/products?ids="+giveProducts), &got)
		for _, p := range got.Products {
			if want, _ := ds.Product(p.ID); !reflect.DeepEqual(p, want) {
				t.Errorf("got %+v, want %+v", p, want)
			}
		}
	})
	t.Run("prices", func(t *testing.T) {
		for _, cur := range demo.Currencies() {
			var got demo.PriceList
			decode(t, get(t, b.URL(demo.Pricing)+"/prices?currency="+cur+"&productIds="+giveProducts), &got)
			if len(got.Prices) != 6 {
				t.Errorf("got %d %s prices, want 6", len(got.Prices), cur)
			}
			for _, p := range got.Prices {
				if want, _ := ds.Price(p.ProductID, cur); p != want {
					t.Errorf("got %+v, want %+v", p, want)
				}
			}
		}
	})
	t.Run("inventory", func(t *testing.T) {
		var got demo.StockList
		decode(t, get(t, b.URL(demo.Inventory)+"/inventory?productIds="+giveProducts), &got)
		for _, s := range got.Items {
			if want, _ := ds.Stock(s.ProductID); !reflect.DeepEqual(s, want) {
				t.Errorf("got %+v, want %+v", s, want)
			}
		}
	})
	t.Run("reviews", func(t *testing.T) {
		var got demo.ReviewList
		decode(t, get(t, b.URL(demo.Reviews)+"/reviews?authorIds="+giveUsers), &got)
		for _, r := range got.Reviews {
			if !slices.Contains(ds.ReviewsByAuthor(r.AuthorID), r) {
				t.Errorf("got %+v, want a review of the dataset", r)
			}
		}
	})
	t.Run("users", func(t *testing.T) {
		var got demo.UserList
		decode(t, get(t, b.URL(demo.Users)+"/users?ids="+giveUsers), &got)
		for _, u := range got.Users {
			if want, _ := ds.User(u.ID); u != want {
				t.Errorf("got %+v, want %+v", u, want)
			}
		}
	})
	t.Run("orders newest first per user", func(t *testing.T) {
		var got demo.OrderList
		decode(t, get(t, b.URL(demo.Orders)+"/orders?userIds="+giveUsers), &got)
		perUser := map[string][]demo.OrderRecord{}
		for _, o := range got.Orders {
			perUser[o.UserID] = append(perUser[o.UserID], o)
		}
		for _, u := range strings.Split(giveUsers, ",") {
			if got, want := perUser[u], ds.OrdersByUser(u); !reflect.DeepEqual(got, want) && len(want) > 0 {
				t.Errorf("%s: got orders %v, want %v (newest first)", u, mapIDs(got, orderID), mapIDs(want, orderID))
			}
		}
	})
	t.Run("restockDate may be absent", func(t *testing.T) {
		var raw struct {
			Items []map[string]json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(get(t, b.URL(demo.Inventory)+"/inventory?productIds="+ids("p", 100)).body, &raw); err != nil {
			t.Fatal(err)
		}
		with, without := 0, 0
		for _, it := range raw.Items {
			if _, ok := it["restockDate"]; ok {
				with++
			} else {
				without++
			}
		}
		if with == 0 || without == 0 {
			t.Errorf("got %d items with restockDate and %d without, want some of each", with, without)
		}
	})
}

func orderID(o demo.OrderRecord) string { return o.ID }

func TestSingleItemEndpoints(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	ds := b.Dataset()
	product := func(id string) any { p, _ := ds.Product(id); return p }
	user := func(id string) any { u, _ := ds.User(id); return u }
	order := func(id string) any { o, _ := ds.Order(id); return o }
	tests := []struct {
		name       string
		svc        demo.Service
		givePath   string
		wantStatus int
		want       any
		decodeInto func() any
	}{
		{"product", demo.Catalog, "/products/p1", http.StatusOK, product("p1"), func() any { return new(demo.ProductRecord) }},
		{"product p1000", demo.Catalog, "/products/p1000", http.StatusOK, product("p1000"), func() any { return new(demo.ProductRecord) }},
		{"unknown product", demo.Catalog, "/products/p1001", http.StatusNotFound, nil, nil},
		{"escaped unknown product", demo.Catalog, "/products/a%2Fb", http.StatusNotFound, nil, nil},
		{"empty product id", demo.Catalog, "/products/", http.StatusNotFound, nil, nil},
		{"nested product path", demo.Catalog, "/products/p1/reviews", http.StatusNotFound, nil, nil},
		{"user", demo.Users, "/users/u1", http.StatusOK, user("u1"), func() any { return new(demo.UserRecord) }},
		{"unknown user", demo.Users, "/users/u0", http.StatusNotFound, nil, nil},
		{"order", demo.Orders, "/orders/o1", http.StatusOK, order("o1"), func() any { return new(demo.OrderRecord) }},
		{"unknown order", demo.Orders, "/orders/o999999", http.StatusNotFound, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, b.URL(tt.svc)+tt.givePath)
			if tt.wantStatus != http.StatusOK {
				checkError(t, r, tt.wantStatus)
				return
			}
			if r.status != tt.wantStatus {
				t.Fatalf("got status %d, want %d (body %s)", r.status, tt.wantStatus, r.body)
			}
			checkContentType(t, r)
			v := tt.decodeInto()
			decode(t, r, v)
			if got := reflect.ValueOf(v).Elem().Interface(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMethodsAndUnknownPaths(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	paths := map[demo.Service][]string{
		demo.Catalog:   {"/products?ids=p1", "/products", "/products/p1"},
		demo.Pricing:   {"/prices?productIds=p1"},
		demo.Inventory: {"/inventory?productIds=p1"},
		demo.Reviews:   {"/reviews?productIds=p1", "/reviews?authorIds=u1"},
		demo.Users:     {"/users?ids=u1", "/users/u1"},
		demo.Orders:    {"/orders?userIds=u1", "/orders/o1"},
	}
	for _, svc := range demo.AllServices() {
		for _, p := range paths[svc] {
			// The paths that also take a write (contract 1.1) allow it.
			allow := map[string]string{"/reviews": "GET, POST", "/users/u1": "GET, PATCH"}[strings.Split(p, "?")[0]]
			if allow == "" {
				allow = "GET"
			}
			for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
				if strings.Contains(allow, m) {
					continue // a write: writes_test.go
				}
				t.Run(string(svc)+"/"+m+" "+p, func(t *testing.T) {
					r := do(t, context.Background(), m, b.URL(svc)+p, `{}`)
					checkError(t, r, http.StatusMethodNotAllowed)
					if got, want := r.header.Get("Allow"), allow; got != want {
						t.Errorf("got Allow %q, want %q", got, want)
					}
				})
			}
			t.Run(string(svc)+"/HEAD "+p, func(t *testing.T) {
				r := do(t, context.Background(), http.MethodHead, b.URL(svc)+p, "")
				if got, want := r.status, http.StatusMethodNotAllowed; got != want {
					t.Errorf("got status %d, want %d", got, want)
				}
			})
		}
		for _, p := range []string{"/", "/nope", "/products2", "/_demo", "/_demo/nope"} {
			t.Run(string(svc)+"/unknown "+p, func(t *testing.T) {
				checkError(t, get(t, b.URL(svc)+p), http.StatusNotFound)
			})
		}
	}
	// Each service answers only its own paths.
	checkError(t, get(t, b.URL(demo.Users)+"/products?ids=p1"), http.StatusNotFound)
	checkError(t, get(t, b.URL(demo.Catalog)+"/orders/o1"), http.StatusNotFound)
}

func TestPricingCurrency(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	ds := b.Dataset()
	tests := []struct {
		name         string
		giveQuery    string
		wantStatus   int
		wantCurrency string
	}{
		{"default USD", "", http.StatusOK, "USD"},
		{"USD", "&currency=USD", http.StatusOK, "USD"},
		{"EUR", "&currency=EUR", http.StatusOK, "EUR"},
		{"GBP", "&currency=GBP", http.StatusOK, "GBP"},
		{"JPY", "&currency=JPY", http.StatusOK, "JPY"},
		{"unknown", "&currency=XXX", http.StatusBadRequest, ""},
		{"lower case", "&currency=usd", http.StatusBadRequest, ""},
		{"empty", "&currency=", http.StatusBadRequest, ""},
		{"repeated", "&currency=USD&currency=EUR", http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, b.URL(demo.Pricing)+"/prices?productIds=p1,p2"+tt.giveQuery)
			if tt.wantStatus != http.StatusOK {
				checkError(t, r, tt.wantStatus)
				return
			}
			var got demo.PriceList
			decode(t, r, &got)
			if len(got.Prices) != 2 {
				t.Fatalf("got %d prices, want 2", len(got.Prices))
			}
			for _, p := range got.Prices {
				want, _ := ds.Price(p.ProductID, tt.wantCurrency)
				if p != want {
					t.Errorf("got %+v, want %+v", p, want)
				}
			}
		})
	}
}

// listPage fetches one page of the catalog listing.
func listPage(t *testing.T, base, query string) (demo.ProductList, string) {
	t.Helper()
	r := get(t, base+"/products?"+query)
	if r.status != http.StatusOK {
		t.Fatalf("GET /products?%s: got status %d, want 200 (body %s)", query, r.status, r.body)
	}
	checkContentType(t, r)
	var l demo.ProductList
	decode(t, r, &l)
	if l.NextCursor == nil {
		t.Fatalf("GET /products?%s: got no nextCursor, want one (maybe empty)", query)
	}
	return l, *l.NextCursor
}

func TestProductsListingWalk(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	ds := b.Dataset()
	type walk struct {
		category string
		first    int
	}
	var walks []walk
	for _, first := range []int{1, 7, 20, 100} {
		walks = append(walks, walk{"", first})
	}
	for _, c := range ds.Categories() {
		walks = append(walks, walk{c, 13}, walk{c, 100})
	}
	for _, w := range walks {
		t.Run("category="+w.category+"/first="+strconv.Itoa(w.first), func(t *testing.T) {
			var want []string
			for _, p := range ds.Products() {
				if w.category == "" || p.Category == w.category {
					want = append(want, p.ID)
				}
			}
			var got []string
			seen := map[string]bool{}
			after := ""
			for pages := 0; ; pages++ {
				if pages > len(want)+1 {
					t.Fatalf("got more than %d pages, want the walk to end", pages)
				}
				q := "first=" + strconv.Itoa(w.first) + "&category=" + w.category + "&after=" + after
				l, next := listPage(t, b.URL(demo.Catalog), q)
				if len(l.Products) > w.first {
					t.Fatalf("got %d products on a page, want at most %d", len(l.Products), w.first)
				}
				if next != "" && len(l.Products) != w.first {
					t.Fatalf("got a short page of %d with a next cursor, want full pages of %d", len(l.Products), w.first)
				}
				for _, p := range l.Products {
					if seen[p.ID] {
						t.Fatalf("got %s twice in the walk, want each once", p.ID)
					}
					seen[p.ID] = true
					if w.category != "" && p.Category != w.category {
						t.Errorf("got %s of category %q, want %q", p.ID, p.Category, w.category)
					}
					got = append(got, p.ID)
				}
				if next == "" {
					break
				}
				after = next
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %d products in order %v…, want %d in order %v…", len(got), head(got), len(want), head(want))
			}
		})
	}
}

func head(xs []string) []string { return xs[:min(len(xs), 12)] }

func TestProductsListingParameters(t *testing.T) {
	t.Parallel()
	b := tributarytest.StartBackends(t, nil)
	ds := b.Dataset()
	base := b.URL(demo.Catalog)
	// A cursor from the first page, to test its reuse.
	_, cursor := listPage(t, base, "first=5")

	tests := []struct {
		name       string
		giveQuery  string
		wantStatus int
		wantIDs    []string // nil: don't check
		wantNext   bool
	}{
		{"default page size", "", http.StatusOK, idRange(1, 20), true},
		{"first=1", "first=1", http.StatusOK, []string{"p1"}, true},
		{"first=100", "first=100", http.StatusOK, idRange(1, 100), true},
		{"after a cursor", "first=3&after=" + cursor, http.StatusOK, []string{"p6", "p7", "p8"}, true},
		{"empty after", "first=2&after=", http.StatusOK, []string{"p1", "p2"}, true},
		{"empty category means all", "first=2&category=", http.StatusOK, []string{"p1", "p2"}, true},
		{"unknown category", "category=nope", http.StatusOK, []string{}, false},
		{"ids win over listing parameters", "ids=p9&first=0&after=junk", http.StatusOK, []string{"p9"}, false},
		{"first=0", "first=0", http.StatusBadRequest, nil, false},
		{"first=101", "first=101", http.StatusBadRequest, nil, false},
		{"first=-1", "first=-1", http.StatusBadRequest, nil, false},
		{"first not an integer", "first=ten", http.StatusBadRequest, nil, false},
		{"first a decimal", "first=1.5", http.StatusBadRequest, nil, false},
		{"first empty", "first=", http.StatusBadRequest, nil, false},
		{"first repeated", "first=1&first=2", http.StatusBadRequest, nil, false},
		{"garbage cursor", "after=garbage", http.StatusBadRequest, nil, false},
		{"cursor of an unknown product", "after=c1.cDk5OTk5", http.StatusBadRequest, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, base+"/products?"+tt.giveQuery)
			if tt.wantStatus != http.StatusOK {
				checkError(t, r, tt.wantStatus)
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("got status %d, want 200 (body %s)", r.status, r.body)
			}
			var l demo.ProductList
			decode(t, r, &l)
			if got := mapIDs(l.Products, func(p demo.ProductRecord) string { return p.ID }); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("got ids %v, want %v", got, tt.wantIDs)
			}
			if strings.Contains(tt.giveQuery, "ids=") {
				return // batch form: no cursor
			}
			if l.NextCursor == nil {
				t.Fatalf("got no nextCursor, want one")
			}
			if got := *l.NextCursor != ""; got != tt.wantNext {
				t.Errorf("got a non-empty nextCursor %v, want %v", got, tt.wantNext)
			}
		})
	}

	t.Run("last page has an empty cursor", func(t *testing.T) {
		// Exactly filling the last page must not leave a cursor to an empty page.
		// NumProducts is a multiple of 100: walk to the last page.
		c := ""
		for range len(ds.Products())/100 - 1 {
			_, c = listPage(t, base, "first=100&after="+c)
		}
		l, next := listPage(t, base, "first=100&after="+c)
		if len(l.Products) != 100 || next != "" {
			t.Errorf("got %d products and nextCursor %q, want 100 and \"\"", len(l.Products), next)
		}
	})
	t.Run("a cursor works across categories", func(t *testing.T) {
		l, _ := listPage(t, base, "first=1&category=books&after="+cursor)
		if len(l.Products) != 1 || l.Products[0].Category != "books" {
			t.Errorf("got %+v, want one book", l.Products)
		}
		if id, _ := strconv.Atoi(strings.TrimPrefix(l.Products[0].ID, "p")); id <= 5 {
			t.Errorf("got %s, want a product after p5", l.Products[0].ID)
		}
	})
}

func idRange(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, "p"+strconv.Itoa(i))
	}
	return out
}
