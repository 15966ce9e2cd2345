package demo

import (
	"bytes"
	"net/http"
	"net/url"
)

func (s *Server) reviews(rp *reply, q url.Values, _ route) {
	_, byProduct := q["productIds"]
	_, byAuthor := q["authorIds"]
	if byProduct == byAuthor {
		rp.fail(http.StatusBadRequest, "give exactly one of productIds and authorIds")
		return
	}
	param, index := "productIds", s.ds.reviewsByProduct
	if byAuthor {
		param, index = "authorIds", s.ds.reviewsByAuthor
	}
	ids, ok := batchIDs(rp, q, param)
	if !ok {
		return
	}
	created := s.w.byProduct
	if byAuthor {
		created = s.w.byAuthor
	}
	s.w.mu.RLock()
	defer s.w.mu.RUnlock()
	s.writeNested(rp.buf, "reviews", ids, index, func(j int) []byte { return s.ds.reviews[j].raw }, func(id string) [][]byte {
		return s.createdReviews(created, id)
	})
}

// writeNested writes {"<key>":[…]} with, for each id, the records index[id]
// and then those extra returns (records written since; extra may be nil).
func (s *Server) writeNested(buf *bytes.Buffer, key string, ids []string, index map[string][]int, raw func(int) []byte, extra func(id string) [][]byte) {
	buf.WriteString(`{"`)
	buf.WriteString(key)
	buf.WriteString(`":[`)
	first := true
	for _, id := range ids {
		for _, j := range index[id] {
			if !first {
				buf.WriteByte(',')
			}
			first = false
			buf.Write(raw(j))
		}
		if extra == nil {
			continue
		}
		for _, r := range extra(id) {
			if !first {
				buf.WriteByte(',')
			}
			first = false
			buf.Write(r)
		}
	}
	buf.WriteString("]}")
}
