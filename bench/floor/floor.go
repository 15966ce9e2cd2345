package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxIDs is the contract's limit of ids per batch request.
const maxIDs = 100

// Backends are the base URLs of the six services (no trailing slash).
type Backends struct {
	Catalog, Pricing, Inventory, Reviews, Users, Orders string
}

// Floor answers the three benchmark workloads by calling the backends
// directly: every call batched, every call started as soon as the ids it
// needs are known. It is the least work a gateway can do for these answers.
type Floor struct {
	hc             *http.Client
	be             Backends
	callTimeout    time.Duration
	requestTimeout time.Duration
}

// NewFloor returns a floor over be that calls through hc.
func NewFloor(be Backends, hc *http.Client) *Floor {
	return &Floor{hc: hc, be: be, callTimeout: time.Second, requestTimeout: 5 * time.Second}
}

// NewTransport is tuned like the gateway's (internal/upstream): the same
// pool sizes, so a comparison measures the work, not the connection reuse.
func NewTransport() *http.Transport {
	return &http.Transport{
		DialContext: (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		// The default of 2 idle connections per host churns connections under
		// load: each level of a page goes to every service at once.
		MaxIdleConns:        256 * 8,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     60 * time.Second,
	}
}

// Handler serves GET /listing?category=&first=, /product?id=, /hot?id=,
// /dashboard?user= and /user?id=, answering {"data":{…}} like the gateway.
func (f *Floor) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /listing", f.serve(f.listing))
	mux.HandleFunc("GET /product", f.serve(f.product))
	mux.HandleFunc("GET /hot", f.serve(f.hot))
	mux.HandleFunc("GET /dashboard", f.serve(f.dashboard))
	mux.HandleFunc("GET /user", f.serve(f.user))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

// badRequest marks an error the client must fix.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

func (f *Floor) serve(page func(ctx context.Context, q url.Values) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), f.requestTimeout)
		defer cancel()
		data, err := page(ctx, r.URL.Query())
		status := http.StatusOK
		var body []byte
		if err != nil {
			status = http.StatusBadGateway
			if errors.As(err, new(badRequest)) {
				status = http.StatusBadRequest
			}
			body, _ = json.Marshal(map[string]any{"errors": []map[string]string{{"message": err.Error()}}})
		} else if body, err = json.Marshal(struct {
			Data any `json:"data"`
		}{data}); err != nil {
			status = http.StatusInternalServerError
			body = []byte(`{"errors":[{"message":"encode"}]}`)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

// ---- the three pages ----

// listing: catalog page → {pricing, inventory, reviews → users, catalog
// (related products not on the page)}: 6 calls, 3 round trips.
func (f *Floor) listing(ctx context.Context, q url.Values) (any, error) {
	first := 20
	if s := q.Get("first"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return nil, badRequest{"first must be 1..100"}
		}
		first = n
	}
	u := f.be.Catalog + "/products?first=" + strconv.Itoa(first)
	if c := q.Get("category"); c != "" {
		u += "&category=" + url.QueryEscape(c)
	}
	var page productList
	if err := f.get(ctx, u, &page); err != nil {
		return nil, err
	}
	ids := make([]string, len(page.Products))
	onPage := make(map[string]bool, len(ids))
	for i, p := range page.Products {
		ids[i] = p.ID
		onPage[p.ID] = true
	}
	var relatedIDs []string
	seen := map[string]bool{}
	for _, p := range page.Products {
		for _, id := range p.RelatedIDs[:min(4, len(p.RelatedIDs))] {
			if !onPage[id] && !seen[id] {
				seen[id] = true
				relatedIDs = append(relatedIDs, id)
			}
		}
	}

	var (
		prices  map[string]*price
		stocks  map[string]*stock
		reviews map[string][]review
		authors map[string]*user
		related map[string]*product
		errs    [5]error
		wg      sync.WaitGroup
	)
	if len(ids) > 0 {
		wg.Go(func() { prices, errs[0] = f.prices(ctx, ids) })
		wg.Go(func() { stocks, errs[1] = f.stocks(ctx, ids) })
		wg.Go(func() {
			if reviews, errs[2] = f.reviewsBy(ctx, "productIds", ids, byProduct); errs[2] != nil {
				return
			}
			var aids []string
			for _, id := range ids {
				for _, r := range newest(reviews[id], 5) {
					aids = append(aids, r.AuthorID)
				}
			}
			authors, errs[3] = f.users(ctx, aids)
		})
	}
	if len(relatedIDs) > 0 {
		wg.Go(func() { related, errs[4] = f.products(ctx, relatedIDs) })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}

	byID := make(map[string]*product, len(page.Products)+len(related))
	for i := range page.Products {
		byID[page.Products[i].ID] = &page.Products[i]
	}
	for id, p := range related {
		byID[id] = p
	}
	var d listingData
	d.Products.Nodes = make([]listingNode, len(page.Products))
	for i, p := range page.Products {
		n := listingNode{
			ID:            p.ID,
			Name:          p.Name,
			Price:         toPrice(prices[p.ID]),
			Stock:         toStock(stocks[p.ID]),
			RatingSummary: summarize(reviews[p.ID]),
			Reviews:       []reviewWithAuthor{},
			Related:       []nameOut{},
		}
		for _, r := range newest(reviews[p.ID], 5) {
			n.Reviews = append(n.Reviews, reviewWithAuthor{Rating: r.Rating, Author: toName(authors[r.AuthorID])})
		}
		for _, id := range p.RelatedIDs[:min(4, len(p.RelatedIDs))] {
			if rp := byID[id]; rp != nil {
				n.Related = append(n.Related, nameOut{Name: rp.Name})
			}
		}
		d.Products.Nodes[i] = n
	}
	if page.NextCursor != "" {
		c := page.NextCursor
		d.Products.PageInfo = pageInfo{EndCursor: &c, HasNextPage: true}
	}
	return d, nil
}

