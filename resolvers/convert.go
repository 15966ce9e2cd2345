package resolvers

import (
	"cmp"
	"slices"
	"strings"

	"github.com/tributary-gw/tributary/graph/model"
	"github.com/tributary-gw/tributary/services/catalog"
	"github.com/tributary-gw/tributary/services/inventory"
	"github.com/tributary-gw/tributary/services/orders"
	"github.com/tributary-gw/tributary/services/pricing"
	"github.com/tributary-gw/tributary/services/reviews"
	"github.com/tributary-gw/tributary/services/users"
)

func toProduct(p *catalog.Product) *model.Product {
	if p == nil {
		return nil
	}
	return &model.Product{
		ID:          p.Id,
		Name:        p.Name,
		Description: p.Description,
		Category:    p.Category,
		ImageURL:    p.ImageUrl,
		RelatedIDs:  p.RelatedIds,
	}
}

func toPrice(p *pricing.Price) *model.Price {
	if p == nil {
		return nil
	}
	return &model.Price{ProductID: p.ProductId, Currency: p.Currency, AmountCents: p.AmountCents, ListAmountCents: p.ListAmountCents}
}

func toStock(s *inventory.Stock) *model.Stock {
	if s == nil {
		return nil
	}
	return &model.Stock{ProductID: s.ProductId, Available: s.Available, Warehouse: s.Warehouse, RestockDate: s.RestockDate}
}

func toReview(r *reviews.Review) *model.Review {
	return &model.Review{
		ID:        r.Id,
		ProductID: r.ProductId,
		AuthorID:  r.AuthorId,
		Rating:    r.Rating,
		Body:      r.Body,
		CreatedAt: r.CreatedAt,
	}
}

// newestReviews returns at most n reviews, newest first (ties by id), without
// reordering the loader's cached slice.
func newestReviews(rs []reviews.Review, n int) []*model.Review {
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b reviews.Review) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Id, b.Id)
	})
	sorted = sorted[:min(n, len(sorted))]
	out := make([]*model.Review, len(sorted))
	for i := range sorted {
		out[i] = toReview(&sorted[i])
	}
	return out
}

func toUser(u *users.User) *model.User {
	if u == nil {
		return nil
	}
	return &model.User{ID: u.Id, Name: u.Name, Email: u.Email, Tier: u.Tier, MemberSince: u.MemberSince}
}

func toOrder(o *orders.Order) *model.Order {
	items := make([]*model.OrderItem, len(o.Items))
	for i, it := range o.Items {
		items[i] = &model.OrderItem{ProductID: it.ProductId, Quantity: it.Quantity, UnitPriceCents: it.UnitPriceCents, Currency: o.Currency}
	}
	return &model.Order{
		ID:         o.Id,
		UserID:     o.UserId,
		Status:     model.OrderStatus(strings.ToUpper(string(o.Status))),
		CreatedAt:  o.CreatedAt,
		Currency:   o.Currency,
		TotalCents: o.TotalCents,
		Items:      items,
	}
}

// newestOrders returns at most n orders, newest first. The contract already
// orders them so, but a stable sort costs little and guards the promise.
func newestOrders(os []orders.Order, n int) []*model.Order {
	sorted := slices.Clone(os)
	slices.SortStableFunc(sorted, func(a, b orders.Order) int { return b.CreatedAt.Compare(a.CreatedAt) })
	sorted = sorted[:min(n, len(sorted))]
	out := make([]*model.Order, len(sorted))
	for i := range sorted {
		out[i] = toOrder(&sorted[i])
	}
	return out
}

func ratingSummary(rs []reviews.Review) *model.RatingSummary {
	s := &model.RatingSummary{Count: len(rs)}
	if len(rs) == 0 {
		return s
	}
	sum := 0
	for _, r := range rs {
		sum += r.Rating
	}
	avg := float64(sum) / float64(len(rs))
	s.Average = &avg
	return s
}

func dashboardSummary(os []orders.Order) *model.DashboardSummary {
	s := &model.DashboardSummary{OrderCount: len(os), TotalSpent: spentByCurrency(os)}
	for i := range os {
		o := &os[i]
		switch o.Status {
		case orders.Pending, orders.Paid, orders.Shipped:
			s.OpenOrderCount++
		}
		if s.LastOrderAt == nil || o.CreatedAt.After(*s.LastOrderAt) {
			t := o.CreatedAt
			s.LastOrderAt = &t
		}
	}
	return s
}

// spentByCurrency sums the orders that were not cancelled, per currency,
// sorted by currency code.
func spentByCurrency(os []orders.Order) []*model.Money {
	spent := map[string]int64{}
	for i := range os {
		if os[i].Status != orders.Cancelled {
			spent[os[i].Currency] += os[i].TotalCents
		}
	}
	out := make([]*model.Money, 0, len(spent))
	for cur, cents := range spent {
		out = append(out, &model.Money{AmountCents: cents, Currency: cur})
	}
	slices.SortFunc(out, func(a, b *model.Money) int { return cmp.Compare(a.Currency, b.Currency) })
	return out
}
