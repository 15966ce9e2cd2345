package demo

import (
	"net/http"
	"net/url"
	"strconv"
)

func (s *Server) ordersByUser(rp *reply, q url.Values, _ route) {
	ids, ok := batchIDs(rp, q, "userIds")
	if !ok {
		return
	}
	s.writeNested(rp.buf, "orders", ids, s.ds.ordersByUser, s.orderRaw, nil)
}

func (s *Server) orderGet(rp *reply, _ url.Values, rt route) {
	j, ok := s.ds.orderIdx[rt.id]
	if !ok {
		rp.fail(http.StatusNotFound, "order "+strconv.Quote(rt.id)+" not found")
		return
	}
	rp.buf.Write(s.orderRaw(j))
}
