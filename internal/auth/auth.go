// Package auth authenticates requests by JWT bearer token.
//
// Tokens are verified against a JWKS (RS256 or ES256 keys, refreshed in the
// background and on an unknown key id) or, for development, an HS256 shared
// secret. Verification is done by github.com/golang-jwt/jwt/v5 with the set
// of accepted algorithms fixed by the key source, so "alg: none" and
// algorithm confusion (an HS256 token "signed" with an RSA public key) are
// rejected before any key is looked up. JWKS handling is
// github.com/MicahParks/keyfunc/v3 (the JWKS companion that golang-jwt
// recommends).
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// Defaults for the zero values of Config.
const (
	DefaultJWKSRefresh = 5 * time.Minute
	DefaultJWKSTimeout = 10 * time.Second
	DefaultLeeway      = 30 * time.Second
	DefaultRolesClaim  = "roles"
)

// DefaultUnknownKIDInterval is the least time between two JWKS fetches
// triggered by tokens naming a key id the cache does not hold. It lets a
// key rotation be picked up at once while a flood of tokens with made-up
// key ids costs the JWKS server at most one fetch per interval; between
// fetches such tokens fail at once.
const DefaultUnknownKIDInterval = 30 * time.Second

// minHS256SecretLen is the shortest accepted HS256 secret: RFC 7518 §3.2
// requires a key at least as long as the hash output (256 bits).
const minHS256SecretLen = 32

// maxTokenLen bounds the bearer token we are willing to parse.
const maxTokenLen = 16 << 10

// Errors returned by Authenticate. Any other reason a token is refused is
// wrapped in ErrInvalidToken, so errors.Is(err, ErrInvalidToken) holds for
// every refused token; errors.Is also finds the cause (for example
// jwt.ErrTokenExpired). No error carries key material.
var (
	// ErrMissingToken means the request has no Authorization header and
	// anonymous requests are not allowed.
	ErrMissingToken = errors.New("auth: missing bearer token")
	// ErrInvalidToken means the request's credentials were refused.
	ErrInvalidToken = errors.New("auth: invalid bearer token")
	// ErrUnknownKey is wrapped in ErrInvalidToken when no published key
	// fits the token: its kid is not in the JWKS (even after the refresh
	// an unknown kid may trigger), or the key's algorithm differs from
	// the token's.
	ErrUnknownKey = errors.New("no verification key fits the token")
)

// Reasons a token is refused, other than those of the jwt and JWKS
// libraries; each is wrapped in ErrInvalidToken.
var (
	errNotBearer      = errors.New("authorization scheme is not Bearer")
	errEmptyToken     = errors.New("empty bearer token")
	errTooLong        = errors.New("bearer token too long")
	errMultipleHeader = errors.New("more than one Authorization header")
	errNoKeySource    = errors.New("no verification key is configured")
	errNoSubject      = errors.New("token has no subject")
	errRolesClaim     = errors.New("roles claim is neither a string nor an array of strings")
)

// Config configures an Authenticator. The zero value rejects every bearer
// token and lets requests without one pass as anonymous.
type Config struct {
	// JWKSURL is the http(s) URL of a JSON Web Key Set holding RS256 or
	// ES256 verification keys. At most one of JWKSURL and HS256Secret may
	// be set; with neither, every bearer token is rejected and requests
	// without one pass as anonymous (AllowAnonymous is implied).
	JWKSURL string
	// JWKSRefresh is how often the JWKS is fetched in the background;
	// zero means 5m. A token naming an unknown key id also triggers a
	// fetch (at most one per UnknownKIDInterval), so rotation needs no
	// restart.
	JWKSRefresh time.Duration
	// JWKSTimeout bounds each JWKS fetch, including the first one, which
	// New waits for; zero means 10s.
	JWKSTimeout time.Duration
	// UnknownKIDInterval is the least time between two JWKS fetches that
	// tokens with an unknown key id trigger; zero means 30s. Between them,
	// such tokens are refused at once.
	UnknownKIDInterval time.Duration
	// HS256Secret is a shared secret for HS256 tokens, for development. It
	// must be at least 32 bytes long.
	HS256Secret string
	// Issuer, when set, must equal the token's "iss" claim.
	Issuer string
	// Audience, when set, must be one of the token's "aud" values.
	Audience string
	// Leeway is the clock skew tolerated on "exp", "nbf" and "iat"; zero
	// means 30s, negative means none.
	Leeway time.Duration
	// RolesClaim names the claim holding the principal's roles: a JSON
	// array of strings, or a space-separated string like OAuth's "scope".
	// Zero means "roles". It is a claim name, not a path: namespaced
	// claims such as "https://example.com/roles" contain dots.
	RolesClaim string
	// AllowAnonymous lets requests without an Authorization header pass
	// as the anonymous principal. A request with a bad token is refused
	// either way.
	AllowAnonymous bool
}

