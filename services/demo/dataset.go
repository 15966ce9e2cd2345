package demo

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Sizes of the generated dataset.
const (
	NumProducts = 1000
	NumUsers    = 200
)

// Currencies lists the currencies the pricing service supports. JPY has no
// minor unit: its amounts are whole yen.
var currencies = [...]string{"USD", "EUR", "GBP", "JPY"}

// Currencies returns the supported currency codes; the first is the default.
func Currencies() []string { return slices.Clone(currencies[:]) }

func currencyIndex(c string) int {
	for i, x := range currencies {
		if x == c {
			return i
		}
	}
	return -1
}

// Dataset is the seeded demo data, indexed for the servers. It is immutable
// after creation and safe for concurrent use. Every record is also kept
// pre-encoded, so answering a request is mostly copying bytes.
type Dataset struct {
	seed uint64

	categories []string

	// products in listing order (numeric id: p1, p2, …, p1000); a product's
	// index is its rank in that order.
	products   []ProductRecord
	productRaw [][]byte
	productIdx map[string]int
	byCategory map[string][]int // ranks, ascending

	prices   map[string]*[len(currencies)]encoded[PriceRecord]
	stock    map[string]*encoded[StockRecord]
	users    map[string]*encoded[UserRecord]
	userList []UserRecord

	reviews          []encoded[ReviewRecord]
	reviewsByProduct map[string][]int // indexes into reviews, by id
	reviewsByAuthor  map[string][]int // indexes into reviews, by id

	orders       []encoded[OrderRecord]
	orderIdx     map[string]int
	ordersByUser map[string][]int // indexes into orders, newest first
}

// encoded is a record with its JSON encoding.
type encoded[T any] struct {
	rec T
	raw []byte
}

func encode[T any](rec T) encoded[T] {
	raw, err := json.Marshal(rec)
	if err != nil {
		// Only plain structs of strings, ints and times: cannot happen.
		panic(fmt.Sprintf("demo: encode %T: %v", rec, err))
	}
	return encoded[T]{rec: rec, raw: raw}
}

var defaultDataset = sync.OnceValue(func() *Dataset { return NewDataset(1) })

// DefaultDataset returns NewDataset(1), built once and shared.
func DefaultDataset() *Dataset { return defaultDataset() }

// Seed returns the seed the dataset was generated from.
func (d *Dataset) Seed() uint64 { return d.seed }

// Categories returns the product categories, sorted.
func (d *Dataset) Categories() []string { return slices.Clone(d.categories) }

// Product returns the product with this id.
func (d *Dataset) Product(id string) (ProductRecord, bool) {
	i, ok := d.productIdx[id]
	if !ok {
		return ProductRecord{}, false
	}
	return d.products[i].clone(), true
}

// Products returns all products in the catalog listing's stable order
// (by numeric id: p1, p2, …, p10, …).
func (d *Dataset) Products() []ProductRecord {
	out := make([]ProductRecord, len(d.products))
	for i, p := range d.products {
		out[i] = p.clone()
	}
	return out
}

// Price returns the price of a product in a currency ("" means USD).
func (d *Dataset) Price(productID, currency string) (PriceRecord, bool) {
	if currency == "" {
		currency = currencies[0]
	}
	ci := currencyIndex(currency)
	p, ok := d.prices[productID]
	if ci < 0 || !ok {
		return PriceRecord{}, false
	}
	return p[ci].rec, true
}

// Stock returns the stock of a product; about 5% of products are unknown to
// inventory.
func (d *Dataset) Stock(productID string) (StockRecord, bool) {
	s, ok := d.stock[productID]
	if !ok {
		return StockRecord{}, false
	}
	return s.rec.clone(), true
}

// ReviewsByProduct returns the reviews of a product, by review id.
func (d *Dataset) ReviewsByProduct(productID string) []ReviewRecord {
	return d.reviewList(d.reviewsByProduct[productID])
}

// ReviewsByAuthor returns the reviews written by a user, by review id.
func (d *Dataset) ReviewsByAuthor(userID string) []ReviewRecord {
	return d.reviewList(d.reviewsByAuthor[userID])
}

func (d *Dataset) reviewList(idx []int) []ReviewRecord {
	out := make([]ReviewRecord, len(idx))
	for i, j := range idx {
		out[i] = d.reviews[j].rec
	}
	return out
}

// User returns the user with this id.
func (d *Dataset) User(id string) (UserRecord, bool) {
	u, ok := d.users[id]
	if !ok {
		return UserRecord{}, false
	}
	return u.rec, true
}

