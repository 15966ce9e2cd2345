package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// CodeRequestTimeout answers a request whose deadline passed before its
// operation could run.
const CodeRequestTimeout = "REQUEST_TIMEOUT"

// withDeadline bounds every GraphQL request: backend calls made for it get
// the smaller of their own timeout and the time left. gqlgen answers an
// operation whose context is already done with a nil response, which its
// transports write as the body `null`; a client cannot tell that from a
// broken gateway, so that body is replaced by a GraphQL error with a code.
func withDeadline(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(&deadlineWriter{ResponseWriter: w, ctx: ctx}, r.WithContext(ctx))
		})
	}
}

type deadlineWriter struct {
	http.ResponseWriter
	ctx         context.Context
	wroteHeader bool
	wroteBody   bool
}

var nullBody = []byte("null")

func (w *deadlineWriter) WriteHeader(code int) {
	w.wroteHeader = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	if !w.wroteBody && w.ctx.Err() != nil && bytes.Equal(bytes.TrimSpace(b), nullBody) {
		w.wroteBody = true
		msg := "the request did not complete within its deadline"
		if !w.wroteHeader {
			status := http.StatusOK // application/json: errors travel in a 200
			if strings.HasPrefix(w.Header().Get("Content-Type"), "application/graphql-response+json") {
				status = http.StatusGatewayTimeout
			}
			w.Header().Del("Content-Length")
			w.ResponseWriter.WriteHeader(status)
		}
		_ = json.NewEncoder(w.ResponseWriter).Encode(map[string]any{
			"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": CodeRequestTimeout}}},
		})
		return len(b), nil
	}
	w.wroteBody = true
	return w.ResponseWriter.Write(b)
}

// Flush keeps streaming transports working through the wrapper.
func (w *deadlineWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// limitBody caps the request body. gqlgen reads bodies whole and answers a
// read error with 200, so the body is read here first: over the cap is a
// clean 413 before any parsing. A request that names no document gets its
// 400 here too (noQuery), where the body is at hand.
func limitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tooLarge := func() {
				writeRequestError(w, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE",
					fmt.Sprintf("request body is larger than %d bytes", n))
			}
			if r.ContentLength > n {
				tooLarge()
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				body, err := readAtMost(r.Body, r.ContentLength, n+1)
				if err != nil {
					writeRequestError(w, http.StatusBadRequest, "BAD_REQUEST", "could not read the request body")
					return
				}
				if int64(len(body)) > n {
					tooLarge()
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
				if noQuery(r, body) {
					writeNoQuery(w)
					return
				}
			} else if noQuery(r, nil) {
				writeNoQuery(w)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// readAtMost reads r to its end, but at most limit bytes. size is what the
// request says the body holds (-1: unknown): the buffer starts that large,
// where io.ReadAll would start at 512 bytes and grow.
func readAtMost(r io.Reader, size, limit int64) ([]byte, error) {
	if size < 0 || size >= limit {
		size = 511
	}
	b := make([]byte, 0, size+1) // +1: reading the end needs room
	for int64(len(b)) < limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):min(int64(cap(b)), limit)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}
