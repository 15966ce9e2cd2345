package demo

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

func (s *Server) prices(rp *reply, q url.Values, _ route) {
	ids, ok := batchIDs(rp, q, "productIds")
	if !ok {
		return
	}
	cur, present, ok := singleParam(rp, q, "currency")
	if !ok {
		return
	}
	if !present {
		cur = currencies[0]
	}
	ci := currencyIndex(cur)
	if ci < 0 {
		rp.fail(http.StatusBadRequest, "unknown currency "+strconv.Quote(cur)+"; supported: "+strings.Join(currencies[:], ", "))
		return
	}
	writeList(rp.buf, "prices", len(ids), func(i int) []byte {
		if p, ok := s.ds.prices[ids[i]]; ok {
			return p[ci].raw
		}
		return nil
	}, "")
}
