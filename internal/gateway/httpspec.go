package gateway

import (
	"bytes"
	"net/http"
	"strings"
)

// spec adjusts gqlgen's HTTP answers to the GraphQL-over-HTTP
// specification where they differ:
//   - with application/json, a request that fails before execution
//     (parse, validation, variable coercion) SHOULD get 200 — gqlgen sends
//     422;
//   - with application/graphql-response+json, such a response SHOULD NOT
//     have a "data" entry — gqlgen writes "data":null;
//   - a mutation sent with GET MUST get 405 with Allow: POST — gqlgen
//     sends 406. (A POST runs only with a JSON body, which a browser
//     cannot send cross-site without a preflight: gqlgen has no form or
//     text/plain transport, and none is added.)
func spec(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&specWriter{ResponseWriter: w, get: r.Method == http.MethodGet}, r)
	})
}

type specWriter struct {
	http.ResponseWriter
	status int
	get    bool
}

func (w *specWriter) mediaType() string {
	ct := w.Header().Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.TrimSpace(ct)
}

func (w *specWriter) WriteHeader(code int) {
	if code == http.StatusUnprocessableEntity && w.mediaType() == "application/json" {
		code = http.StatusOK
	}
	if code == http.StatusNotAcceptable && w.get {
		// gqlgen's GET transport refusing a mutation (its only 406).
		code = http.StatusMethodNotAllowed
		w.Header().Set("Allow", http.MethodPost)
	}
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

var nullData = []byte(`,"data":null`)

func (w *specWriter) Write(b []byte) (int, error) {
	if w.status >= 400 && w.mediaType() == "application/graphql-response+json" {
		if i := bytes.Index(b, nullData); i >= 0 {
			n := len(b)
			_, err := w.ResponseWriter.Write(append(b[:i:i], b[i+len(nullData):]...))
			return n, err
		}
	}
	return w.ResponseWriter.Write(b)
}

// Flush keeps streaming transports (@defer over multipart/mixed or SSE)
// working through the wrapper.
func (w *specWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *specWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
