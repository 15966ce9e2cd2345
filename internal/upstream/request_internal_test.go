package upstream

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// parsedURL is the URL of a call as the client built it before it built
// one from parts: the base with the call's path and query, formatted and
// parsed back.
func parsedURL(base *url.URL, path, query string) (*url.URL, error) {
	u := *base
	u.RawPath = base.EscapedPath() + path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, err
	}
	u.Path = p
	u.RawQuery = query
	r, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	return r.URL, nil
}

// checkURL fails t unless the client builds path and query on base as
// formatting and parsing them would, field by field and on the wire.
func checkURL(t *testing.T, base, path, query string) {
	t.Helper()
	c, err := New(Config{Service: "s", BaseURL: base}, http.DefaultClient, nil)
	if err != nil {
		t.Skip(err)
	}
	b, err := url.Parse(strings.TrimRight(base, "/")) // as New parses it
	if err != nil {
		t.Fatal(err)
	}
	want, wantErr := parsedURL(b, path, query)
	hreq, err := c.newRequest(context.Background(), &Request{Path: path, RawQuery: query})
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q + %q ? %q: error %v, want %v", base, path, query, err, wantErr)
	}
	if err != nil {
		return
	}
	got := *hreq.URL
	if got.User.String() != want.User.String() {
		t.Fatalf("%q: user %v, want %v", base, got.User, want.User)
	}
	got.User = want.User // the same, in another allocation
	if got != *want || got.RequestURI() != want.RequestURI() || got.String() != want.String() || hreq.Host != want.Host {
		t.Fatalf("%q + %q ? %q:\n got %#v (%s, host %q)\nwant %#v (%s)", base, path, query, &got, got.RequestURI(), hreq.Host, want, want.RequestURI())
	}
}

func TestRequestURL(t *testing.T) {
	bases := []string{"http://127.0.0.1:9101", "http://127.0.0.1:9101/", "https://h:", "http://u:p@h/api/v1",
		"http://h/a%2Fb", "http://h/a b", "http://[::1]:80/x"}
	paths := []string{"", "/products", "/users/u1", "/users/a%2Fb", "/users/a%20b", "/users/a b", "/users/%zz",
		"/users/%41", "products", "/p?x", "/p#f", "/ünï", "/a;b=c,d", "/a!b", "/users/%2F%2f", "/%7e"}
	queries := []string{"", "ids=p1%2Cp2", "a=1&b=%23", "x=\x01"}
	for _, b := range bases {
		for _, p := range paths {
			for _, q := range queries {
				checkURL(t, b, p, q)
			}
		}
	}
}

func FuzzRequestURL(f *testing.F) {
	f.Add("http://127.0.0.1:9101", "/users/a%2Fb", "ids=1")
	f.Add("http://h/a%2Fb", "/x y", "")
	f.Fuzz(func(t *testing.T, base, path, query string) {
		if strings.ContainsAny(base, "?#") {
			return // a base URL has no query or fragment of its own
		}
		checkURL(t, base, path, query)
	})
}

// TestRequestHeaders: each call gets its own header map, with the
// caller's forwarded headers and request id, and the gateway's own
// values as they were set before.
func TestRequestHeaders(t *testing.T) {
	c, err := New(Config{Service: "s", BaseURL: "http://h", Forward: []string{"authorization", "Accept-Language"}, IdentityHeader: "x-user"},
		http.DefaultClient, nil)
	if err != nil {
		t.Fatal(err)
	}
	call := func(id string, in http.Header, r Request) http.Header {
		ctx := WithOutgoing(context.Background(), Outgoing{RequestID: id, Incoming: in})
		hreq, err := c.newRequest(ctx, &r)
		if err != nil {
			t.Fatal(err)
		}
		return hreq.Header
	}
	a := call("r1", http.Header{"Authorization": {"Bearer a"}, "Cookie": {"c"}}, Request{Path: "/x"})
	b := call("r2", http.Header{"Accept-Language": {"de"}}, Request{Path: "/x", Method: http.MethodPost, Body: []byte("{}"), IdempotencyKey: "k"})
	want := http.Header{"Accept": {"application/json"}, "Authorization": {"Bearer a"}, "X-Request-Id": {"r1"}}
	if !equalHeader(a, want) {
		t.Fatalf("got %v, want %v", a, want)
	}
	want = http.Header{"Accept": {"application/json"}, "Accept-Language": {"de"}, "X-Request-Id": {"r2"},
		"Content-Type": {"application/json; charset=utf-8"}, "Idempotency-Key": {"k"}}
	if !equalHeader(b, want) {
		t.Fatalf("got %v, want %v", b, want)
	}
	// What one call's header gets does not reach another's.
	a.Add("Accept", "text/plain")
	a.Add("X-Request-Id", "x")
	if got := call("r3", nil, Request{Path: "/x"}); !equalHeader(got, http.Header{"Accept": {"application/json"}, "X-Request-Id": {"r3"}}) {
		t.Fatalf("a later call got %v", got)
	}
	if got := call("", nil, Request{Path: "/x"}); !equalHeader(got, http.Header{"Accept": {"application/json"}}) {
		t.Fatalf("a call without a request id got %v", got)
	}
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, vs := range a {
		if strings.Join(vs, "\x00") != strings.Join(b[k], "\x00") {
			return false
		}
	}
	return true
}
