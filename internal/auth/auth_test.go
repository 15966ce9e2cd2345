package auth_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"

	"github.com/tributary-gw/tributary/internal/auth"
	"github.com/tributary-gw/tributary/internal/auth/authtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	testIssuer   = "https://idp.test/"
	testAudience = "tributary"
	testSecret   = "0123456789abcdef0123456789abcdef" // 32 bytes
)

// newClient is a JWKS client whose idle connections are closed when the
// test ends, so no transport goroutine outlives it.
func newClient(t *testing.T) *http.Client {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	return hc
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newJWKSAuth starts an Authenticator on iss's JWKS, stopped when the test
// ends.
func newJWKSAuth(t *testing.T, iss *authtest.Issuer, cfg auth.Config) *auth.Authenticator {
	t.Helper()
	cfg.JWKSURL = iss.URL()
	a, err := auth.New(t.Context(), cfg, newClient(t), discardLog())
	if err != nil {
		t.Fatalf("New: got error %v, want nil", err)
	}
	return a
}

func bearerRequest(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

// with returns a copy of c with the given claims set (a nil value deletes).
func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestAuthenticateJWKS(t *testing.T) {
	iss := authtest.NewIssuer(t)
	rsaKey := iss.NewKey(t, "RS256")
	ecKey := iss.NewKey(t, "ES256")
	iss.Publish(rsaKey, ecKey)
	a := newJWKSAuth(t, iss, auth.Config{Issuer: testIssuer, Audience: testAudience, JWKSRefresh: time.Hour})

	base := authtest.Claims(testIssuer, testAudience, "user-1")
	now := time.Now()

	impostor := iss.NewKey(t, "RS256") // never published
	forged := impostor
	forged.ID = rsaKey.ID

	pubDER, err := x509.MarshalPKIXPublicKey(rsaKey.Signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	tests := []struct {
		name          string
		giveToken     string
		wantErr       error // nil: accepted
		wantCause     error // also in the chain when set
		wantPrincipal auth.Principal
	}{
		{
			name:          "valid RS256",
			giveToken:     authtest.Sign(t, rsaKey, base),
			wantPrincipal: auth.Principal{Subject: "user-1", Roles: []string{}},
		},
		{
			name:          "valid ES256",
			giveToken:     authtest.Sign(t, ecKey, base),
			wantPrincipal: auth.Principal{Subject: "user-1", Roles: []string{}},
		},
		{
			name:          "roles as array",
			giveToken:     authtest.Sign(t, rsaKey, with(base, "roles", []string{"admin", "reader"})),
			wantPrincipal: auth.Principal{Subject: "user-1", Roles: []string{"admin", "reader"}},
		},
		{
			name:          "roles as space-separated string",
			giveToken:     authtest.Sign(t, rsaKey, with(base, "roles", "admin  reader")),
			wantPrincipal: auth.Principal{Subject: "user-1", Roles: []string{"admin", "reader"}},
		},
		{
			name:          "expired within leeway",
			giveToken:     authtest.Sign(t, rsaKey, with(base, "exp", now.Add(-10*time.Second).Unix())),
			wantPrincipal: auth.Principal{Subject: "user-1", Roles: []string{}},
		},
		{
			name:      "expired",
			giveToken: authtest.Sign(t, rsaKey, with(base, "exp", now.Add(-time.Hour).Unix())),
			wantErr:   auth.ErrInvalidToken,
			wantCause: jwt.ErrTokenExpired,
		},
		{
			name:      "no exp",
			giveToken: authtest.Sign(t, rsaKey, with(base, "exp", nil)),
			wantErr:   auth.ErrInvalidToken,
			wantCause: jwt.ErrTokenRequiredClaimMissing,
		},
		{
			name:      "not yet valid",
			giveToken: authtest.Sign(t, rsaKey, with(base, "nbf", now.Add(time.Hour).Unix())),
			wantErr:   auth.ErrInvalidToken,
			wantCause: jwt.ErrTokenNotValidYet,
		},
		{
			name:      "wrong audience",
			giveToken: authtest.Sign(t, rsaKey, with(base, "aud", "someone-else")),
			wantErr:   auth.ErrInvalidToken,
			wantCause: jwt.ErrTokenInvalidAudience,
		},
		{
			name:      "wrong issuer",
			giveToken: authtest.Sign(t, rsaKey, with(base, "iss", "https://evil.test/")),
			wantErr:   auth.ErrInvalidToken,
			wantCause: jwt.ErrTokenInvalidIssuer,
		},
		{
			name:      "no subject",
			giveToken: authtest.Sign(t, rsaKey, with(base, "sub", nil)),
			wantErr:   auth.ErrInvalidToken,
		},
		{
			name:      "malformed roles claim",
			giveToken: authtest.Sign(t, rsaKey, with(base, "roles", []any{"admin", 7})),
			wantErr:   auth.ErrInvalidToken,
		},
		{
			name:      "bad signature: impostor key under a published kid",
			giveToken: authtest.Sign(t, forged, base),
			wantErr:   auth.ErrInvalidToken,
			wantCause: jwt.ErrTokenSignatureInvalid,
		},
		{
			name:      "bad signature: payload swapped",
			giveToken: swapPayload(authtest.Sign(t, rsaKey, base), authtest.Sign(t, rsaKey, with(base, "sub", "admin"))),
			wantErr:   auth.ErrInvalidToken,
			wantCause: jwt.ErrTokenSignatureInvalid,
		},
		{
			name:      "alg none",
			giveToken: signNone(t, rsaKey.ID, base),
			wantErr:   auth.ErrInvalidToken,
			wantCause: jwt.ErrTokenSignatureInvalid,
		},
		{
			name:      "alg confusion: HS256 keyed with the RSA public key",
			giveToken: signHS256WithKID(t, rsaKey.ID, pubPEM, base),
			wantErr:   auth.ErrInvalidToken,
			wantCause: jwt.ErrTokenSignatureInvalid,
		},
		{
			name:      "alg does not match the key's",
			giveToken: signAs(t, jwt.SigningMethodRS256, ecKey.ID, rsaKey, base),
			wantErr:   auth.ErrInvalidToken,
			wantCause: auth.ErrUnknownKey,
		},
		{
			name:      "unknown kid",
			giveToken: authtest.Sign(t, impostor, base),
			wantErr:   auth.ErrInvalidToken,
			wantCause: auth.ErrUnknownKey,
		},
		{
			name:      "garbage",
			giveToken: "not-a-jwt",
			wantErr:   auth.ErrInvalidToken,
			wantCause: jwt.ErrTokenMalformed,
		},
		{
			name:      "missing",
			giveToken: "",
			wantErr:   auth.ErrMissingToken,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.Authenticate(bearerRequest(tt.giveToken))
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				if !equalPrincipal(got, tt.wantPrincipal) {
					t.Errorf("got principal %+v, want %+v", got, tt.wantPrincipal)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if tt.wantCause != nil && !errors.Is(err, tt.wantCause) {
				t.Errorf("got error %v, want it to wrap %v", err, tt.wantCause)
			}
			if !equalPrincipal(got, auth.Principal{}) {
				t.Errorf("got principal %+v, want the zero Principal", got)
			}
		})
	}
}

func TestAuthenticateHS256(t *testing.T) {
	a, err := auth.New(t.Context(), auth.Config{HS256Secret: testSecret, Issuer: testIssuer}, nil, discardLog())
	if err != nil {
		t.Fatalf("New: got error %v, want nil", err)
	}
	iss := authtest.NewIssuer(t)
	rsaKey := iss.NewKey(t, "RS256")
	base := authtest.Claims(testIssuer, testAudience, "dev")

	tests := []struct {
		name      string
		giveToken string
		wantErr   error
		wantSub   string
	}{
		{name: "valid", giveToken: authtest.SignHS256(t, []byte(testSecret), base), wantSub: "dev"},
		{name: "wrong secret", giveToken: authtest.SignHS256(t, []byte(strings.Repeat("x", 32)), base), wantErr: jwt.ErrTokenSignatureInvalid},
		{name: "RS256 not accepted", giveToken: authtest.Sign(t, rsaKey, base), wantErr: jwt.ErrTokenSignatureInvalid},
		{name: "alg none", giveToken: signNone(t, "", base), wantErr: jwt.ErrTokenSignatureInvalid},
		{name: "expired", giveToken: authtest.SignHS256(t, []byte(testSecret), with(base, "exp", time.Now().Add(-time.Hour).Unix())), wantErr: jwt.ErrTokenExpired},
		{name: "wrong issuer", giveToken: authtest.SignHS256(t, []byte(testSecret), with(base, "iss", "other")), wantErr: jwt.ErrTokenInvalidIssuer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.Authenticate(bearerRequest(tt.giveToken))
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				if got.Subject != tt.wantSub || got.Anonymous {
					t.Errorf("got principal %+v, want subject %q", got, tt.wantSub)
				}
				return
			}
			if !errors.Is(err, auth.ErrInvalidToken) || !errors.Is(err, tt.wantErr) {
				t.Errorf("got error %v, want %v wrapping %v", err, auth.ErrInvalidToken, tt.wantErr)
			}
		})
	}
}

func TestAuthorizationHeader(t *testing.T) {
	a, err := auth.New(t.Context(), auth.Config{HS256Secret: testSecret, AllowAnonymous: true}, nil, discardLog())
	if err != nil {
		t.Fatalf("New: got error %v, want nil", err)
	}
	tok := authtest.SignHS256(t, []byte(testSecret), authtest.Claims("", "", "dev"))

	tests := []struct {
		name          string
		giveHeader    []string
		wantErr       error
		wantAnonymous bool
	}{
		{name: "absent", wantAnonymous: true},
		{name: "blank", giveHeader: []string{"  "}, wantAnonymous: true},
		{name: "lower-case scheme", giveHeader: []string{"bearer " + tok}},
		{name: "basic scheme", giveHeader: []string{"Basic dXNlcjpwYXNz"}, wantErr: auth.ErrInvalidToken},
		{name: "scheme only", giveHeader: []string{"Bearer"}, wantErr: auth.ErrInvalidToken},
		{name: "two headers", giveHeader: []string{"Bearer " + tok, "Bearer " + tok}, wantErr: auth.ErrInvalidToken},
		{name: "too long", giveHeader: []string{"Bearer " + strings.Repeat("a", 17<<10)}, wantErr: auth.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bearerRequest("")
			for _, h := range tt.giveHeader {
				r.Header.Add("Authorization", h)
			}
			got, err := a.Authenticate(r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if err == nil && got.Anonymous != tt.wantAnonymous {
				t.Errorf("got Anonymous %v, want %v", got.Anonymous, tt.wantAnonymous)
			}
		})
	}
}

// gqlError is the body of a refused request.
type gqlError struct {
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
}

func TestMiddleware(t *testing.T) {
	iss := authtest.NewIssuer(t)
	key := iss.AddKey(t, "RS256")
	base := authtest.Claims(testIssuer, testAudience, "user-1")
	valid := authtest.Sign(t, key, with(base, "roles", "reader"))
	expired := authtest.Sign(t, key, with(base, "exp", time.Now().Add(-time.Hour).Unix()))

	tests := []struct {
		name            string
		giveAnonymous   bool
		giveToken       string
		wantStatus      int
		wantChallenge   string
		wantMessagePart string
		wantPrincipal   auth.Principal
	}{
		{name: "valid", giveToken: valid, wantStatus: http.StatusOK, wantPrincipal: auth.Principal{Subject: "user-1", Roles: []string{"reader"}}},
		{name: "valid with anonymous allowed", giveAnonymous: true, giveToken: valid, wantStatus: http.StatusOK, wantPrincipal: auth.Principal{Subject: "user-1", Roles: []string{"reader"}}},
		{name: "missing, anonymous allowed", giveAnonymous: true, wantStatus: http.StatusOK, wantPrincipal: auth.Principal{Anonymous: true}},
		{name: "missing, anonymous refused", wantStatus: http.StatusUnauthorized, wantChallenge: "Bearer", wantMessagePart: "missing bearer token"},
		{name: "expired", giveToken: expired, wantStatus: http.StatusUnauthorized, wantChallenge: `Bearer error="invalid_token"`, wantMessagePart: "expired"},
		{name: "expired, anonymous allowed", giveAnonymous: true, giveToken: expired, wantStatus: http.StatusUnauthorized, wantChallenge: `Bearer error="invalid_token"`, wantMessagePart: "expired"},
		{name: "garbage", giveToken: "garbage", wantStatus: http.StatusUnauthorized, wantChallenge: `Bearer error="invalid_token"`, wantMessagePart: "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newJWKSAuth(t, iss, auth.Config{Issuer: testIssuer, Audience: testAudience, AllowAnonymous: tt.giveAnonymous, JWKSRefresh: time.Hour})
			srv := httptest.NewServer(a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, ok := auth.PrincipalFrom(r.Context())
				if !ok {
					http.Error(w, "no principal in context", http.StatusInternalServerError)
					return
				}
				_ = json.NewEncoder(w).Encode(p)
			})))
			t.Cleanup(srv.Close)
			hc := newClient(t)

			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, strings.NewReader(`{"query":"{__typename}"}`))
			if err != nil {
				t.Fatal(err)
			}
			if tt.giveToken != "" {
				req.Header.Set("Authorization", "Bearer "+tt.giveToken)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("got status %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus == http.StatusOK {
				var got auth.Principal
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("decode principal %s: %v", body, err)
				}
				if !equalPrincipal(got, tt.wantPrincipal) {
					t.Errorf("got principal %+v, want %+v", got, tt.wantPrincipal)
				}
				return
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("got WWW-Authenticate %q, want %q", got, tt.wantChallenge)
			}
			if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
				t.Errorf("got Content-Type %q, want application/json", got)
			}
			var ge gqlError
			if err := json.Unmarshal(body, &ge); err != nil {
				t.Fatalf("decode error body %s: %v", body, err)
			}
			if len(ge.Errors) != 1 {
				t.Fatalf("got %d errors, want 1 (body %s)", len(ge.Errors), body)
			}
			if got := ge.Errors[0].Extensions.Code; got != "UNAUTHENTICATED" {
				t.Errorf("got code %q, want UNAUTHENTICATED", got)
			}
			if got := ge.Errors[0].Message; !strings.Contains(got, tt.wantMessagePart) {
				t.Errorf("got message %q, want it to contain %q", got, tt.wantMessagePart)
			}
		})
	}
}

