package demo

import (
	"net/http"
	"net/url"
	"strconv"
)

func (s *Server) usersByIDs(rp *reply, q url.Values, _ route) {
	ids, ok := batchIDs(rp, q, "ids")
	if !ok {
		return
	}
	writeList(rp.buf, "users", len(ids), func(i int) []byte { return s.userRaw(ids[i]) }, "")
}

func (s *Server) userGet(rp *reply, _ url.Values, rt route) {
	raw := s.userRaw(rt.id)
	if raw == nil {
		rp.fail(http.StatusNotFound, "user "+strconv.Quote(rt.id)+" not found")
		return
	}
	rp.buf.Write(raw)
}
