package main

import "strconv"

// formatMoney renders minor units like the gateway's Money.formatted
// ("$1,234.50", "-€3.00", "¥1,200", "12.50 XYZ"). The gateway takes the
// minor-unit scale from golang.org/x/text/currency; the floor, standard
// library only, knows the zero-decimal currencies a storefront meets and
// uses 2 for the rest, which covers the demo's USD, EUR, GBP and JPY.
func formatMoney(cents int64, cur string) string {
	scale := 2
	switch cur {
	case "JPY", "KRW", "CLP", "ISK", "VND", "PYG", "UGX", "XAF", "XOF":
		scale = 0
	}
	neg := cents < 0
	if neg {
		cents = -cents
	}
	div := int64(1)
	for range scale {
		div *= 10
	}
	b := make([]byte, 0, 24)
	if neg {
		b = append(b, '-')
	}
	sym, known := symbols[cur]
	if known {
		b = append(b, sym...)
	}
	whole := strconv.FormatInt(cents/div, 10)
	for i := range len(whole) {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, whole[i])
	}
	if scale > 0 {
		frac := strconv.FormatInt(cents%div, 10)
		b = append(b, '.')
		for range scale - len(frac) {
			b = append(b, '0')
		}
		b = append(b, frac...)
	}
	if !known {
		b = append(b, ' ')
		b = append(b, cur...)
	}
	return string(b)
}

// symbols are the gateway's (graph/model/money.go).
var symbols = map[string]string{
	"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "CAD": "CA$", "AUD": "A$",
}
