// Package upstreamtest has test doubles for backend clients.
package upstreamtest

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// Canned answers every request with status and body, without a network.
type Canned struct {
	Status int
	Body   []byte
}

// RoundTrip implements http.RoundTripper.
func (c Canned) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: c.Status,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(bytes.NewReader(c.Body)),
		Request:    r,
	}, nil
}

// Client returns a client of service whose every call gets status and body.
func Client(t testing.TB, service string, status int, body []byte) *upstream.Client {
	t.Helper()
	c, err := upstream.New(upstream.Config{Service: service, BaseURL: "http://backend.test", Timeout: time.Second, MaxResponseBytes: 1 << 20},
		upstream.NewHTTPClient(Canned{Status: status, Body: body}), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// CheckError fails t unless err is nil or a backend error with a code: a
// decoder must never let anything else (or a panic) through.
func CheckError(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if e, ok := upstream.AsError(err); !ok || e.Code == "" {
		t.Fatalf("error %v (%T) is not a classified backend error", err, err)
	}
}

// Seeds are bodies every decoder's fuzz corpus starts from.
var Seeds = [][]byte{
	[]byte(`{}`), []byte(`null`), []byte(`[]`), []byte(`{"products":null}`), []byte(`<html>`),
	[]byte(`{"prices":[{"productId":"p1","currency":"USD","amountCents":1,"listAmountCents":2}]}`),
	[]byte(`{"items":[{"productId":"p1","available":-1,"warehouse":""}]}`),
	[]byte(`{"reviews":[{"id":"r1","productId":"p1","authorId":"u1","rating":9,"body":"","createdAt":"yesterday"}]}`),
	[]byte(`{"users":[{"id":"u1","memberSince":"2024-03-01T00:00:00Z"}]}`),
	[]byte(`{"orders":[{"id":"o1","userId":"u1","status":"lost","items":[{}]}]}`),
	[]byte(`{"products":[{"id":"p1","relatedIds":["p1","p1"]}],"nextCursor":7}`),
	[]byte("{\"products\":[]}\x00garbage"),
}
