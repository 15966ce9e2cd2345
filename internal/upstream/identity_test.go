package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tributary-gw/tributary/internal/auth"
)

// The identity header carries the subject of the request's auth.Principal,
// the one identity carrier: none for an anonymous principal or without
// one, and none to a client configured without the header. The caller
// digest follows the same subject.
func TestIdentityHeaderComesFromThePrincipal(t *testing.T) {
	var got []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("X-User-Id"))
		_, _ = w.Write([]byte(`{}`))
	}))
	defer ts.Close()
	hc := NewHTTPClient(NewTransport(TransportConfig{}))
	with, err := New(Config{Service: "users", BaseURL: ts.URL, IdentityHeader: "X-User-Id"}, hc, nil)
	if err != nil {
		t.Fatal(err)
	}
	without, err := New(Config{Service: "pricing", BaseURL: ts.URL}, hc, nil)
	if err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	u7 := auth.WithPrincipal(bg, auth.Principal{Subject: "u7"})
	tests := []struct {
		name     string
		client   *Client
		ctx      context.Context
		wantSent string
		wantCred bool
	}{
		{"signed in", with, u7, "u7", true},
		{"anonymous", with, auth.WithPrincipal(bg, auth.Principal{Anonymous: true}), "", false},
		{"no principal", with, bg, "", false},
		{"client without the header", without, u7, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			var out struct{}
			if err := tt.client.Get(tt.ctx, Request{Endpoint: "e", Path: "/"}, &out); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != tt.wantSent {
				t.Errorf("identity header: got %q, want [%q]", got, tt.wantSent)
			}
			if c := tt.client.Credentialed(tt.ctx); c != tt.wantCred {
				t.Errorf("credentialed: got %v, want %v", c, tt.wantCred)
			}
		})
	}
	u8 := auth.WithPrincipal(bg, auth.Principal{Subject: "u8"})
	if with.Caller(u7) == with.Caller(u8) || with.Caller(u7) != with.Caller(auth.WithPrincipal(bg, auth.Principal{Subject: "u7"})) {
		t.Error("caller digest: want one per subject")
	}
}