// product: {catalog → {catalog (related), pricing (product and related)},
// inventory, reviews → users}: 6 calls, 2 round trips. The product's id is
// known up front, so its stock and reviews need not wait for the catalog,
// and its price rides along with the related products' prices.
func (f *Floor) product(ctx context.Context, q url.Values) (any, error) {
	id := q.Get("id")
	if id == "" {
		return nil, badRequest{"missing id"}
	}
	var (
		prod    *product
		related map[string]*product
		prices  map[string]*price
		stocks  map[string]*stock
		reviews map[string][]review
		authors map[string]*user
		errs    [6]error
		wg      sync.WaitGroup
	)
	wg.Go(func() {
		var ps map[string]*product
		if ps, errs[0] = f.products(ctx, []string{id}); errs[0] != nil {
			return
		}
		if prod = ps[id]; prod == nil {
			return
		}
		ids := dedup(append([]string{id}, prod.RelatedIDs[:min(4, len(prod.RelatedIDs))]...))
		var inner sync.WaitGroup
		if len(ids) > 1 {
			inner.Go(func() { related, errs[1] = f.products(ctx, ids[1:]) })
		}
		prices, errs[2] = f.prices(ctx, ids)
		inner.Wait()
	})
	wg.Go(func() { stocks, errs[3] = f.stocks(ctx, []string{id}) })
	wg.Go(func() {
		if reviews, errs[4] = f.reviewsBy(ctx, "productIds", []string{id}, byProduct); errs[4] != nil {
			return
		}
		var aids []string
		for _, r := range newest(reviews[id], 5) {
			aids = append(aids, r.AuthorID)
		}
		authors, errs[5] = f.users(ctx, aids)
	})
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	if prod == nil {
		return productData{}, nil
	}
	pg := &productPage{
		Name:          prod.Name,
		Price:         toPrice(prices[id]),
		Stock:         toStock(stocks[id]),
		RatingSummary: summarize(reviews[id]),
		Reviews:       []reviewWithAuthor{},
		Related:       []relatedWithPrice{},
	}
	for _, r := range newest(reviews[id], 5) {
		pg.Reviews = append(pg.Reviews, reviewWithAuthor{Rating: r.Rating, Author: toName(authors[r.AuthorID])})
	}
	for _, rid := range prod.RelatedIDs[:min(4, len(prod.RelatedIDs))] {
		rp := related[rid]
		if rid == id {
			rp = prod
		}
		if rp != nil {
			pg.Related = append(pg.Related, relatedWithPrice{Name: rp.Name, Price: toPrice(prices[rid])})
		}
	}
	return productData{Product: pg}, nil
}

