package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/tributarytest"
)

// FuzzRequests throws arbitrary bodies, queries and headers at /graphql:
// the gateway must answer every one with a well-formed response and never
// a 5xx or a crash.
func FuzzRequests(f *testing.F) {
	b := tributarytest.StartBackends(f, nil)
	gw := tributarytest.StartGateway(f, b.Config(func(c *config.Config) { c.MaxBodyBytes = 64 << 10 }), gateway.Options{}).GW

	for _, s := range []struct {
		method, ct, accept string
		body               string
	}{
		{"POST", "application/json", "", `{"query":"{ product(id: \"p1\") { name } }"}`},
		{"POST", "application/json", "application/graphql-response+json", `{"query":"{ products(first: 3) { nodes { price { amount { formatted } } } } }"}`},
		{"POST", "application/json", "", `{"query":"query($id: ID!) { user(id: $id) { name } }","variables":{"id":7}}`},
		{"POST", "application/json", "", `{"query":"{ product(id: \"p1\") { ...F } } fragment F on Product { ...F }"}`},
		{"POST", "application/json", "multipart/mixed", `{"query":"{ product(id: \"p1\") { name ... @defer { stock { available } } } }"}`},
		{"POST", "text/plain", "", `{ __typename }`},
		{"GET", "", "", `query={ product(id: "p1") { name } }`},
		{"POST", "application/json", "", `{"query": 1, "operationName": [], "extensions": {"persistedQuery": {"sha256Hash": 5}}}`},
		{"POST", "application/json", "", `[{"query":"{ __typename }"}]`},
	} {
		f.Add(s.method, s.ct, s.accept, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, ct, accept string, body []byte) {
		var req *http.Request
		switch method {
		case "GET":
			req = httptest.NewRequest(http.MethodGet, "/graphql?"+url.PathEscape(string(body)), nil)
			if q, err := url.ParseQuery(string(body)); err == nil {
				req.URL.RawQuery = q.Encode()
			}
		default:
			req = httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		}
		if !validHeader(ct) || !validHeader(accept) {
			return
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() { gw.ServeHTTP(rec, req); close(done) }()
		select {
		case <-done:
		case <-time.After(8 * time.Second):
			t.Fatalf("%s %q (%s, accept %q): no answer in 8s", method, body, ct, accept)
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %q (%s, accept %q): status %d: %s", method, body, ct, accept, rec.Code, rec.Body)
		}
		if rec.Code == http.StatusOK && !bytes.Contains([]byte(rec.Header().Get("Content-Type")), []byte("multipart")) {
			var v map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
				t.Fatalf("200 with a body that is not a JSON object: %q", rec.Body)
			}
		}
	})
}

func validHeader(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] == 0x7f {
			return false
		}
	}
	return true
}