// Principal is who a request acts for.
type Principal struct {
	// Subject is the token's "sub" claim; empty for the anonymous principal.
	Subject string
	// Roles are the values of the configured roles claim, in token order.
	Roles []string
	// Anonymous is true for a request that carried no token.
	Anonymous bool
}

// HasRole reports whether p holds role r (compared exactly).
func (p Principal) HasRole(r string) bool {
	for _, have := range p.Roles {
		if have == r {
			return true
		}
	}
	return false
}

type principalKey struct{}

// WithPrincipal returns a copy of ctx that carries p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal stored in ctx by WithPrincipal (as
// Middleware does), and whether there was one.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Authenticator verifies bearer tokens. It is safe for concurrent use.
type Authenticator struct {
	parser         *jwt.Parser
	keys           func(ctx context.Context) jwt.Keyfunc // nil: no key source
	rolesClaim     string
	allowAnonymous bool
	log            *slog.Logger
}

// New returns an Authenticator for cfg. With a JWKSURL it fetches the key
// set once through hc before returning (failing if that fetch fails within
// JWKSTimeout) and then refreshes it in the background until ctx ends. hc
// is only used for the JWKS and must be non-nil when JWKSURL is set; a nil
// log means slog.Default(). All configuration problems are reported
// together.
func New(ctx context.Context, cfg Config, hc *http.Client, log *slog.Logger) (*Authenticator, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := cfg.validate(hc); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()

	a := &Authenticator{
		rolesClaim:     cfg.RolesClaim,
		allowAnonymous: cfg.AllowAnonymous,
		log:            log,
	}
	opts := []jwt.ParserOption{
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}

	switch {
	case cfg.HS256Secret != "":
		secret := []byte(cfg.HS256Secret)
		opts = append(opts, jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}))
		a.keys = func(context.Context) jwt.Keyfunc {
			return func(*jwt.Token) (any, error) { return secret, nil }
		}
	case cfg.JWKSURL != "":
		opts = append(opts, jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg()}))
		kf, err := newJWKS(ctx, cfg, hc, log)
		if err != nil {
			return nil, err
		}
		// The gate decides, without waiting, whether an unknown kid may
		// refresh the JWKS now. The library's own limiter would make a
		// token that arrives just before the next slot wait for it (up to
		// the JWKS timeout): a cheap way to hold requests open.
		gate := rate.NewLimiter(rate.Every(cfg.UnknownKIDInterval), 1)
		a.keys = func(ctx context.Context) jwt.Keyfunc {
			lookup := kf.KeyfuncCtx(ctx)
			return func(t *jwt.Token) (any, error) {
				if kid, ok := t.Header["kid"].(string); ok && !published(ctx, kf, kid) && !gate.Allow() {
					return nil, fmt.Errorf("%w: kid %.64q is not published (refreshed less than %v ago)", ErrUnknownKey, kid, cfg.UnknownKIDInterval)
				}
				key, err := lookup(t)
				if err != nil {
					return nil, fmt.Errorf("%w: %w", ErrUnknownKey, err)
				}
				return key, nil
			}
		}
	default:
		if !cfg.AllowAnonymous {
			log.LogAttrs(ctx, slog.LevelWarn, "auth: no JWKS URL or HS256 secret configured: bearer tokens are rejected and requests without one pass as anonymous")
		}
		a.allowAnonymous = true
	}
	a.parser = jwt.NewParser(opts...)
	return a, nil
}

// newJWKS starts the key set cache. The library starts its refresh goroutine
// before the first fetch, so when that fetch fails we end the goroutine
// through our own cancel rather than leave it running until ctx ends.
func newJWKS(ctx context.Context, cfg Config, hc *http.Client, log *slog.Logger) (kf keyfunc.Keyfunc, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		if err != nil {
			cancel()
		}
	}()
	noErrorOnFirstFetchFailure := false
	kf, err = keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.JWKSURL}, keyfunc.Override{
		Client:                    hc,
		HTTPTimeout:               cfg.JWKSTimeout,
		NoErrorReturnFirstHTTPReq: &noErrorOnFirstFetchFailure,
		RefreshInterval:           cfg.JWKSRefresh,
		// Never waits: New's gate has already decided that this unknown
		// kid may refresh (see New).
		RefreshUnknownKID: rate.NewLimiter(rate.Inf, 1),
		// Bounds the fetch an unknown key id triggers.
		RateLimitWaitMax: cfg.JWKSTimeout,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				log.LogAttrs(ctx, slog.LevelWarn, "auth: JWKS refresh failed",
					slog.String("url", u), slog.String("error", err.Error()))
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("auth: first JWKS fetch: %w", err)
	}
	return kf, nil
}