// TestKeyRotation: the JWKS switches to a new key; a token signed by it is
// accepted at once (an unknown kid triggers a fetch), the retired key is
// refused, and a flood of made-up kids does not reach the JWKS server.
func TestKeyRotation(t *testing.T) {
	iss := authtest.NewIssuer(t)
	oldKey := iss.AddKey(t, "RS256")
	a := newJWKSAuth(t, iss, auth.Config{Issuer: testIssuer, Audience: testAudience, JWKSRefresh: time.Hour})
	claims := authtest.Claims(testIssuer, testAudience, "user-1")

	if got, want := iss.Fetches(), 1; got != want {
		t.Fatalf("after New: got %d JWKS fetches, want %d", got, want)
	}
	if _, err := a.Authenticate(bearerRequest(authtest.Sign(t, oldKey, claims))); err != nil {
		t.Fatalf("old key before rotation: got error %v, want nil", err)
	}

	newKey := iss.NewKey(t, "ES256")
	iss.Publish(newKey)
	if _, err := a.Authenticate(bearerRequest(authtest.Sign(t, newKey, claims))); err != nil {
		t.Fatalf("new key after rotation: got error %v, want nil", err)
	}
	if got, want := iss.Fetches(), 2; got != want {
		t.Fatalf("after rotation: got %d JWKS fetches, want %d", got, want)
	}
	if _, err := a.Authenticate(bearerRequest(authtest.Sign(t, oldKey, claims))); !errors.Is(err, auth.ErrUnknownKey) {
		t.Errorf("retired key: got error %v, want %v", err, auth.ErrUnknownKey)
	}

	const flood = 50
	tokens := make([]string, flood)
	for i := range tokens {
		k := iss.NewKey(t, "ES256") // never published
		k.ID = fmt.Sprintf("made-up-%d", i)
		tokens[i] = authtest.Sign(t, k, claims)
	}
	errs := make([]error, flood)
	var wg sync.WaitGroup
	for i, tok := range tokens {
		wg.Go(func() {
			_, errs[i] = a.Authenticate(bearerRequest(tok))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("made-up kid %d: got error %v, want %v", i, err, auth.ErrInvalidToken)
		}
	}
	if got, want := iss.Fetches(), 2; got != want {
		t.Errorf("after %d unknown kids: got %d JWKS fetches, want %d (refresh must be rate-limited)", flood, got, want)
	}
	if _, err := a.Authenticate(bearerRequest(authtest.Sign(t, newKey, claims))); err != nil {
		t.Errorf("new key after flood: got error %v, want nil", err)
	}
}

func TestNoKeySource(t *testing.T) {
	a, err := auth.New(t.Context(), auth.Config{}, nil, discardLog())
	if err != nil {
		t.Fatalf("New: got error %v, want nil", err)
	}
	got, err := a.Authenticate(bearerRequest(""))
	if err != nil || !got.Anonymous {
		t.Errorf("no token: got (%+v, %v), want anonymous and nil", got, err)
	}
	tok := authtest.SignHS256(t, []byte(testSecret), authtest.Claims("", "", "dev"))
	if _, err := a.Authenticate(bearerRequest(tok)); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("bearer token: got error %v, want %v", err, auth.ErrInvalidToken)
	}
}

