package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
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

func (w *specWriter) mediaType() string { return mediaType(w.Header().Get("Content-Type")) }

// mediaType is a Content-Type's media type, without its parameters.
func mediaType(ct string) string {
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

// noQuery reports a request that is not a well-formed GraphQL-over-HTTP
// request because nothing in it stands for a document: no query and no
// extensions (where a persisted query's hash would be). The specification
// says such a request SHOULD get 400; gqlgen would answer it as a
// validation error ("no operation provided", 200 with application/json).
// A request that names a query is told apart by a substring test, never
// decoded here; only one without it is decoded to be sure (a key may be
// written with escapes or in another case, which gqlgen's decoding
// accepts). What does not decode is left to gqlgen's own answer. A GET
// that upgrades (websocket) carries its operations later.
func noQuery(r *http.Request, body []byte) bool {
	switch r.Method {
	case http.MethodGet:
		q := r.URL.RawQuery
		if r.Header.Get("Upgrade") != "" || strings.Contains(q, "query") || strings.Contains(q, "extensions") {
			return false
		}
		v, err := url.ParseQuery(q)
		return err == nil && v.Get("query") == "" && v.Get("extensions") == ""
	case http.MethodPost:
		if !strings.EqualFold(mediaType(r.Header.Get("Content-Type")), "application/json") ||
			bytes.Contains(body, []byte(`"query"`)) || bytes.Contains(body, []byte(`"extensions"`)) {
			return false
		}
		var p struct {
			Query      *string         `json:"query"`
			Extensions json.RawMessage `json:"extensions"`
		}
		if json.Unmarshal(body, &p) != nil {
			return false
		}
		return (p.Query == nil || *p.Query == "") && (len(p.Extensions) == 0 || string(p.Extensions) == "null")
	}
	return false
}

// writeNoQuery answers a request that names no document.
func writeNoQuery(w http.ResponseWriter) {
	writeRequestError(w, http.StatusBadRequest, "BAD_REQUEST",
		`the request has no "query" (nor a persisted query's hash in "extensions")`)
}
