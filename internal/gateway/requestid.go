package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// requestID takes the client's X-Request-ID when it is sane (else makes
// one), echoes it, and makes the client's headers available to the
// backend clients, which forward what their policy allows.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The header's canonical name, so that neither Get nor Set
		// canonicalizes (and allocates) it on every request.
		const header = "X-Request-Id"
		var id string
		if vs := r.Header[header]; len(vs) > 0 {
			id = vs[0]
		}
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header()[header] = []string{id}
		o := upstream.Outgoing{RequestID: id, Incoming: r.Header}
		next.ServeHTTP(w, r.WithContext(upstream.WithOutgoing(r.Context(), o)))
	})
}

// validRequestID accepts up to 128 visible ASCII characters, so a hostile
// id cannot inject into logs or headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
