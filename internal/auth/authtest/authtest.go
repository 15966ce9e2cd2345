// Package authtest is a test identity provider for code that uses package
// auth: it generates signing keys, publishes them as a JWKS over real HTTP
// (httptest), counts the fetches, rotates keys and mints tokens.
package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Key is a signing key whose public half the Issuer may publish.
type Key struct {
	ID     string
	Alg    string // "RS256" or "ES256"
	Signer crypto.Signer
}

// Issuer serves a JWKS and signs tokens. It is safe for concurrent use.
type Issuer struct {
	srv     *httptest.Server
	fetches atomic.Int64

	mu        sync.Mutex
	published []Key
	status    int // the JWKS endpoint's status; 0 means 200
	nextID    int
}

// NewIssuer starts an Issuer whose JWKS is empty; the server is closed
// when the test ends.
func NewIssuer(t testing.TB) *Issuer {
	t.Helper()
	i := &Issuer{}
	i.srv = httptest.NewServer(http.HandlerFunc(i.serveJWKS))
	t.Cleanup(i.srv.Close)
	return i
}

// URL is the JWKS URL.
func (i *Issuer) URL() string { return i.srv.URL + "/.well-known/jwks.json" }

// Fetches is how many times the JWKS has been requested.
func (i *Issuer) Fetches() int { return int(i.fetches.Load()) }

// SetStatus makes the JWKS endpoint answer with code (and no key set) when
// it is not 200.
func (i *Issuer) SetStatus(code int) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.status = code
}

// NewKey generates a key for alg ("RS256" or "ES256") without publishing it.
func (i *Issuer) NewKey(t testing.TB, alg string) Key {
	t.Helper()
	var (
		s   crypto.Signer
		err error
	)
	switch alg {
	case "RS256":
		s, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		s, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		t.Fatalf("authtest: unsupported alg %q", alg)
	}
	if err != nil {
		t.Fatalf("authtest: generate %s key: %v", alg, err)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.nextID++
	return Key{ID: "key-" + strconv.Itoa(i.nextID), Alg: alg, Signer: s}
}

// AddKey generates a key for alg and adds it to the published set.
func (i *Issuer) AddKey(t testing.TB, alg string) Key {
	t.Helper()
	k := i.NewKey(t, alg)
	i.Publish(k)
	return k
}

// Publish replaces the published key set with keys (a rotation when the
// old key is left out).
func (i *Issuer) Publish(keys ...Key) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.published = append([]Key(nil), keys...)
}

// Claims returns valid claims for subject: issuer and audience as given,
// issued now, expiring in an hour.
func Claims(issuer, audience, subject string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss": issuer,
		"aud": audience,
		"sub": subject,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
}

// Sign returns claims as a token signed by k, naming k.ID as its kid.
func Sign(t testing.TB, k Key, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.Alg), claims)
	tok.Header["kid"] = k.ID
	s, err := tok.SignedString(k.Signer)
	if err != nil {
		t.Fatalf("authtest: sign: %v", err)
	}
	return s
}

// SignHS256 returns claims as a token signed with the shared secret.
func SignHS256(t testing.TB, secret []byte, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		t.Fatalf("authtest: sign HS256: %v", err)
	}
	return s
}

// jwk is the public JSON Web Key form (RFC 7517/7518), written here rather
// than by the library under test so that tests catch encoding drift.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	i.fetches.Add(1)
	i.mu.Lock()
	status, keys := i.status, i.published
	i.mu.Unlock()
	if status != 0 && status != http.StatusOK {
		http.Error(w, http.StatusText(status), status)
		return
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, k := range keys {
		set.Keys = append(set.Keys, publicJWK(k))
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}

func publicJWK(k Key) jwk {
	b64 := base64.RawURLEncoding.EncodeToString
	j := jwk{Kid: k.ID, Alg: k.Alg, Use: "sig"}
	switch pub := k.Signer.Public().(type) {
	case *rsa.PublicKey:
		j.Kty = "RSA"
		j.N = b64(pub.N.Bytes())
		j.E = b64(big.NewInt(int64(pub.E)).Bytes())
	case *ecdsa.PublicKey:
		j.Kty = "EC"
		j.Crv = "P-256"
		raw, err := pub.Bytes() // uncompressed point: 0x04 || X || Y
		if err == nil {
			j.X = b64(raw[1:33])
			j.Y = b64(raw[33:65])
		}
	}
	return j
}