// Users returns all users by numeric id (u1, u2, …).
func (d *Dataset) Users() []UserRecord { return slices.Clone(d.userList) }

// OrdersByUser returns a user's orders, newest first.
func (d *Dataset) OrdersByUser(userID string) []OrderRecord {
	idx := d.ordersByUser[userID]
	out := make([]OrderRecord, len(idx))
	for i, j := range idx {
		out[i] = d.orders[j].rec.clone()
	}
	return out
}

// Order returns the order with this id.
func (d *Dataset) Order(id string) (OrderRecord, bool) {
	i, ok := d.orderIdx[id]
	if !ok {
		return OrderRecord{}, false
	}
	return d.orders[i].rec.clone(), true
}

// NumReviews returns the number of reviews in the dataset (r1…rN).
func (d *Dataset) NumReviews() int { return len(d.reviews) }

// NumOrders returns the number of orders in the dataset (o1…oN).
func (d *Dataset) NumOrders() int { return len(d.orders) }

// ---- generation ----

type categorySpec struct {
	name     string
	nouns    []string
	colored  bool // name is "<adjective> <color> <noun>", else "<adjective> <theme> <noun>"
	minPrice int  // whole dollars
	maxPrice int
	features []string
}

var categorySpecs = []categorySpec{
	{"shoes", []string{"Running Shoe", "Trail Sneaker", "Leather Boot", "Canvas Sneaker", "Loafer", "Hiking Boot", "Slip-On", "High-Top"}, true, 35, 180,
		[]string{"a cushioned midsole", "a grippy rubber outsole", "breathable mesh uppers", "a water-resistant finish", "a removable insole", "reinforced stitching"}},
	{"shirts", []string{"Oxford Shirt", "Linen Shirt", "Flannel Shirt", "Polo", "Henley", "Denim Shirt", "Graphic Tee", "Crew Tee"}, true, 15, 90,
		[]string{"soft organic cotton", "a relaxed fit", "mother-of-pearl buttons", "a tailored collar", "pre-shrunk fabric", "a chest pocket"}},
	{"jackets", []string{"Rain Jacket", "Down Parka", "Bomber Jacket", "Denim Jacket", "Fleece", "Softshell", "Windbreaker", "Trench Coat"}, true, 50, 350,
		[]string{"a packable hood", "taped seams", "recycled insulation", "two-way zips", "a fleece-lined collar", "adjustable cuffs"}},
	{"bags", []string{"Backpack", "Tote", "Messenger Bag", "Duffel", "Sling Bag", "Laptop Sleeve", "Weekender", "Crossbody"}, true, 25, 250,
		[]string{"a padded laptop compartment", "waxed canvas", "YKK zips", "a hidden passport pocket", "leather trim", "a luggage pass-through"}},
	{"hats", []string{"Beanie", "Baseball Cap", "Bucket Hat", "Fedora", "Sun Hat", "Trucker Cap", "Flat Cap", "Panama Hat"}, true, 12, 60,
		[]string{"merino wool", "UPF 50 sun protection", "an adjustable strap", "a sweat-wicking band", "a packable brim", "a classic fit"}},
	{"watches", []string{"Field Watch", "Dive Watch", "Chronograph", "Dress Watch", "Smartwatch", "Pilot Watch", "GMT Watch", "Digital Watch"}, true, 50, 600,
		[]string{"sapphire crystal", "100 m water resistance", "a luminous dial", "a stainless steel case", "a quick-release strap", "an automatic movement"}},
	{"books", []string{"Cookbook", "Travel Guide", "Novel", "Field Guide", "Poetry Collection", "Biography", "Atlas", "Handbook"}, false, 9, 60,
		[]string{"full-colour illustrations", "a foreword by the author", "an index of recipes and places", "a sewn binding", "over 300 pages", "maps and photographs"}},
	{"games", []string{"Board Game", "Card Game", "Puzzle", "Strategy Game", "Party Game", "Dice Game", "Co-op Adventure", "Trivia Game"}, false, 15, 90,
		[]string{"2 to 6 players", "a 30-minute play time", "wooden components", "solo rules", "a rules video", "expansion-ready storage"}},
}

