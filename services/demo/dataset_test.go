package demo_test

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/services/demo"
)

func TestNewDatasetDeterministic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		giveSeeds [2]uint64
		wantEqual bool
	}{
		{"same seed", [2]uint64{7, 7}, true},
		{"seed 1 is the default", [2]uint64{1, 1}, true},
		{"different seeds", [2]uint64{1, 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := demo.NewDataset(tt.giveSeeds[0]), demo.NewDataset(tt.giveSeeds[1])
			if got := reflect.DeepEqual(a, b); got != tt.wantEqual {
				t.Errorf("got DeepEqual %v, want %v", got, tt.wantEqual)
			}
			if got := reflect.DeepEqual(a.Products(), b.Products()); got != tt.wantEqual {
				t.Errorf("got Products equal %v, want %v", got, tt.wantEqual)
			}
		})
	}
	if got := reflect.DeepEqual(demo.DefaultDataset(), demo.NewDataset(1)); !got {
		t.Errorf("got DefaultDataset equal to NewDataset(1) %v, want true", got)
	}
	if demo.DefaultDataset() != demo.DefaultDataset() {
		t.Errorf("got two DefaultDataset pointers, want one shared dataset")
	}
}

func TestDatasetProducts(t *testing.T) {
	t.Parallel()
	ds := demo.DefaultDataset()
	products := ds.Products()
	if got, want := len(products), demo.NumProducts; got != want {
		t.Fatalf("got %d products, want %d", got, want)
	}
	cats := map[string]int{}
	for i, p := range products {
		if want := "p" + strconv.Itoa(i+1); p.ID != want {
			t.Fatalf("got products[%d].ID %q, want %q (stable numeric order)", i, p.ID, want)
		}
		cats[p.Category]++
		if p.Name == "" || p.Description == "" {
			t.Errorf("%s: got empty name or description", p.ID)
		}
		if want := "https://img.example.com/products/" + p.ID + ".jpg"; p.ImageURL != want {
			t.Errorf("%s: got imageUrl %q, want %q", p.ID, p.ImageURL, want)
		}
		if p.RelatedIDs == nil || len(p.RelatedIDs) > 6 {
			t.Errorf("%s: got relatedIds %v, want a non-nil list of 0..6", p.ID, p.RelatedIDs)
		}
		for _, r := range p.RelatedIDs {
			if _, ok := ds.Product(r); !ok || r == p.ID {
				t.Errorf("%s: got related id %q, want another existing product", p.ID, r)
			}
		}
		if c := slices.Clone(p.RelatedIDs); len(slices.Compact(slices.Sorted(slices.Values(c)))) != len(p.RelatedIDs) {
			t.Errorf("%s: got duplicate related ids %v", p.ID, p.RelatedIDs)
		}
		got, ok := ds.Product(p.ID)
		if !ok || !reflect.DeepEqual(got, p) {
			t.Errorf("got Product(%q) = %+v, %v, want %+v, true", p.ID, got, ok, p)
		}
	}
	if got, want := len(cats), 8; got != want {
		t.Errorf("got %d categories %v, want %d", got, cats, want)
	}
	if got, want := ds.Categories(), slices.Sorted(func(yield func(string) bool) {
		for c := range cats {
			if !yield(c) {
				return
			}
		}
	}); !reflect.DeepEqual(got, want) {
		t.Errorf("got Categories %v, want %v", got, want)
	}
	if _, ok := ds.Product("p0"); ok {
		t.Errorf("got Product(p0) found, want not found")
	}
	// Accessors hand out copies.
	p, _ := ds.Product("p1")
	p.RelatedIDs = append(p.RelatedIDs[:0], "mutated")
	if again, _ := ds.Product("p1"); slices.Contains(again.RelatedIDs, "mutated") {
		t.Errorf("got dataset mutated through an accessor's slice, want a copy")
	}
}

func TestDatasetPricesAndStock(t *testing.T) {
	t.Parallel()
	ds := demo.DefaultDataset()
	missing, discounted := 0, 0
	for _, p := range ds.Products() {
		for _, c := range demo.Currencies() {
			pr, ok := ds.Price(p.ID, c)
			if !ok {
				t.Fatalf("got no %s price for %s, want one", c, p.ID)
			}
			if pr.ProductID != p.ID || pr.Currency != c || pr.AmountCents <= 0 || pr.AmountCents > pr.ListAmountCents {
				t.Errorf("got price %+v, want productId %s, currency %s, 0 < amount <= list", pr, p.ID, c)
			}
			if c == "USD" && pr.AmountCents < pr.ListAmountCents {
				discounted++
			}
		}
		if def, _ := ds.Price(p.ID, ""); def.Currency != "USD" {
			t.Errorf("got default currency %q, want USD", def.Currency)
		}
		s, ok := ds.Stock(p.ID)
		if !ok {
			missing++
			continue
		}
		if s.ProductID != p.ID || s.Available < 0 || !slices.Contains([]string{"ams-1", "fra-2", "iad-1", "sfo-1", "sin-1"}, s.Warehouse) {
			t.Errorf("got stock %+v, want productId %s, available >= 0, a known warehouse", s, p.ID)
		}
		if s.RestockDate != nil && (s.RestockDate.Location() != time.UTC || s.RestockDate.IsZero()) {
			t.Errorf("got restockDate %v, want a UTC time", s.RestockDate)
		}
	}
	if _, ok := ds.Price("p1", "XXX"); ok {
		t.Errorf("got a price in XXX, want none")
	}
	if discounted == 0 || discounted == demo.NumProducts {
		t.Errorf("got %d discounted products, want some but not all", discounted)
	}
	// About 5% are unknown to inventory; p1 never is.
	if missing < demo.NumProducts/50 || missing > demo.NumProducts/10 {
		t.Errorf("got %d products without stock, want about 5%% of %d", missing, demo.NumProducts)
	}
	if _, ok := ds.Stock("p1"); !ok {
		t.Errorf("got no stock for p1, want some")
	}
}

