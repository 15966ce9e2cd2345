package demo

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// maxAdminBody bounds PUT /_demo/faults bodies.
const maxAdminBody = 64 << 10

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	rp := reply{status: http.StatusOK, buf: new(bytes.Buffer)}
	methodNotAllowed := func(allow ...string) {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		rp.fail(http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; use "+strings.Join(allow, " or "))
	}
	switch r.URL.Path {
	case AdminPrefix + "stats":
		if r.Method != http.MethodGet {
			methodNotAllowed(http.MethodGet)
			break
		}
		writeJSON(&rp, s.Stats())
	case AdminPrefix + "stats/reset":
		if r.Method != http.MethodPost {
			methodNotAllowed(http.MethodPost)
			break
		}
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
		return
	case AdminPrefix + "faults":
		switch r.Method {
		case http.MethodGet:
			writeJSON(&rp, s.Faults())
		case http.MethodPut, http.MethodPost:
			f, err := s.patchFaults(http.MaxBytesReader(w, r.Body, maxAdminBody))
			if err != nil {
				rp.fail(http.StatusBadRequest, err.Error())
				break
			}
			writeJSON(&rp, f)
		default:
			methodNotAllowed(http.MethodGet, http.MethodPut, http.MethodPost)
		}
	default:
		rp.fail(http.StatusNotFound, "no such admin path: "+r.URL.Path)
	}
	writeReply(w, &rp)
}

// patchFaults applies a partial Faults JSON to the current faults.
func (s *Server) patchFaults(body io.Reader) (Faults, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return Faults{}, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return Faults{}, errors.New("faults: empty body; send a JSON object")
	}
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	f := *s.faults.Load()
	if err := json.Unmarshal(data, &f); err != nil {
		return Faults{}, err
	}
	f = f.normalized()
	s.faults.Store(&f)
	return f, nil
}
