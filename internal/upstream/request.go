package upstream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Header values the gateway sets on every call: shared by all calls, each
// a slice of len and cap 1 so that an Add copies instead of writing into
// it; nothing sets an element in place (a RoundTripper must not modify
// the request, and the tracing transport clones the header it adds to).
var (
	acceptJSON  = []string{"application/json"}
	contentJSON = []string{"application/json; charset=utf-8"}
)

// newRequest is the HTTP request of one attempt of req under ctx. Its URL
// is built from the parts of the base URL that New took apart, as
// formatting it and parsing it back would build it; only a path or query
// with characters that parsing would change takes that longer way. The
// header is filled in without canonicalizing names that are canonical
// already.
func (c *Client) newRequest(ctx context.Context, req *Request) (*http.Request, error) {
	query := req.RawQuery
	if req.Query != nil {
		query = req.Query.Encode()
	}
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	path := c.basePath + req.Path
	var hreq *http.Request
	if plainPath(path) && plainQuery(query) {
		// An empty URL parses to a fresh zero URL at no cost; it is
		// then filled in.
		r, err := http.NewRequestWithContext(ctx, req.method(), "", body)
		if err != nil {
			return nil, err
		}
		u := r.URL
		*u = *c.base
		u.Host, u.Path, u.RawPath, u.RawQuery = c.host, path, "", query
		u.ForceQuery = u.ForceQuery && query == ""
		r.Host = u.Host
		hreq = r
	} else {
		u := *c.base
		// req.Path is escaped already (an id with a "/" is one segment,
		// %2F): it is the wire form, and Path its decoding.
		u.RawPath = path
		p, err := url.PathUnescape(u.RawPath)
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", req.Path, err)
		}
		u.Path = p
		u.RawQuery = query
		if hreq, err = http.NewRequestWithContext(ctx, req.method(), u.String(), body); err != nil {
			return nil, err
		}
	}

	h := hreq.Header
	h["Accept"] = acceptJSON
	if req.Body != nil {
		h["Content-Type"] = contentJSON
	}
	if req.IdempotencyKey != "" {
		h["Idempotency-Key"] = []string{req.IdempotencyKey}
	}
	o := outgoingFrom(ctx)
	if o != nil {
		for _, k := range c.forward {
			if vs := o.Incoming[k]; len(vs) > 0 {
				h[k] = vs
			}
		}
	}
	if c.ident != "" {
		if id := identity(ctx); id != "" {
			h[c.ident] = []string{id}
		}
	}
	if ids := o.requestIDHeader(); ids != nil {
		h["X-Request-Id"] = ids
	}
	return hreq, nil
}

// plainPath reports whether s is a path that a URL carries as is: empty,
// or starting with "/" and of bytes that need no escape and unescape to
// themselves. Path and RawPath parse from it as s and "".
func plainPath(s string) bool {
	if s == "" {
		return true
	}
	if s[0] != '/' {
		return false // URL.String would add the "/"
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-_.~$&+,/:;=@", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// plainQuery reports whether s parses back as RawQuery s: no fragment
// ("#") and no ASCII control character (which url.Parse refuses).
func plainQuery(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < ' ' || b == 0x7f || b == '#' {
			return false
		}
	}
	return true
}