func TestNewErrors(t *testing.T) {
	failing := authtest.NewIssuer(t)
	failing.SetStatus(http.StatusInternalServerError)
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // until the client gives up
	}))
	t.Cleanup(hanging.Close)

	tests := []struct {
		name       string
		giveCfg    auth.Config
		giveClient bool
		wantParts  []string // each in the error text
	}{
		{
			name:       "both key sources",
			giveCfg:    auth.Config{JWKSURL: "https://idp.test/jwks", HS256Secret: testSecret},
			giveClient: true,
			wantParts:  []string{"at most one"},
		},
		{
			name:      "every problem at once",
			giveCfg:   auth.Config{JWKSURL: "ftp://idp.test/jwks", HS256Secret: "short", JWKSRefresh: -1},
			wantParts: []string{"at most one", "not an absolute http(s) URL", "HTTP client is nil", "HS256Secret is 5 bytes", "JWKSRefresh"},
		},
		{
			name:       "first fetch fails",
			giveCfg:    auth.Config{JWKSURL: failing.URL()},
			giveClient: true,
			wantParts:  []string{"first JWKS fetch", "500"},
		},
		{
			name:       "first fetch hangs",
			giveCfg:    auth.Config{JWKSURL: hanging.URL, JWKSTimeout: 100 * time.Millisecond},
			giveClient: true,
			wantParts:  []string{"first JWKS fetch"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hc *http.Client
			if tt.giveClient {
				hc = newClient(t)
			}
			a, err := auth.New(t.Context(), tt.giveCfg, hc, discardLog())
			if err == nil {
				t.Fatalf("got authenticator %v and nil error, want an error", a)
			}
			for _, part := range tt.wantParts {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("got error %q, want it to contain %q", err, part)
				}
			}
		})
	}
}

