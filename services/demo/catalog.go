package demo

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The catalog's reads: products by ids, one product, the listing with
// its cursors.

func (s *Server) productsByIDs(rp *reply, q url.Values, _ route) {
	// With ids, the listing parameters are ignored (contract).
	ids, ok := batchIDs(rp, q, "ids")
	if !ok {
		return
	}
	writeList(rp.buf, "products", len(ids), func(i int) []byte {
		if j, ok := s.ds.productIdx[ids[i]]; ok {
			return s.ds.productRaw[j]
		}
		return nil
	}, "")
}

func (s *Server) productGet(rp *reply, _ url.Values, rt route) {
	j, ok := s.ds.productIdx[rt.id]
	if !ok {
		rp.fail(http.StatusNotFound, "product "+strconv.Quote(rt.id)+" not found")
		return
	}
	rp.buf.Write(s.ds.productRaw[j])
}

func (s *Server) productsList(rp *reply, q url.Values, _ route) {
	firstStr, hasFirst, ok := singleParam(rp, q, "first")
	if !ok {
		return
	}
	after, _, ok := singleParam(rp, q, "after")
	if !ok {
		return
	}
	category, _, ok := singleParam(rp, q, "category")
	if !ok {
		return
	}
	hasCategory := category != "" // category= means no filter
	first := DefaultPageSize
	if hasFirst {
		n, err := strconv.Atoi(firstStr)
		if err != nil || n < 1 || n > MaxPageSize {
			rp.fail(http.StatusBadRequest, "first must be an integer in 1.."+strconv.Itoa(MaxPageSize)+", got "+strconv.Quote(firstStr))
			return
		}
		first = n
	}
	start := 0 // first rank to return
	if after != "" {
		rank, ok := s.ds.decodeCursor(after)
		if !ok {
			rp.fail(http.StatusBadRequest, "invalid cursor "+strconv.Quote(after))
			return
		}
		start = rank + 1
	}

	// ranks: the candidate ranks; pos: the index in ranks of the first to
	// return (ranks ascending, so a binary search finds it).
	var ranks []int
	pos := start
	if hasCategory {
		ranks = s.ds.byCategory[category] // unknown category: empty page
		pos, _ = searchInts(ranks, start)
	}
	total := len(s.ds.products)
	if hasCategory {
		total = len(ranks)
	}
	end := min(pos+first, total)
	pos = min(pos, end)
	rankAt := func(i int) int {
		if hasCategory {
			return ranks[i]
		}
		return i
	}
	next := ""
	if end < total {
		next = s.ds.encodeCursor(rankAt(end - 1))
	}
	writeList(rp.buf, "products", end-pos, func(i int) []byte {
		return s.ds.productRaw[rankAt(pos+i)]
	}, `,"nextCursor":"`+next+`"`)
}

// searchInts returns the index of the first element >= x in an ascending slice.
func searchInts(xs []int, x int) (int, bool) {
	lo, hi := 0, len(xs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if xs[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(xs) && xs[lo] == x
}

// Cursors are opaque to clients: "c1." followed by the base64url id of the
// last product returned. They stay valid across categories.
const cursorPrefix = "c1."

func (d *Dataset) encodeCursor(rank int) string {
	return cursorPrefix + base64URL(d.products[rank].ID)
}

func (d *Dataset) decodeCursor(c string) (int, bool) {
	rest, ok := strings.CutPrefix(c, cursorPrefix)
	if !ok {
		return 0, false
	}
	id, ok := unbase64URL(rest)
	if !ok {
		return 0, false
	}
	rank, ok := d.productIdx[id]
	return rank, ok
}

func base64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func unbase64URL(s string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return string(b), err == nil
}