// hot is the hot-product page (workload.HotProduct): the product page
// without related products. {catalog, pricing, inventory, reviews →
// users}: 5 calls, 2 round trips.
func (f *Floor) hot(ctx context.Context, q url.Values) (any, error) {
	id := q.Get("id")
	if id == "" {
		return nil, badRequest{"missing id"}
	}
	var (
		ps      map[string]*product
		prices  map[string]*price
		stocks  map[string]*stock
		reviews map[string][]review
		authors map[string]*user
		errs    [5]error
		wg      sync.WaitGroup
	)
	wg.Go(func() { ps, errs[0] = f.products(ctx, []string{id}) })
	wg.Go(func() { prices, errs[1] = f.prices(ctx, []string{id}) })
	wg.Go(func() { stocks, errs[2] = f.stocks(ctx, []string{id}) })
	wg.Go(func() {
		if reviews, errs[3] = f.reviewsBy(ctx, "productIds", []string{id}, byProduct); errs[3] != nil {
			return
		}
		var aids []string
		for _, r := range newest(reviews[id], 5) {
			aids = append(aids, r.AuthorID)
		}
		authors, errs[4] = f.users(ctx, aids)
	})
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	prod := ps[id]
	if prod == nil {
		return hotData{}, nil
	}
	pg := &hotPage{
		Name:          prod.Name,
		Price:         toPrice(prices[id]),
		Stock:         toStock(stocks[id]),
		RatingSummary: summarize(reviews[id]),
		Reviews:       []reviewWithAuthor{},
	}
	for _, r := range newest(reviews[id], 5) {
		pg.Reviews = append(pg.Reviews, reviewWithAuthor{Rating: r.Rating, Author: toName(authors[r.AuthorID])})
	}
	return hotData{Product: pg}, nil
}

// dashboard: {users, reviews, orders → {catalog, pricing}}: 5 calls, 2
// round trips. The order items name their product ids, so their prices need
// not wait for the catalog.
func (f *Floor) dashboard(ctx context.Context, q url.Values) (any, error) {
	uid := q.Get("user")
	if uid == "" {
		return nil, badRequest{"missing user"}
	}
	var (
		users    map[string]*user
		reviews  map[string][]review
		orders   []order
		recent   []order
		products map[string]*product
		prices   map[string]*price
		errs     [5]error
		wg       sync.WaitGroup
	)
	wg.Go(func() { users, errs[0] = f.users(ctx, []string{uid}) })
	wg.Go(func() { reviews, errs[1] = f.reviewsBy(ctx, "authorIds", []string{uid}, byAuthor) })
	wg.Go(func() {
		var ol orderList
		if errs[2] = f.get(ctx, f.be.Orders+"/orders?userIds="+url.QueryEscape(uid), &ol); errs[2] != nil {
			return
		}
		for _, o := range ol.Orders {
			if o.UserID == uid {
				orders = append(orders, o)
			}
		}
		recent = slices.Clone(orders)
		slices.SortStableFunc(recent, func(a, b order) int { return b.CreatedAt.Compare(a.CreatedAt) })
		recent = recent[:min(5, len(recent))]
		var ids []string
		for _, o := range recent {
			for _, it := range o.Items {
				ids = append(ids, it.ProductID)
			}
		}
		if ids = dedup(ids); len(ids) == 0 {
			return
		}
		var inner sync.WaitGroup
		inner.Go(func() { products, errs[3] = f.products(ctx, ids) })
		prices, errs[4] = f.prices(ctx, ids)
		inner.Wait()
	})
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	u := users[uid]
	if u == nil {
		return dashboardData{}, nil
	}
	d := &dashboard{RecentOrders: []orderOut{}, Reviews: []reviewBody{}}
	d.User.Name, d.User.Tier = u.Name, u.Tier
	for _, o := range recent {
		oo := orderOut{
			ID:     o.ID,
			Status: strings.ToUpper(o.Status),
			Total:  money{formatMoney(o.TotalCents, o.Currency)},
			Items:  make([]itemOut, len(o.Items)),
		}
		for i, it := range o.Items {
			item := itemOut{Quantity: it.Quantity, UnitPrice: money{formatMoney(it.UnitPriceCents, o.Currency)}}
			if p := products[it.ProductID]; p != nil {
				item.Product = &itemProduct{Name: p.Name, Price: toPrice(prices[it.ProductID])}
			}
			oo.Items[i] = item
		}
		d.RecentOrders = append(d.RecentOrders, oo)
	}
	for _, r := range newest(reviews[uid], 5) {
		d.Reviews = append(d.Reviews, reviewBody{Rating: r.Rating, Body: r.Body})
	}
	spent := map[string]int64{}
	for _, o := range orders {
		if o.Status != "cancelled" {
			spent[o.Currency] += o.TotalCents
		}
	}
	d.Summary = summaryOut{OrderCount: len(orders), TotalSpent: []money{}}
	for _, cur := range slices.Sorted(maps.Keys(spent)) {
		d.Summary.TotalSpent = append(d.Summary.TotalSpent, money{formatMoney(spent[cur], cur)})
	}
	return dashboardData{Dashboard: d}, nil
}

// ---- backend calls ----

func (f *Floor) products(ctx context.Context, ids []string) (map[string]*product, error) {
	return batchByID(ctx, f, f.be.Catalog+"/products?ids=", ids,
		func(l *productList) []product { return l.Products }, func(p *product) string { return p.ID })
}

