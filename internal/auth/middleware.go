package auth

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/golang-jwt/jwt/v5"
)

// CodeUnauthenticated is the extensions.code of a refused request.
const CodeUnauthenticated = "UNAUTHENTICATED"

// Middleware authenticates each request before next sees it. An
// authenticated (or allowed anonymous) request reaches next with its
// Principal in the context (see PrincipalFrom). A refused one gets 401, a
// WWW-Authenticate challenge (RFC 6750: `Bearer error="invalid_token"` for
// a bad token, a bare `Bearer` for a missing one) and a GraphQL-shaped body
// whose message names the reason class but nothing of the token or keys.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r)
		if err != nil {
			a.log.LogAttrs(r.Context(), slog.LevelDebug, "auth: request refused",
				slog.String("error", err.Error()))
			challenge := `Bearer error="invalid_token"`
			if errors.Is(err, ErrMissingToken) {
				challenge = "Bearer"
			}
			w.Header().Set("WWW-Authenticate", challenge)
			w.Header().Set("Cache-Control", "no-store")
			writeError(w, http.StatusUnauthorized, CodeUnauthenticated, publicMessage(err))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// publicMessage is the client-facing text for an Authenticate error: a
// fixed phrase per reason class, so no library detail reaches the client.
func publicMessage(err error) string {
	if errors.Is(err, ErrMissingToken) {
		return "missing bearer token"
	}
	reasons := []struct {
		err error
		msg string
	}{
		{errNotBearer, "authorization scheme must be Bearer"},
		{errMultipleHeader, "more than one Authorization header"},
		{errEmptyToken, "empty bearer token"},
		{errTooLong, "bearer token too long"},
		{errNoKeySource, "bearer tokens are not accepted"},
		{jwt.ErrTokenMalformed, "malformed token"},
		{jwt.ErrTokenExpired, "token is expired"},
		{jwt.ErrTokenNotValidYet, "token is not valid yet"},
		{jwt.ErrTokenUsedBeforeIssued, "token is issued in the future"},
		{jwt.ErrTokenInvalidAudience, "token has the wrong audience"},
		{jwt.ErrTokenInvalidIssuer, "token has the wrong issuer"},
		{jwt.ErrTokenRequiredClaimMissing, "token lacks a required claim"},
		{errNoSubject, "token lacks a required claim"},
		{errRolesClaim, "token has a malformed roles claim"},
		{ErrUnknownKey, "token is signed with an unknown key"},
		{jwt.ErrTokenSignatureInvalid, "token signature is invalid or its algorithm is not accepted"},
	}
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return "invalid bearer token: " + r.msg
		}
	}
	return "invalid bearer token"
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}
