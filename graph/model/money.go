package model

import (
	"strconv"
	"strings"

	"golang.org/x/text/currency"
)

// Money is an amount in a currency's minor units.
type Money struct {
	AmountCents int64
	Currency    string
}

// symbols for the currencies a storefront shows most; others print their code.
var symbols = map[string]string{
	"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "CAD": "CA$", "AUD": "A$",
}

// Formatted renders the amount for people, e.g. "$1,234.50", "-€3.00",
// "¥1,200" or "12.50 XYZ", using the currency's ISO-4217 minor-unit scale.
func (m *Money) Formatted() string {
	scale := 2
	if u, err := currency.ParseISO(m.Currency); err == nil {
		scale, _ = currency.Standard.Rounding(u)
	}
	amount := m.AmountCents
	neg := amount < 0
	if neg {
		amount = -amount
	}
	div := int64(1)
	for range scale {
		div *= 10
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	sym, known := symbols[m.Currency]
	if known {
		b.WriteString(sym)
	}
	writeGrouped(&b, amount/div)
	if scale > 0 {
		frac := strconv.FormatInt(amount%div, 10)
		b.WriteByte('.')
		b.WriteString(strings.Repeat("0", scale-len(frac)))
		b.WriteString(frac)
	}
	if !known {
		b.WriteByte(' ')
		b.WriteString(m.Currency)
	}
	return b.String()
}

func writeGrouped(b *strings.Builder, n int64) {
	s := strconv.FormatInt(n, 10)
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
}