func (f *Floor) prices(ctx context.Context, ids []string) (map[string]*price, error) {
	return batchByID(ctx, f, f.be.Pricing+"/prices?currency=USD&productIds=", ids,
		func(l *priceList) []price { return l.Prices }, func(p *price) string { return p.ProductID })
}

func (f *Floor) stocks(ctx context.Context, ids []string) (map[string]*stock, error) {
	return batchByID(ctx, f, f.be.Inventory+"/inventory?productIds=", ids,
		func(l *stockList) []stock { return l.Items }, func(s *stock) string { return s.ProductID })
}

func (f *Floor) users(ctx context.Context, ids []string) (map[string]*user, error) {
	return batchByID(ctx, f, f.be.Users+"/users?ids=", ids,
		func(l *userList) []user { return l.Users }, func(u *user) string { return u.ID })
}

func byProduct(r *review) string { return r.ProductID }
func byAuthor(r *review) string  { return r.AuthorID }

// reviewsBy fetches the reviews of ids (param productIds or authorIds),
// grouped by key.
func (f *Floor) reviewsBy(ctx context.Context, param string, ids []string, key func(*review) string) (map[string][]review, error) {
	ids = dedup(ids)
	out := make(map[string][]review, len(ids))
	err := batch(ctx, f, f.be.Reviews+"/reviews?"+param+"=", ids, func(l *reviewList) {
		for i := range l.Reviews {
			k := key(&l.Reviews[i])
			out[k] = append(out[k], l.Reviews[i])
		}
	})
	return out, err
}

// batchByID fetches ids in calls of at most maxIDs, in parallel, and
// indexes the items by id (unknown ids are simply absent).
func batchByID[E, T any](ctx context.Context, f *Floor, prefix string, ids []string, items func(*E) []T, id func(*T) string) (map[string]*T, error) {
	ids = dedup(ids)
	out := make(map[string]*T, len(ids))
	err := batch(ctx, f, prefix, ids, func(e *E) {
		xs := items(e)
		for i := range xs {
			out[id(&xs[i])] = &xs[i]
		}
	})
	return out, err
}

// batch GETs prefix+<ids joined by commas> in chunks of maxIDs, concurrently
// when there is more than one, and hands each decoded envelope to add
// (serialized). No ids, no call.
func batch[E any](ctx context.Context, f *Floor, prefix string, ids []string, add func(*E)) error {
	if len(ids) == 0 {
		return nil
	}
	if len(ids) <= maxIDs {
		var e E
		if err := f.get(ctx, prefix+joinIDs(ids), &e); err != nil {
			return err
		}
		add(&e)
		return nil
	}
	n := (len(ids) + maxIDs - 1) / maxIDs
	envs := make([]E, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		chunk := ids[i*maxIDs : min((i+1)*maxIDs, len(ids))]
		wg.Go(func() { errs[i] = f.get(ctx, prefix+joinIDs(chunk), &envs[i]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i := range envs {
		add(&envs[i])
	}
	return nil
}

func joinIDs(ids []string) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(url.QueryEscape(id))
	}
	return b.String()
}

// get decodes the JSON answer of GET u into dst.
func (f *Floor) get(ctx context.Context, u string, dst any) error {
	ctx, cancel := context.WithTimeout(ctx, f.callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("GET %s: status %d", req.URL.Path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(dst); err != nil {
		return fmt.Errorf("GET %s: %w", req.URL.Path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body) // so the connection is reused
	return nil
}

// ---- mapping ----

// newest returns at most n reviews, newest first, ties by id (the gateway's
// order), without reordering rs.
func newest(rs []review, n int) []review {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b review) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return s[:min(n, len(s))]
}

func summarize(rs []review) ratingSummary {
	s := ratingSummary{Count: len(rs)}
	if len(rs) > 0 {
		sum := 0
		for _, r := range rs {
			sum += r.Rating
		}
		avg := float64(sum) / float64(len(rs))
		s.Average = &avg
	}
	return s
}

func toPrice(p *price) *priceOut {
	if p == nil {
		return nil
	}
	return &priceOut{Amount: money{formatMoney(p.AmountCents, p.Currency)}}
}

func toStock(s *stock) *stockOut {
	if s == nil {
		return nil
	}
	return &stockOut{Available: s.Available, InStock: s.Available > 0}
}

func toName(u *user) *nameOut {
	if u == nil {
		return nil
	}
	return &nameOut{Name: u.Name}
}

// dedup returns ids without repeats, first occurrences in order.
func dedup(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
