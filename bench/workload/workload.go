// Package workload names the three benchmark workloads and holds, for each,
// the GraphQL query sent to the gateway and the path of the same answer on
// the hand-written floor aggregator (bench/floor). The go test benchmarks,
// the load generator and the floor's equivalence test all take the queries
// from here, so they cannot drift apart.
package workload

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Workload is one kind of page a frontend asks for.
type Workload struct {
	// Name is the short name used in flags and result tables.
	Name string
	// Query is the GraphQL document sent to the gateway.
	Query string
	// FloorPath is the floor's path and query string for the same answer.
	FloorPath string
	// WantCalls is the number of backend calls the gateway makes for Query
	// with batching on (over the demo dataset), as the core tests assert.
	WantCalls int
	// MaxCalls, when set, is the most calls: levels whose answers arrive
	// apart may be dispatched apart (see User).
	MaxCalls int
	// IDs, when set, are the values of the query's $id: request i asks
	// for IDs[i % len(IDs)] (see HotProduct).
	IDs []string
}

// Listing is a catalog page of 20 shoes with prices, stock, the newest
// reviews with their authors, rating summaries and related products.
var Listing = Workload{
	Name: "listing",
	Query: `{ products(category: "shoes", first: 20) { nodes { id name price { amount { formatted } } ` +
		`stock { available inStock } reviews(first: 5) { rating author { name } } ratingSummary { count average } ` +
		`related { name } } pageInfo { endCursor hasNextPage } } }`,
	FloorPath: "/listing?category=shoes",
	WantCalls: 6,
}

// Dashboard is a user's home page: the user, recent orders with their items'
// products and prices, the user's reviews and an order summary.
var Dashboard = Workload{
	Name: "dashboard",
	Query: `{ dashboard(userId: "u1") { user { name tier } recentOrders(first: 5) { id status total { formatted } ` +
		`items { quantity unitPrice { formatted } product { name price { amount { formatted } } } } } ` +
		`reviews(first: 5) { rating body } summary { orderCount totalSpent { formatted } } } }`,
	FloorPath: "/dashboard?user=u1",
	WantCalls: 5,
}

// ProductPage is one product with its price, stock, newest reviews with
// authors, rating summary and related products with their prices.
var ProductPage = Workload{
	Name: "product",
	Query: `{ product(id: "p1") { name price { amount { formatted } } stock { available inStock } ` +
		`reviews(first: 5) { rating author { name } } ratingSummary { count average } ` +
		`related { name price { amount { formatted } } } } }`,
	FloorPath: "/product?id=p1",
	WantCalls: 6,
}

// User is the composition issue's query: a user's orders with their
// items' products and prices, and the products of the user's reviews. The
// fetch plan sends orders and reviews with the users call, so it takes two
// round trips; the reviewed and the ordered products are one catalog call
// (one fetch step of the plan's second round) even when reviews and orders
// answer apart (the floor then makes two).
var User = Workload{
	Name:      "user",
	Query:     `{ user(id: "u1") { orders { items { product { price { amount { formatted } } } } } reviews { product { name } } } }`,
	FloorPath: "/user?id=u1",
	WantCalls: 5,
}

// HotProduct is the product page of issue 19's sharing measurement:
// concurrent requests for 20 distinct products (catalog, pricing,
// inventory, reviews and the reviewers: five calls a page alone). The
// floor's path takes the id at its end (FloorPathAt).
var HotProduct = Workload{
	Name: "hot-product",
	Query: `query Hot($id: ID!) { product(id: $id) { name price { amount { formatted } } stock { available inStock } ` +
		`reviews(first: 5) { rating author { name } } ratingSummary { count average } } }`,
	FloorPath: "/hot?id=p1",
	WantCalls: 5,
	IDs:       hotIDs(20),
}

func hotIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("p%d", i+1)
	}
	return out
}

// All returns the workloads in report order.
func All() []Workload { return []Workload{Listing, Dashboard, ProductPage, User} }

// ByName returns the workload called name.
func ByName(name string) (Workload, error) {
	for _, w := range append(All(), HotProduct) {
		if w.Name == name {
			return w, nil
		}
	}
	return Workload{}, fmt.Errorf("workload: unknown workload %q (want listing, dashboard, product, user or hot-product)", name)
}

// FloorPathAt returns the floor's path for w's request i: with IDs, the
// path's id= is IDs[i % len(IDs)].
func (w Workload) FloorPathAt(i int) string {
	if len(w.IDs) == 0 {
		return w.FloorPath
	}
	base, _, _ := strings.Cut(w.FloorPath, "id=")
	return base + "id=" + w.IDs[i%len(w.IDs)]
}

// Body returns the JSON body of a GraphQL POST for w.
func (w Workload) Body() []byte { return w.BodyAt(0) }

// BodyAt returns the JSON body of w's request i: with IDs, its $id is
// IDs[i % len(IDs)].
func (w Workload) BodyAt(i int) []byte {
	req := map[string]any{"query": w.Query}
	if len(w.IDs) > 0 {
		req["variables"] = map[string]string{"id": w.IDs[i%len(w.IDs)]}
	}
	b, err := json.Marshal(req)
	if err != nil { // a map of strings always encodes
		panic(err)
	}
	return b
}
