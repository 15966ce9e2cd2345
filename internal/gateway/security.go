package gateway

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/netip"

	"github.com/rs/cors"

	"github.com/tributary-gw/tributary/internal/auth"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/ratelimit"
)

// security builds the /graphql middleware that establishes who is calling
// and bounds them: CORS, authentication, identity for the backends, rate
// and concurrency limits. The returned slice runs outermost first.
func (g *Gateway) security(ctx context.Context, cfg *config.Config, hc *http.Client) ([]func(http.Handler) http.Handler, error) {
	var mws []func(http.Handler) http.Handler
	if len(cfg.CORS.AllowedOrigins) > 0 {
		c := cors.New(cors.Options{
			AllowedOrigins:   cfg.CORS.AllowedOrigins,
			AllowedMethods:   []string{http.MethodGet, http.MethodPost},
			AllowedHeaders:   []string{"Authorization", "Content-Type", "Accept", "X-Request-ID", ReportHeader, PlanHeader},
			ExposedHeaders:   []string{"X-Request-ID", "Retry-After"},
			AllowCredentials: !containsStar(cfg.CORS.AllowedOrigins),
			MaxAge:           600,
		})
		mws = append(mws, c.Handler)
	}
	var proxies []netip.Prefix
	for _, p := range cfg.RateLimit.TrustedProxies {
		proxies = append(proxies, netip.MustParsePrefix(p)) // validated by config
	}
	if cfg.RateLimit.IPRPS > 0 {
		// Before authentication, so a client guessing tokens is limited
		// like any other; by address (network, for IPv6), since the
		// subject is not known yet.
		l := ratelimit.New(ratelimit.Config{RPS: cfg.RateLimit.IPRPS, Burst: cfg.RateLimit.IPBurst, MaxClients: cfg.RateLimit.MaxClients}, func(r *http.Request) string {
			return ratelimit.ClientNetwork(r, proxies, cfg.RateLimit.IPv6Prefix)
		})
		mws = append(mws, l.Middleware)
	}
	if cfg.Auth.Mode == "jwt" {
		a, err := auth.New(ctx, auth.Config{
			JWKSURL:        cfg.Auth.JWKSURL,
			JWKSRefresh:    cfg.Auth.JWKSRefresh,
			HS256Secret:    cfg.Auth.HS256Secret,
			Issuer:         cfg.Auth.Issuer,
			Audience:       cfg.Auth.Audience,
			Leeway:         cfg.Auth.Leeway,
			RolesClaim:     cfg.Auth.RolesClaim,
			AllowAnonymous: cfg.Auth.AllowAnonymous,
		}, hc, g.log)
		if err != nil {
			return nil, fmt.Errorf("gateway: auth: %w", err)
		}
		// The principal it puts in the context is the one identity
		// carrier: the backends' identity header, `me` and @auth read it.
		mws = append(mws, a.Middleware)
	} else {
		g.log.Warn("auth.mode is off: requests are anonymous and @auth rules are not enforced (development only)")
	}
	if cfg.RateLimit.RPS > 0 || cfg.RateLimit.MaxConcurrent > 0 {
		rc := ratelimit.Config{
			RPS:           cfg.RateLimit.RPS,
			Burst:         cfg.RateLimit.Burst,
			MaxConcurrent: cfg.RateLimit.MaxConcurrent,
			MaxClients:    cfg.RateLimit.MaxClients,
			FailClosed:    cfg.Redis.RateLimitFailClosed,
		}
		if g.redis != nil && rc.RPS > 0 {
			burst := rc.Burst
			if burst <= 0 { // as ratelimit.New defaults it
				burst = max(1, int(math.Ceil(rc.RPS)))
			}
			rc.Shared = g.redis.RateLimit(rc.RPS, burst)
		}
		l := ratelimit.New(rc, func(r *http.Request) string {
			if p, ok := auth.PrincipalFrom(r.Context()); ok && p.Subject != "" {
				return "sub:" + p.Subject
			}
			return "ip:" + ratelimit.ClientNetwork(r, proxies, cfg.RateLimit.IPv6Prefix)
		})
		mws = append(mws, l.Middleware)
	}
	return mws, nil
}

func containsStar(origins []string) bool {
	for _, o := range origins {
		if o == "*" {
			return true
		}
	}
	return false
}