var (
	adjectives = []string{"Classic", "Urban", "Alpine", "Coastal", "Heritage", "Nordic", "Summit", "Everyday", "Vintage", "Midnight", "Harbor", "Canyon", "Meadow", "Aurora", "Granite", "Willow"}
	colors     = []string{"Black", "Navy", "Olive", "Sand", "Charcoal", "Crimson", "Ivory", "Slate", "Forest", "Rust"}
	themes     = []string{"Island", "Kingdom", "Garden", "Galaxy", "River", "Mountain", "City", "Desert", "Ocean", "Forest"}
	closings   = []string{"Built to last.", "Designed in Amsterdam.", "Made from responsibly sourced materials.", "A customer favourite.", "Backed by a two-year warranty.", "New this season."}
	warehouses = []string{"ams-1", "fra-2", "iad-1", "sfo-1", "sin-1"}
	firstNames = []string{"Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Edsger", "Radia", "Tim", "Hedy", "John", "Katherine", "Niklaus", "Sophie", "Guido", "Anita", "Rob", "Joan", "Leslie", "Mary", "Donald", "Evelyn", "Bjarne", "Lynn", "Vint", "Karen", "Robert"}
	lastNames  = []string{"Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen", "Dijkstra", "Perlman", "Berners-Lee", "Lamarr", "McCarthy", "Johnson", "Wirth", "Wilson", "van Rossum", "Borg", "Pike", "Clarke", "Lamport", "Shaw", "Knuth", "Berezin", "Stroustrup", "Conway", "Cerf", "Jones", "Griesemer"}
	tiers      = []weighted[string]{{"bronze", 45}, {"silver", 30}, {"gold", 18}, {"platinum", 7}}
	statuses   = []weighted[string]{{StatusDelivered, 45}, {StatusShipped, 20}, {StatusPaid, 15}, {StatusPending, 10}, {StatusCancelled, 10}}
	orderCurr  = []weighted[string]{{"USD", 85}, {"EUR", 8}, {"GBP", 5}, {"JPY", 2}}
	ratings    = []weighted[int]{{1, 6}, {2, 8}, {3, 16}, {4, 35}, {5, 35}}
	openers    = map[int][]string{
		5: {"Absolutely love it.", "Exceeded my expectations.", "Best purchase this year.", "Five stars, would buy again."},
		4: {"Really good overall.", "Solid quality for the price.", "Very happy with it.", "Great, with one small quibble."},
		3: {"It's okay.", "Does the job, nothing special.", "Mixed feelings about this one.", "Average quality."},
		2: {"Disappointed.", "Not what I expected.", "Quality could be better.", "Would not buy again."},
		1: {"Terrible.", "Fell apart within a week.", "Do not recommend.", "A complete waste of money."},
	}
	details = map[bool][]string{
		true:  {"The %s arrived quickly and looks just like the photos.", "I have used the %s every day for a month.", "My second %s from this shop.", "Bought the %s as a gift and it went down well."},
		false: {"The %s arrived late and the packaging was damaged.", "The %s feels cheaper than the price suggests.", "I returned the %s after two weeks.", "The %s does not match the description."},
	}
)

type weighted[T any] struct {
	v T
	w int
}

func pick[T any](r *rand.Rand, xs []weighted[T]) T {
	total := 0
	for _, x := range xs {
		total += x.w
	}
	n := r.IntN(total)
	for _, x := range xs {
		if n < x.w {
			return x.v
		}
		n -= x.w
	}
	return xs[len(xs)-1].v
}

