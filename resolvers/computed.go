package resolvers

import (
	"cmp"
	"slices"

	"github.com/tributary-gw/tributary/graph/model"
)

// Computed fields over a connector's data (@computed(from:) in the schema):
// the generated resolvers fetch the data, as the fetch plan does, and call
// these.

// computeProductRatingSummary is Product.ratingSummary, from all of the
// product's reviews.
func computeProductRatingSummary(rs []*model.Review) *model.RatingSummary {
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

// computeUserLifetimeSpend is User.lifetimeSpend, from all the user's orders.
func computeUserLifetimeSpend(os []*model.Order) []*model.Money { return spentByCurrency(os) }

// computeDashboardSummary is Dashboard.summary, from all the user's orders.
func computeDashboardSummary(os []*model.Order) *model.DashboardSummary {
	s := &model.DashboardSummary{OrderCount: len(os), TotalSpent: spentByCurrency(os)}
	for _, o := range os {
		if o.Status.Open() {
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
func spentByCurrency(os []*model.Order) []*model.Money {
	spent := map[string]int64{}
	for _, o := range os {
		if o.Status != model.OrderStatusCancelled {
			spent[o.Currency] += o.TotalCents
		}
	}
	out := make([]*model.Money, 0, len(spent))
	for cur, cents := range spent {
		out = append(out, &model.Money{AmountCents: cents, Currency: cur})
	}
	slices.SortFunc(out, func(a, b *model.Money) int { return cmp.Compare(a.Currency, b.Currency) })
	return out
}
