package demo

import "net/url"

func (s *Server) inventory(rp *reply, q url.Values, _ route) {
	ids, ok := batchIDs(rp, q, "productIds")
	if !ok {
		return
	}
	writeList(rp.buf, "items", len(ids), func(i int) []byte {
		if st, ok := s.ds.stock[ids[i]]; ok {
			return st.raw
		}
		return nil
	}, "")
}