func one[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

var (
	year2019 = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	year2023 = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	year2025 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	year2026 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	year2027 = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
)

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// randTime returns a whole-second UTC time in [from, to).
func randTime(r *rand.Rand, from, to time.Time) time.Time {
	secs := int64(to.Sub(from) / time.Second)
	return from.Add(time.Duration(r.Int64N(secs)) * time.Second)
}

// randDay returns a UTC midnight in [from, to).
func randDay(r *rand.Rand, from, to time.Time) time.Time {
	days := int64(to.Sub(from) / (24 * time.Hour))
	return from.AddDate(0, 0, int(r.Int64N(days)))
}

// NewDataset generates the demo data from a seed. The same seed always gives
// the same data (math/rand/v2 PCG, no map iteration in generation).
//
// It holds NumProducts products p1… in 8 categories, their prices in every
// supported currency, stock for all but about 5% of them, NumUsers users u1…,
// 0–12 orders o1… per user (u1 has at least 5) and 0–15 reviews r1… per
// product (p1 has at least 8). p1 and u1 are always complete: p1 has stock.
func NewDataset(seed uint64) *Dataset {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	d := &Dataset{seed: seed}
	d.genProducts(r)
	d.genPrices(r)
	d.genStock(r)
	d.genUsers(r)
	d.genOrders(r)
	d.genReviews(r)
	return d
}

func (d *Dataset) genProducts(r *rand.Rand) {
	d.products = make([]ProductRecord, NumProducts)
	d.productRaw = make([][]byte, NumProducts)
	d.productIdx = make(map[string]int, NumProducts)
	d.byCategory = make(map[string][]int, len(categorySpecs))
	// The first len(categorySpecs) products cover every category, so there
	// are exactly 8 whatever the seed.
	perm := r.Perm(len(categorySpecs))
	for i := range d.products {
		c := r.IntN(len(categorySpecs))
		if i < len(perm) {
			c = perm[i]
		}
		spec := categorySpecs[c]
		id := "p" + strconv.Itoa(i+1)
		noun := one(r, spec.nouns)
		var name string
		if spec.colored {
			name = one(r, adjectives) + " " + one(r, colors) + " " + noun
		} else {
			name = "The " + one(r, adjectives) + " " + one(r, themes) + " " + noun
		}
		f1 := r.IntN(len(spec.features))
		f2 := (f1 + 1 + r.IntN(len(spec.features)-1)) % len(spec.features)
		desc := fmt.Sprintf("%s with %s and %s. %s", article(strings.ToLower(noun)), spec.features[f1], spec.features[f2], one(r, closings))
		d.products[i] = ProductRecord{
			ID:          id,
			Name:        name,
			Description: desc,
			Category:    spec.name,
			ImageURL:    "https://img.example.com/products/" + id + ".jpg",
		}
		d.productIdx[id] = i
		d.byCategory[spec.name] = append(d.byCategory[spec.name], i)
	}
	for _, spec := range categorySpecs {
		d.categories = append(d.categories, spec.name)
	}
	slices.Sort(d.categories)

	// Related products: 0–6 distinct other existing products, mostly of the
	// same category.
	for i := range d.products {
		n := r.IntN(7)
		same := d.byCategory[d.products[i].Category]
		related := make([]string, 0, n)
		for tries := 0; len(related) < n && tries < 100; tries++ {
			j := r.IntN(len(d.products))
			if r.IntN(5) != 0 {
				j = same[r.IntN(len(same))]
			}
			id := d.products[j].ID
			if j == i || slices.Contains(related, id) {
				continue
			}
			related = append(related, id)
		}
		d.products[i].RelatedIDs = related
		d.productRaw[i] = encode(d.products[i]).raw
	}
}

// article prefixes "A"/"An" to a lower-case noun phrase.
func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "An " + s
	}
	return "A " + s
}

// Conversion rates from USD minor units, in hundredths: EUR 0.92, GBP 0.79,
// JPY 1.50 (1 USD = 150 JPY and JPY has no minor unit, so 1 cent = 1.5 yen).
var perHundredCents = [len(currencies)]int64{100, 92, 79, 150}

func (d *Dataset) genPrices(r *rand.Rand) {
	d.prices = make(map[string]*[len(currencies)]encoded[PriceRecord], len(d.products))
	specs := make(map[string]categorySpec, len(categorySpecs))
	for _, s := range categorySpecs {
		specs[s.name] = s
	}
	for _, p := range d.products {
		spec := specs[p.Category]
		list := int64(spec.minPrice+r.IntN(spec.maxPrice-spec.minPrice+1))*100 - 1 // 24.99
		amount := list
		if r.IntN(100) < 35 { // discounted
			pct := int64(one(r, []int{10, 15, 20, 25, 30, 40, 50}))
			amount = min(list*(100-pct)/100/100*100+99, list)
		}
		var ps [len(currencies)]encoded[PriceRecord]
		for ci, c := range currencies {
			ps[ci] = encode(PriceRecord{
				ProductID:       p.ID,
				Currency:        c,
				AmountCents:     convert(amount, ci),
				ListAmountCents: convert(list, ci),
			})
		}
		d.prices[p.ID] = &ps
	}
}

// convert converts USD cents to minor units of currencies[ci]; monotonic, so
// amount <= list holds in every currency.
func convert(usdCents int64, ci int) int64 {
	return (usdCents*perHundredCents[ci] + 50) / 100
}

func (d *Dataset) genStock(r *rand.Rand) {
	d.stock = make(map[string]*encoded[StockRecord], len(d.products))
	for i, p := range d.products {
		if i > 0 && r.IntN(100) < 5 { // unknown to inventory
			continue
		}
		s := StockRecord{ProductID: p.ID, Warehouse: one(r, warehouses)}
		if r.IntN(100) >= 15 {
			s.Available = 1 + r.IntN(500)
		}
		if (s.Available == 0 && r.IntN(10) < 9) || (s.Available > 0 && r.IntN(5) == 0) {
			t := randDay(r, year2026, year2027)
			s.RestockDate = &t
		}
		e := encode(s)
		d.stock[p.ID] = &e
	}
}