// TestNewFailureStopsRefresh: a failed first fetch leaves no refresh
// goroutine behind even while the caller's context lives on.
func TestNewFailureStopsRefresh(t *testing.T) {
	failing := authtest.NewIssuer(t)
	failing.SetStatus(http.StatusServiceUnavailable)
	hc := newClient(t)
	before := goleak.IgnoreCurrent()
	ctx := context.WithoutCancel(t.Context()) // never cancelled
	if _, err := auth.New(ctx, auth.Config{JWKSURL: failing.URL()}, hc, discardLog()); err == nil {
		t.Fatal("got nil error, want the first fetch to fail")
	}
	hc.CloseIdleConnections()
	goleak.VerifyNone(t, before)
}

func TestPrincipal(t *testing.T) {
	tests := []struct {
		name      string
		give      auth.Principal
		giveRole  string
		wantHasIt bool
	}{
		{name: "held", give: auth.Principal{Subject: "u", Roles: []string{"reader", "admin"}}, giveRole: "admin", wantHasIt: true},
		{name: "not held", give: auth.Principal{Subject: "u", Roles: []string{"reader"}}, giveRole: "admin"},
		{name: "case matters", give: auth.Principal{Subject: "u", Roles: []string{"Admin"}}, giveRole: "admin"},
		{name: "anonymous", give: auth.Principal{Anonymous: true}, giveRole: "reader"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.give.HasRole(tt.giveRole); got != tt.wantHasIt {
				t.Errorf("got HasRole(%q) = %v, want %v", tt.giveRole, got, tt.wantHasIt)
			}
			got, ok := auth.PrincipalFrom(auth.WithPrincipal(t.Context(), tt.give))
			if !ok || !equalPrincipal(got, tt.give) {
				t.Errorf("got PrincipalFrom = (%+v, %v), want (%+v, true)", got, ok, tt.give)
			}
		})
	}
	if got, ok := auth.PrincipalFrom(t.Context()); ok {
		t.Errorf("empty context: got (%+v, true), want (zero, false)", got)
	}
}

