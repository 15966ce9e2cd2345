package gateway

import (
	"context"
	"fmt"
	"net/http"

	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/redisstore"
	"github.com/tributary-gw/tributary/internal/upstream"
)

// connectRedis opens the state shared with the other replicas when
// redis.url is set. A Redis that does not answer yet is no error: shared
// state degrades to in-process until it does.
func (g *Gateway) connectRedis(ctx context.Context, onError func(use string)) error {
	if g.cfg.Redis.URL == "" {
		return nil
	}
	rs, err := redisstore.New(redisstore.Config{
		URL: g.cfg.Redis.URL, Prefix: g.cfg.Redis.Prefix, Timeout: g.cfg.Redis.Timeout,
		Log: g.log, OnError: onError,
	})
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	g.redis = rs
	if err := rs.Ping(ctx); err != nil {
		g.log.Warn("redis does not answer yet: shared state degrades to in-process until it does", "err", err)
	}
	return nil
}

// backendClients makes one client per declared service, each with its
// own policy (retries, breaker, in-flight bound), all on the shared
// transport (decorated by opts.Transport, e.g. tracing).
func (g *Gateway) backendClients(opts Options) (map[string]*upstream.Client, error) {
	var rt http.RoundTripper = g.transport
	if opts.Transport != nil {
		rt = opts.Transport(rt)
	}
	hc := upstream.NewHTTPClient(rt)
	clients := map[string]*upstream.Client{}
	for _, name := range config.Services {
		sc := g.cfg.Service(name)
		p := upstream.NewPolicy(name, policyConfig(sc), opts.PolicyHooks)
		g.policies[name] = p
		ident := g.cfg.Auth.IdentityHeader
		if config.CallerIndependent(name) {
			ident = "" // its answers are the same for every caller
		}
		c, err := upstream.New(upstream.Config{
			Service:          name,
			BaseURL:          sc.URL,
			Timeout:          sc.Timeout,
			MaxResponseBytes: sc.MaxResponseBytes,
			Policy:           p,
			Forward:          sc.ForwardHeaders,
			IdentityHeader:   ident,
		}, hc, opts.Observer)
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		clients[name] = c
	}
	return clients, nil
}

// policyConfig is a service's call policy as configured.
func policyConfig(sc config.ServiceConfig) upstream.PolicyConfig {
	return upstream.PolicyConfig{
		MaxRetries:                 sc.MaxRetries,
		RetryBackoff:               sc.RetryBackoff,
		RetryBudget:                sc.RetryBudget,
		RetryBurst:                 sc.RetryBurst,
		BreakerConsecutiveFailures: sc.BreakerConsecutiveFailures,
		BreakerFailureRatio:        sc.BreakerFailureRatio,
		BreakerMinRequests:         sc.BreakerMinRequests,
		BreakerWindow:              sc.BreakerWindow,
		BreakerCooldown:            sc.BreakerCooldown,
		BreakerProbes:              sc.BreakerProbes,
		MaxInFlight:                sc.MaxInFlight,
	}
}

// startCaches makes the entity cache of backend answers, shared through
// Redis when it is configured; it then follows the other replicas'
// invalidations until ctx ends. (The loaders keep the stale copies served
// when a service fails: loadersConfig.)
func (g *Gateway) startCaches(ctx context.Context, observer connect.CacheObserver) {
	cfg := g.cfg
	if !cfg.Cache.Enabled {
		return
	}
	cc := connect.CacheConfig{
		Entries:  cfg.Cache.Entries,
		MaxBytes: cfg.Memory.EntityCache,
		MaxTTL:   cfg.Cache.MaxTTL,
		Observer: observer,
		Log:      g.log,
	}
	if g.redis != nil {
		cc.Store = g.redis.Entities()
	}
	g.cache = connect.NewCache(cc)
	if g.redis != nil {
		g.wg.Go(func() { g.redis.Subscribe(ctx, func(service, id string) { g.cache.Drop(service, id) }) })
	}
}