func TestDatasetUsersOrdersReviews(t *testing.T) {
	t.Parallel()
	ds := demo.DefaultDataset()
	users := ds.Users()
	if got, want := len(users), demo.NumUsers; got != want {
		t.Fatalf("got %d users, want %d", got, want)
	}
	tiers := map[string]bool{"bronze": true, "silver": true, "gold": true, "platinum": true}
	statuses := map[string]bool{"pending": true, "paid": true, "shipped": true, "delivered": true, "cancelled": true}
	emails := map[string]bool{}
	orders, reviewsByAuthor := 0, 0
	for i, u := range users {
		if want := "u" + strconv.Itoa(i+1); u.ID != want {
			t.Fatalf("got users[%d].ID %q, want %q", i, u.ID, want)
		}
		if !tiers[u.Tier] || !strings.HasSuffix(u.Email, "@example.com") || emails[u.Email] || u.Name == "" {
			t.Errorf("got user %+v, want a known tier and a unique @example.com email", u)
		}
		emails[u.Email] = true
		if u.MemberSince.Year() < 2019 || u.MemberSince.Year() > 2026 || u.MemberSince.Location() != time.UTC {
			t.Errorf("got memberSince %v, want UTC in 2019..2026", u.MemberSince)
		}
		os := ds.OrdersByUser(u.ID)
		if len(os) > 12 {
			t.Errorf("got %d orders of %s, want at most 12", len(os), u.ID)
		}
		orders += len(os)
		for j, o := range os {
			if j > 0 && o.CreatedAt.After(os[j-1].CreatedAt) {
				t.Errorf("%s: got order %s after %s, want newest first", u.ID, o.ID, os[j-1].ID)
			}
			if o.UserID != u.ID || !statuses[o.Status] || len(o.Items) < 1 || len(o.Items) > 5 {
				t.Errorf("got order %+v, want userId %s, a known status, 1..5 items", o, u.ID)
			}
			if y := o.CreatedAt.Year(); y < 2025 || y > 2026 || o.CreatedAt.Location() != time.UTC {
				t.Errorf("got order createdAt %v, want UTC in 2025..2026", o.CreatedAt)
			}
			var total int64
			for _, it := range o.Items {
				if _, ok := ds.Product(it.ProductID); !ok || it.Quantity < 1 || it.UnitPriceCents <= 0 {
					t.Errorf("got order item %+v, want an existing product, quantity >= 1, a price", it)
				}
				total += int64(it.Quantity) * it.UnitPriceCents
			}
			if o.TotalCents != total {
				t.Errorf("got order %s totalCents %d, want %d", o.ID, o.TotalCents, total)
			}
			if got, ok := ds.Order(o.ID); !ok || !reflect.DeepEqual(got, o) {
				t.Errorf("got Order(%q) = %+v, %v, want %+v", o.ID, got, ok, o)
			}
		}
		reviewsByAuthor += len(ds.ReviewsByAuthor(u.ID))
	}
	if got := len(ds.OrdersByUser("u1")); got < 5 {
		t.Errorf("got %d orders of u1, want at least 5", got)
	}
	if got, want := orders, ds.NumOrders(); got != want {
		t.Errorf("got %d orders over all users, want %d", got, want)
	}

	reviews, withReviews := 0, 0
	for _, p := range ds.Products() {
		rs := ds.ReviewsByProduct(p.ID)
		if len(rs) > 15 {
			t.Errorf("got %d reviews of %s, want at most 15", len(rs), p.ID)
		}
		if len(rs) > 0 {
			withReviews++
		}
		reviews += len(rs)
		for _, r := range rs {
			if _, ok := ds.User(r.AuthorID); !ok || r.ProductID != p.ID || r.Rating < 1 || r.Rating > 5 || r.Body == "" || r.CreatedAt.Location() != time.UTC {
				t.Errorf("got review %+v, want an existing author, productId %s, rating 1..5", r, p.ID)
			}
		}
	}
	if got := len(ds.ReviewsByProduct("p1")); got < 8 {
		t.Errorf("got %d reviews of p1, want at least 8", got)
	}
	if withReviews < demo.NumProducts/2 {
		t.Errorf("got %d products with reviews, want most of %d", withReviews, demo.NumProducts)
	}
	if reviews != ds.NumReviews() || reviewsByAuthor != ds.NumReviews() {
		t.Errorf("got %d reviews by product and %d by author, want %d both", reviews, reviewsByAuthor, ds.NumReviews())
	}
}