func equalPrincipal(a, b auth.Principal) bool {
	return a.Subject == b.Subject && a.Anonymous == b.Anonymous && slices.Equal(a.Roles, b.Roles)
}

func swapPayload(signed, other string) string {
	p := strings.Split(signed, ".")
	p[1] = strings.Split(other, ".")[1]
	return strings.Join(p, ".")
}

func signNone(t *testing.T, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func signHS256WithKID(t *testing.T, kid string, secret []byte, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signAs signs with key but names kid and method in the header.
func signAs(t *testing.T, m jwt.SigningMethod, kid string, key authtest.Key, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key.Signer)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// An unknown kid arriving while the refresh slot is spent is refused at
// once, with no fetch — even when the next slot is only moments away
// (the library's limiter would have held the request until then, up to
// the JWKS timeout).
func TestUnknownKIDBetweenRefreshesFailsFast(t *testing.T) {
	iss := authtest.NewIssuer(t)
	iss.AddKey(t, "RS256")
	a := newJWKSAuth(t, iss, auth.Config{Issuer: testIssuer, Audience: testAudience, JWKSRefresh: time.Hour,
		UnknownKIDInterval: 2 * time.Second, JWKSTimeout: time.Minute})
	claims := authtest.Claims(testIssuer, testAudience, "user-1")
	madeUp := func(id string) string {
		k := iss.NewKey(t, "ES256") // never published
		k.ID = id
		return authtest.Sign(t, k, claims)
	}
	if _, err := a.Authenticate(bearerRequest(madeUp("first"))); !errors.Is(err, auth.ErrUnknownKey) {
		t.Fatalf("first unknown kid: got %v, want %v", err, auth.ErrUnknownKey)
	}
	if got, want := iss.Fetches(), 2; got != want {
		t.Fatalf("after the first unknown kid: got %d JWKS fetches, want %d", got, want)
	}
	// Refused without a fetch: a fetch would mean the request waited for
	// the next slot.
	if _, err := a.Authenticate(bearerRequest(madeUp("second"))); !errors.Is(err, auth.ErrUnknownKey) {
		t.Errorf("second unknown kid: got %v, want %v", err, auth.ErrUnknownKey)
	}
	if got, want := iss.Fetches(), 2; got != want {
		t.Errorf("after the second unknown kid: got %d JWKS fetches, want %d (it waited for the next refresh slot)", got, want)
	}
}
