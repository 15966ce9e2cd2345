package upstream

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
)

// useLastResponse is the redirect policy of NewHTTPClient's clients: the
// contract has no redirects, and following one could leak forwarded
// credentials to another host.
func useLastResponse(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// directTransport returns the transport a client's calls can be handed to
// without going through hc.Do, or nil. That is so for a client made by
// NewHTTPClient (no cookie jar, no client timeout, redirects returned, not
// followed) and a base URL without credentials: for such a call Do only
// copies the request's header and URL in case it follows a redirect,
// which it never does (see send).
func directTransport(hc *http.Client, base *url.URL) http.RoundTripper {
	if hc == nil || hc.Jar != nil || hc.Timeout != 0 || base.User != nil || hc.CheckRedirect == nil ||
		reflect.ValueOf(hc.CheckRedirect).Pointer() != reflect.ValueOf(useLastResponse).Pointer() {
		return nil
	}
	if hc.Transport == nil {
		return http.DefaultTransport
	}
	return hc.Transport
}

// send does what c.http.Do(req) does, and answers as it does: straight
// through the transport when there is a direct one.
func (c *Client) send(req *http.Request) (*http.Response, error) {
	if c.direct == nil {
		return c.http.Do(req)
	}
	resp, err := c.direct.RoundTrip(req)
	if err != nil {
		if tlsErr, ok := err.(tls.RecordHeaderError); ok && string(tlsErr.RecordHeader[:]) == "HTTP/" {
			err = http.ErrSchemeMismatch
		}
		return nil, urlError(req, err)
	}
	if resp == nil {
		return nil, urlError(req, fmt.Errorf("http: RoundTripper implementation (%T) returned a nil *Response with a nil error", c.direct))
	}
	if resp.Body == nil {
		if resp.ContentLength > 0 && req.Method != http.MethodHead {
			return nil, urlError(req, fmt.Errorf("http: RoundTripper implementation (%T) returned a *Response with content length %d but a nil Body", c.direct, resp.ContentLength))
		}
		resp.Body = io.NopCloser(strings.NewReader(""))
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		// Do goes as far as resolving the Location of a redirect it
		// could follow before its policy returns the response.
		if resp.StatusCode >= http.StatusTemporaryRedirect && req.GetBody == nil && req.Body != nil && req.Body != http.NoBody {
			return resp, nil // a body it could not send again: not followed
		}
		if loc := resp.Header.Get("Location"); loc != "" {
			if _, err := req.URL.Parse(loc); err != nil {
				resp.Body.Close()
				return nil, urlError(req, fmt.Errorf("failed to parse Location header %q: %v", loc, err))
			}
		}
	}
	return resp, nil
}

// urlError is err as Client.Do returns it for req.
func urlError(req *http.Request, err error) error {
	op := "Get"
	if m := req.Method; m != "" {
		op = m[:1] + strings.ToLower(m[1:])
	}
	return &url.Error{Op: op, URL: req.URL.String(), Err: err}
}
