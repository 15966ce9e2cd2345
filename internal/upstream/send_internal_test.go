package upstream

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A client made by NewHTTPClient hands its calls to the transport
// directly, and they answer exactly as through http.Client.Do: the same
// status, body and headers, the same errors, for answers, redirects it
// must not follow, malformed redirects, refused connections and timeouts.
func TestSendIsClientDo(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Header().Set("Age", "3")
			io.WriteString(w, `{"items":[]}`)
		case "/moved":
			w.Header().Set("Location", "/elsewhere")
			w.WriteHeader(http.StatusFound)
		case "/moved-keep":
			w.Header().Set("Location", "http://127.0.0.1:1/other")
			w.WriteHeader(http.StatusTemporaryRedirect)
		case "/moved-bad":
			w.Header()["Location"] = []string{"http://[::1"}
			w.WriteHeader(http.StatusMovedPermanently)
		case "/moved-nowhere":
			w.WriteHeader(http.StatusPermanentRedirect)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		default:
			http.Error(w, `{"error":"no"}`, http.StatusNotFound)
		}
	}))
	defer srv.Close()
	defer close(stop)          // before Close, which waits for the handlers
	refused := func() string { // a port nothing listens on
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "http://" + l.Addr().String()
	}()
	tr := NewTransport(TransportConfig{})
	defer tr.CloseIdleConnections()
	hc := NewHTTPClient(tr)
	type answer struct {
		status int
		body   string
		header http.Header
		err    string
	}
	do := func(send func(*http.Request) (*http.Response, error), c *Client, method, path string, body []byte) answer {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		req, err := c.newRequest(ctx, &Request{Method: method, Path: path, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := send(req)
		if err != nil {
			return answer{err: err.Error()}
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		resp.Header.Del("Date")
		return answer{status: resp.StatusCode, body: string(b), header: resp.Header}
	}
	for _, base := range []string{srv.URL, refused} {
		c, err := New(Config{Service: "s", BaseURL: base}, hc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.direct == nil {
			t.Fatal("a client of NewHTTPClient's does not send directly")
		}
		for _, path := range []string{"/ok", "/moved", "/moved-keep", "/moved-bad", "/moved-nowhere", "/slow", "/missing"} {
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				var body []byte
				if method == http.MethodPost {
					body = []byte(`{}`)
				}
				got, want := do(c.send, c, method, path, body), do(hc.Do, c, method, path, body)
				if got.status != want.status || got.body != want.body || got.err != want.err || len(got.header) != len(want.header) {
					t.Errorf("%s %s%s:\n got %+v\nwant %+v", method, base, path, got, want)
				}
			}
		}
	}
}

// Any other client keeps going through its Do: a cookie jar, a timeout,
// another redirect policy or credentials in the base URL are Do's to
// apply.
func TestSendThroughDoOtherwise(t *testing.T) {
	t.Parallel()
	follow := &http.Client{}
	timeout := NewHTTPClient(nil)
	timeout.Timeout = time.Second
	for name, tc := range map[string]struct {
		hc   *http.Client
		base string
	}{
		"default redirect policy": {follow, "http://h"},
		"client timeout":          {timeout, "http://h"},
		"credentials":             {NewHTTPClient(nil), "http://u:p@h"},
	} {
		c, err := New(Config{Service: "s", BaseURL: tc.base}, tc.hc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.direct != nil {
			t.Errorf("%s: sends directly", name)
		}
	}
	if c, _ := New(Config{Service: "s", BaseURL: "http://h"}, NewHTTPClient(nil), nil); c.direct != http.DefaultTransport {
		t.Errorf("no transport: direct %v, want the default transport", c.direct)
	}
}