func (c Config) validate(hc *http.Client) error {
	var errs []error
	if c.JWKSURL != "" && c.HS256Secret != "" {
		errs = append(errs, errors.New("auth: set at most one of JWKSURL and HS256Secret"))
	}
	if c.JWKSURL != "" {
		if u, err := url.Parse(c.JWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("auth: JWKSURL %q is not an absolute http(s) URL", c.JWKSURL))
		}
		if hc == nil {
			errs = append(errs, errors.New("auth: JWKSURL is set but the HTTP client is nil"))
		}
	}
	if c.HS256Secret != "" && len(c.HS256Secret) < minHS256SecretLen {
		errs = append(errs, fmt.Errorf("auth: HS256Secret is %d bytes, want at least %d", len(c.HS256Secret), minHS256SecretLen))
	}
	if c.JWKSRefresh < 0 {
		errs = append(errs, fmt.Errorf("auth: JWKSRefresh is %v, want a positive duration or zero for the default", c.JWKSRefresh))
	}
	if c.JWKSTimeout < 0 {
		errs = append(errs, fmt.Errorf("auth: JWKSTimeout is %v, want a positive duration or zero for the default", c.JWKSTimeout))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.JWKSRefresh == 0 {
		c.JWKSRefresh = DefaultJWKSRefresh
	}
	if c.JWKSTimeout == 0 {
		c.JWKSTimeout = DefaultJWKSTimeout
	}
	if c.UnknownKIDInterval <= 0 {
		c.UnknownKIDInterval = DefaultUnknownKIDInterval
	}
	switch {
	case c.Leeway == 0:
		c.Leeway = DefaultLeeway
	case c.Leeway < 0:
		c.Leeway = 0
	}
	if c.RolesClaim == "" {
		c.RolesClaim = DefaultRolesClaim
	}
	return c
}

// Authenticate returns the principal of r's "Authorization: Bearer" token.
// A request without an Authorization header yields the anonymous principal
// when anonymous requests are allowed, else ErrMissingToken. Every refused
// token yields an error wrapping ErrInvalidToken and the reason. A valid
// token must be signed by an accepted key with an accepted algorithm, carry
// "exp" and "sub", be within its validity window (give or take the
// leeway), and match the configured issuer and audience.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	raw, err := bearerToken(r.Header)
	if errors.Is(err, ErrMissingToken) && a.allowAnonymous {
		return Principal{Anonymous: true}, nil
	}
	if err != nil {
		return Principal{}, err
	}
	if a.keys == nil {
		return Principal{}, invalid(errNoKeySource)
	}
	claims := jwt.MapClaims{}
	if _, err := a.parser.ParseWithClaims(raw, claims, a.keys(r.Context())); err != nil {
		return Principal{}, invalid(err)
	}
	sub, err := claims.GetSubject()
	if err != nil {
		return Principal{}, invalid(err)
	}
	if sub == "" {
		return Principal{}, invalid(errNoSubject)
	}
	roles, err := rolesOf(claims[a.rolesClaim])
	if err != nil {
		return Principal{}, invalid(err)
	}
	return Principal{Subject: sub, Roles: roles}, nil
}

func invalid(reason error) error {
	return fmt.Errorf("%w: %w", ErrInvalidToken, reason)
}

// bearerToken extracts the token of an "Authorization: Bearer" header. A
// header with another scheme is an invalid credential, not a missing one:
// a client that sent credentials must not silently become anonymous.
func bearerToken(h http.Header) (string, error) {
	vals := h.Values("Authorization")
	switch {
	case len(vals) == 0 || (len(vals) == 1 && strings.TrimSpace(vals[0]) == ""):
		return "", ErrMissingToken
	case len(vals) > 1:
		return "", invalid(errMultipleHeader)
	}
	scheme, tok, _ := strings.Cut(strings.TrimSpace(vals[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", invalid(errNotBearer)
	}
	tok = strings.TrimSpace(tok)
	switch {
	case tok == "":
		return "", invalid(errEmptyToken)
	case len(tok) > maxTokenLen:
		return "", invalid(errTooLong)
	}
	return tok, nil
}

// rolesOf reads a roles claim: absent, a space-separated string, or an
// array of strings.
func rolesOf(v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return strings.Fields(v), nil
	case []any:
		roles := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, errRolesClaim
			}
			roles = append(roles, s)
		}
		return roles, nil
	default:
		return nil, errRolesClaim
	}
}

// published reports whether the cached JWKS holds kid, without fetching.
func published(ctx context.Context, kf keyfunc.Keyfunc, kid string) bool {
	keys, err := kf.Storage().KeyReadAll(ctx)
	if err != nil {
		return false
	}
	for _, k := range keys {
		if k.Marshal().KID == kid {
			return true
		}
	}
	return false
}