func (d *Dataset) genUsers(r *rand.Rand) {
	d.users = make(map[string]*encoded[UserRecord], NumUsers)
	d.userList = make([]UserRecord, NumUsers)
	emails := make(map[string]bool, NumUsers)
	for i := range d.userList {
		id := "u" + strconv.Itoa(i+1)
		first, last := one(r, firstNames), one(r, lastNames)
		local := strings.ToLower(first + "." + strings.ReplaceAll(strings.ReplaceAll(last, " ", ""), "-", ""))
		if emails[local] {
			local += strconv.Itoa(i + 1)
		}
		emails[local] = true
		u := UserRecord{
			ID:          id,
			Name:        first + " " + last,
			Email:       local + "@example.com",
			Tier:        pick(r, tiers),
			MemberSince: randDay(r, year2019, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)),
		}
		d.userList[i] = u
		e := encode(u)
		d.users[id] = &e
	}
}

func (d *Dataset) genOrders(r *rand.Rand) {
	d.orderIdx = make(map[string]int)
	d.ordersByUser = make(map[string][]int, NumUsers)
	for ui, u := range d.userList {
		n := 0
		switch {
		case ui == 0:
			n = 5 + r.IntN(8)
		case r.IntN(10) != 0:
			n = 1 + r.IntN(12)
		}
		from := later(year2025, u.MemberSince)
		var mine []int
		for range n {
			o := OrderRecord{
				ID:        "o" + strconv.Itoa(len(d.orders)+1),
				UserID:    u.ID,
				Status:    pick(r, statuses),
				CreatedAt: randTime(r, from, year2027),
				Currency:  pick(r, orderCurr),
			}
			ci := currencyIndex(o.Currency)
			items := 1 + r.IntN(5)
			for len(o.Items) < items {
				p := d.products[r.IntN(len(d.products))].ID
				if slices.ContainsFunc(o.Items, func(it OrderItemRecord) bool { return it.ProductID == p }) {
					continue
				}
				it := OrderItemRecord{ProductID: p, Quantity: 1 + r.IntN(4), UnitPriceCents: d.prices[p][ci].rec.AmountCents}
				o.Items = append(o.Items, it)
				o.TotalCents += int64(it.Quantity) * it.UnitPriceCents
			}
			d.orderIdx[o.ID] = len(d.orders)
			mine = append(mine, len(d.orders))
			d.orders = append(d.orders, encode(o))
		}
		slices.SortStableFunc(mine, func(a, b int) int {
			// Newest first; ties by generation order.
			if c := d.orders[b].rec.CreatedAt.Compare(d.orders[a].rec.CreatedAt); c != 0 {
				return c
			}
			return a - b
		})
		if len(mine) > 0 {
			d.ordersByUser[u.ID] = mine
		}
	}
}

func (d *Dataset) genReviews(r *rand.Rand) {
	d.reviewsByProduct = make(map[string][]int, len(d.products))
	d.reviewsByAuthor = make(map[string][]int, NumUsers)
	for pi, p := range d.products {
		n := 0
		switch {
		case pi == 0:
			n = 8 + r.IntN(8)
		case r.IntN(100) >= 15:
			n = 1 + r.IntN(15)
		}
		noun := strings.ToLower(p.Name[strings.LastIndexByte(p.Name, ' ')+1:])
		var authors []string
		for len(authors) < n {
			u := d.userList[r.IntN(len(d.userList))]
			if slices.Contains(authors, u.ID) {
				continue
			}
			authors = append(authors, u.ID)
			rating := pick(r, ratings)
			body := one(r, openers[rating]) + " " + fmt.Sprintf(one(r, details[rating >= 3]), noun)
			rv := ReviewRecord{
				ID:        "r" + strconv.Itoa(len(d.reviews)+1),
				ProductID: p.ID,
				AuthorID:  u.ID,
				Rating:    rating,
				Body:      body,
				CreatedAt: randTime(r, later(year2023, u.MemberSince), year2027),
			}
			d.reviewsByProduct[p.ID] = append(d.reviewsByProduct[p.ID], len(d.reviews))
			d.reviewsByAuthor[u.ID] = append(d.reviewsByAuthor[u.ID], len(d.reviews))
			d.reviews = append(d.reviews, encode(rv))
		}
	}
}
