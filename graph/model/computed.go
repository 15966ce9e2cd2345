package model

// Computed fields over a model's own contract properties (@computed(needs:)
// in the schema): the generator puts the properties on the model, these
// methods answer the fields.

// Amount is the current price.
func (p *Price) Amount() *Money { return &Money{AmountCents: p.AmountCents, Currency: p.Currency} }

// ListAmount is the undiscounted price.
func (p *Price) ListAmount() *Money {
	return &Money{AmountCents: p.ListAmountCents, Currency: p.Currency}
}

// OnSale reports whether the current price is below the list price.
func (p *Price) OnSale() bool { return p.AmountCents < p.ListAmountCents }

// DiscountPercent is the discount off the list price, rounded down.
func (p *Price) DiscountPercent() int {
	if !p.OnSale() || p.ListAmountCents <= 0 {
		return 0
	}
	return int((p.ListAmountCents - p.AmountCents) * 100 / p.ListAmountCents)
}

// InStock reports whether at least one unit is available.
func (s *Stock) InStock() bool { return s.Available > 0 }

// PageInfo says where the next page starts; the catalog sends an empty (or
// no) cursor on the last page.
func (c *ProductConnection) PageInfo() *PageInfo {
	if c.NextCursor == "" {
		return &PageInfo{}
	}
	cursor := c.NextCursor
	return &PageInfo{EndCursor: &cursor, HasNextPage: true}
}
