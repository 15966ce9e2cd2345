// Package config loads Tributary's configuration: built-in defaults, then a
// YAML file, then TRIBUTARY_* environment variables, each layer overriding
// the one before. Every key has exactly one environment variable, derived
// from its path (catalog.timeout → TRIBUTARY_CATALOG_TIMEOUT).
package config

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/structs"
	"github.com/knadh/koanf/v2"

	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/upstream"
)

// Services are the backends the schema declares (@source), in declaration
// order: each has its own keys (`<service>.url`, …), merged over `defaults`.
var Services = registry.Services()

// CallerIndependent reports whether the schema declares the named
// service's answers independent of the caller (@source callerIndependent):
// its calls carry no caller headers — it inherits no forward_headers and
// gets no identity header — so every caller shares them.
func CallerIndependent(service string) bool {
	for _, s := range registry.Sources() {
		if s.Name == service {
			return s.CallerIndependent
		}
	}
	return false
}

// Config is the whole configuration. The `doc` tags feed the configuration
// reference in the README (a test keeps them in sync).
type Config struct {
	ListenAddr string `koanf:"listen_addr" doc:"Address the gateway listens on."`
	// Operators' endpoints belong on a port the public cannot reach:
	// profiles and breaker states say a lot about the deployment.
	AdminAddr       string        `koanf:"admin_addr" doc:"Address of a separate listener for /metrics, /readyz and /debug/pprof/ (empty: none; /metrics and /readyz stay on the public listener and profiling is not served)."`
	RequestTimeout  time.Duration `koanf:"request_timeout" doc:"Deadline of a whole GraphQL request; backend calls get the smaller of their timeout and the time left."`
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout" doc:"How long in-flight requests may finish after SIGINT/SIGTERM (the drain time)."`
	ReadyzBackends  bool          `koanf:"readyz_backends" doc:"/readyz also fails while the circuit of a critical service is open (otherwise it only lists breaker states)."`
	DrainDelay      time.Duration `koanf:"drain_delay" doc:"After SIGTERM, how long /readyz reports not ready before the listener closes, so load balancers stop sending traffic first."`
	Introspection   bool          `koanf:"introspection" doc:"Answer introspection queries (turn off in production)."`
	Playground      bool          `koanf:"playground" doc:"Serve GraphiQL at /."`
	SchemaEndpoint  bool          `koanf:"schema_endpoint" doc:"Serve the schema as SDL at GET /schema.graphql (for trusted networks; independent of introspection)."`
	MaxBodyBytes    int64         `koanf:"max_body_bytes" doc:"Largest accepted request body, in bytes."`
	FanoutReport    bool          `koanf:"fanout_report" doc:"Allow clients to ask for the fan-out report (header X-Tributary-Report: 1) in extensions.tributary.fanout."`
	PlanReport      bool          `koanf:"plan_report" doc:"Allow clients to ask for the operation's plan (header X-Tributary-Plan: 1 with the response, only: plan without running) in extensions.tributary.plan; the request passes the same limits, trusted documents and authentication as a query."`
	FallbackEntries int           `koanf:"fallback_entries" doc:"Size of the cache of last good values that @fallback fields serve when their service fails (0: no fallbacks)."`

	// Profile "production" changes defaults: introspection, the schema
	// endpoint, the playground, the fan-out report and the plan report off, JSON logs.
	Profile string `koanf:"profile" doc:"development or production (production: introspection, /schema.graphql, the playground, the fan-out and plan reports default to off, logs to JSON)."`

	Batch     BatchConfig     `koanf:"batch"`
	Log       LogConfig       `koanf:"log"`
	Limits    LimitsConfig    `koanf:"limits"`
	Auth      AuthConfig      `koanf:"auth"`
	RateLimit RateLimitConfig `koanf:"rate_limit"`
	CORS      CORSConfig      `koanf:"cors"`
	Persisted PersistedConfig `koanf:"persisted"`
	Budget    BudgetConfig    `koanf:"budget"`

	// Defaults apply to every service; a service's own keys override them
	// one by one.
	Defaults ServiceConfig `koanf:"defaults"`
	// Services are the merged configurations of the declared services, by
	// name; their keys sit at the top level (`catalog.url`).
	Services map[string]*ServiceConfig `koanf:"-"`

	Demo DemoConfig `koanf:"demo"`

	Cache  CacheConfig  `koanf:"cache"`
	Redis  RedisConfig  `koanf:"redis"`
	Memory MemoryConfig `koanf:"memory"`
}

// MemoryConfig bounds, in bytes, each cache that requests fill: whatever
// clients send, together they hold no more than the sum (see
// docs/configuration.md, "Memory"). Entry bounds, where a cache has one,
// apply as well.
type MemoryConfig struct {
	QueryDocuments int64 `koanf:"query_documents" doc:"Bytes the cache of parsed query documents may hold, text and syntax tree (at most 1,000 documents)."`
	APQ            int64 `koanf:"apq" doc:"Bytes the in-process cache of automatic persisted queries may hold (at most 1,000 documents)."`
	Verdicts       int64 `koanf:"verdicts" doc:"Bytes the cost limits' verdicts (per operation and variables) may hold."`
	EntityCache    int64 `koanf:"entity_cache" doc:"Bytes the in-process entity cache (L1) may hold, keys and decoded answers (each entry counts at least entity_cache / cache.entries)."`
	Fallback       int64 `koanf:"fallback" doc:"Bytes the last good values of @fallback fields may hold in process (each value counts at least fallback / fallback_entries)."`
	Plans          int64 `koanf:"plans" doc:"Bytes the plan engine's cache of operation plans may hold, their documents' text included."`
}

// CacheConfig configures the entity cache of backend answers (see
// docs/scale-out.md).
type CacheConfig struct {
	Enabled    bool          `koanf:"enabled" doc:"Keep backend answers per entity for as long as their Cache-Control allows (max-age, s-maxage; private, no-store, no-cache and no header: not kept). Answers fetched with the caller's forwarded headers or identity are never kept."`
	Entries    int           `koanf:"entries" doc:"Most entries of the in-process entity cache (L1)."`
	MaxTTL     time.Duration `koanf:"max_ttl" doc:"Longest time an answer is kept, whatever its Cache-Control says (0: no cap)."`
	AdminToken string        `koanf:"admin_token" doc:"Bearer token of DELETE /admin/cache/{service}/{id}, which drops an entity on every replica (empty: no admin endpoint)."`
}

// RedisConfig configures the store replicas share (see docs/scale-out.md).
type RedisConfig struct {
	URL                 string        `koanf:"url" doc:"Redis URL (redis://host:6379/0) shared by the replicas: entity cache L2, APQ, @fallback values, rate limits, invalidation. Empty: everything stays in process."`
	Prefix              string        `koanf:"prefix" doc:"Prefix of every key and channel the gateway uses, to share one Redis between deployments."`
	Timeout             time.Duration `koanf:"timeout" doc:"Dial, read and write timeout of a Redis command; past it the gateway answers without Redis."`
	RateLimitFailClosed bool          `koanf:"rate_limit_fail_closed" doc:"While Redis is unreachable, refuse requests (429) rather than let them through without a rate limit."`
}

// BatchConfig tunes the dataloaders.
type BatchConfig struct {
	Mode     string        `koanf:"mode" doc:"rounds (the engine dispatches each round of the plan as soon as it has asked for all its keys), timer (plain dataloader window of batch.wait) or off (one call per key; for measuring N+1 only)."`
	Wait     time.Duration `koanf:"wait" doc:"Batching window in timer mode (and of an operation gqlgen's executor runs: introspection)."`
	Backstop time.Duration `koanf:"backstop" doc:"In rounds mode, the longest a loader waits for the engine's dispatch before dispatching anyway."`
	Share    bool          `koanf:"share" doc:"Share backend reads across concurrent requests, without a timer: a key already in a call in flight is not asked for again, and keys asked for while an endpoint's call is in flight go out together in its next call. Calls forwarding different caller headers never share. Not in mode off."`
	// Ten calls at the contract's batch limit of 100.
	ShareQueue int `koanf:"share_queue" doc:"Most keys of one endpoint and caller queued for its next shared call; past it, a request's further keys go out in a call of their own, unshared."`
	// Two: see bench/README.md (hot-product) for one, two and four.
	ShareCalls int `koanf:"share_calls" doc:"Shared calls of one endpoint and caller in flight at once: a key in none of them goes out at once while one is free, and otherwise queues for the next to free up. More calls wait less under load and share less."`
}

// LimitsConfig bounds what one operation may cost; over a limit it is
// rejected before any backend call.
type LimitsConfig struct {
	MaxDepth        int `koanf:"max_depth" doc:"Deepest field nesting allowed (introspection excluded; 0: no limit)."`
	MaxAliases      int `koanf:"max_aliases" doc:"Most aliased fields in one operation (0: no limit)."`
	MaxTokens       int `koanf:"max_tokens" doc:"Most lexical tokens in a query document (0: no limit)."`
	MaxBackendCalls int `koanf:"max_backend_calls" doc:"Most backend calls an operation is estimated to make (0: no limit)."`
	MaxItems        int `koanf:"max_items" doc:"Most objects an operation is estimated to fan out to (0: no limit)."`
	// Introspection calls no backend, but aliases and fragments could
	// make its answer megabytes long; GraphiQL's query is estimated at 3,072.
	MaxIntrospectionItems int `koanf:"max_introspection_items" doc:"Most objects introspection fields are estimated to return, sized from the schema (0: no limit)."`
	// GraphiQL's query (graphql-js 17, typeDepth 9) nests 15 fields deep
	// (__schema types fields args type, 9 ofType, kind); graphql-js 16's,
	// which graphql-codegen and Apollo's tools send, 13.
	MaxIntrospectionDepth int `koanf:"max_introspection_depth" doc:"Deepest nesting of fields below __schema or __type, the root counting as 1 (0: no limit); deeper introspection is refused with INTROSPECTION_TOO_DEEP. GraphiQL's query nests 15 deep."`
	DefaultListSize       int `koanf:"default_list_size" doc:"List size assumed for the cost estimate when a list field has no @listSize."`
	// Ids are at most 256 bytes (the batch syntax's bound); categories,
	// currencies and cursors are far shorter.
	MaxWrites         int `koanf:"max_writes" doc:"Most writes (mutation fields sent to a backend) in one request; a document with more is refused with TOO_MANY_WRITES before any is sent (0: no limit). Each write counts as write_cost backend calls in max_backend_calls."`
	MaxArgumentLength int `koanf:"max_argument_length" doc:"Longest string, in bytes, in any argument's value (literal or variable, inside lists and input objects too); longer is refused with BAD_USER_INPUT before any backend call. Such strings become backend URLs and cache keys (0: no limit)."`
}

// AuthConfig configures authentication (JWT bearer tokens) and the
// authorization rules of the schema's @auth directives.
type AuthConfig struct {
	Mode           string        `koanf:"mode" doc:"off (no authentication; @auth rules not enforced — development only) or jwt."`
	JWKSURL        string        `koanf:"jwks_url" doc:"JWKS URL with the RS256/ES256 keys, refreshed in the background and on unknown key ids."`
	JWKSRefresh    time.Duration `koanf:"jwks_refresh" doc:"How often the JWKS is refetched."`
	HS256Secret    string        `koanf:"hs256_secret" doc:"Shared secret for HS256 tokens (development; at least 32 bytes); instead of jwks_url."`
	Issuer         string        `koanf:"issuer" doc:"Required iss claim, when set."`
	Audience       string        `koanf:"audience" doc:"Required aud claim, when set."`
	Leeway         time.Duration `koanf:"leeway" doc:"Clock skew tolerated on exp/nbf/iat."`
	RolesClaim     string        `koanf:"roles_claim" doc:"Claim holding the caller's roles (array, or space-separated string like scope)."`
	StaffRole      string        `koanf:"staff_role" doc:"Role that may read other users' dashboards, orders and emails."`
	AllowAnonymous bool          `koanf:"allow_anonymous" doc:"Let requests without a token read public fields."`
	IdentityHeader string        `koanf:"identity_header" doc:"Header that carries the validated subject to the backends (e.g. X-User-Id); a client's own copy is never forwarded."`
}

// RateLimitConfig bounds each client (authenticated subject, else IP).
type RateLimitConfig struct {
	RPS            float64  `koanf:"rps" doc:"Sustained requests per second per client (0: no rate limit)."`
	Burst          int      `koanf:"burst" doc:"Requests a client may make at once after being idle."`
	MaxConcurrent  int      `koanf:"max_concurrent" doc:"Requests of one client in flight at once (0: no limit)."`
	TrustedProxies []string `koanf:"trusted_proxies" doc:"CIDRs of proxies whose X-Forwarded-For is believed for the client IP."`
	IPv6Prefix     int      `koanf:"ipv6_prefix" doc:"IPv6 clients are counted per network of this many bits (1..128; 64 is one subscriber's usual allocation)."`
	// Authentication runs after this limit, so failed logins (bad or
	// guessed tokens) are limited too, by address.
	IPRPS   float64 `koanf:"ip_rps" doc:"Sustained requests per second per client address, applied before authentication (0: off)."`
	IPBurst int     `koanf:"ip_burst" doc:"Requests an address may make at once after being idle, before authentication."`
	// About 260 bytes a client: 50,000 are 13 MB per table.
	MaxClients int `koanf:"max_clients" doc:"Clients each rate-limit table tracks (about 260 bytes each). Only a client with a full bucket and nothing in flight is forgotten to make room; while none can be, new clients share one overflow bucket, so a flood of addresses never resets a limited client."`
}

// CORSConfig configures cross-origin requests to /graphql.
type CORSConfig struct {
	AllowedOrigins []string `koanf:"allowed_origins" doc:"Origins allowed to call /graphql from a browser (empty: none; \"*\": any, without credentials)."`
}

// BudgetConfig bounds the backend calls of one operation, so an accidental
// N+1 shows up: as an error in development, as a metric in production.
type BudgetConfig struct {
	DefaultCalls int      `koanf:"default_calls" doc:"Backend calls an operation may make (0: no budget)."`
	Operations   []string `koanf:"operations" doc:"Per-operation budgets as Name=calls, e.g. [ProductPage=6, Listing=6]."`
	Enforce      bool     `koanf:"enforce" doc:"Fail calls over the budget with FANOUT_BUDGET_EXCEEDED (development); otherwise only count and log them."`
}

// PersistedConfig configures trusted documents.
type PersistedConfig struct {
	Manifest string `koanf:"manifest" doc:"JSON file of sha256 hash → document (GraphQL Codegen persisted-documents format)."`
	Only     bool   `koanf:"only" doc:"Execute only operations in the manifest, rejecting any other query."`
	APQ      bool   `koanf:"apq" doc:"Accept automatic persisted queries (hash-only requests, registered on first use); ignored when only is set."`
}

// LogConfig configures logging.
type LogConfig struct {
	Level  string `koanf:"level" doc:"debug, info, warn or error."`
	Format string `koanf:"format" doc:"json, text, or auto (text on a terminal, JSON otherwise)."`
}

// ServiceConfig configures one backend. Under `defaults` the URL is ignored.
type ServiceConfig struct {
	URL string `koanf:"url" doc:"Base URL of the service. Unset in development: the embedded demo backend serves it, or, for a service the demo does not implement, a stand-in built from its contract (the start log names them). Services with and without a URL mix freely."`
	// Where the service publishes its contract is the service's own
	// business, so it is not inherited from defaults.
	ContractURL      string        `koanf:"contract_url" doc:"Where the service publishes its OpenAPI contract: an http(s) URL or a file. -check-contracts and contract_check compare it with the checked-in one. Empty: <url>/openapi.yaml; without a url, the demo's own (served through the gateway at /_demo/<service>/openapi.yaml)."`
	ContractCheck    string        `koanf:"contract_check" doc:"At start, compare the published contract (contract_url) with the checked-in one: off; warn (log each change that breaks a field the graph serves); fail (refuse to start on one, or when the contract cannot be fetched)."`
	Timeout          time.Duration `koanf:"timeout" doc:"Timeout of one call to the service."`
	MaxResponseBytes int64         `koanf:"max_response_bytes" doc:"Largest accepted response body, in bytes."`

	MaxRetries   int           `koanf:"max_retries" doc:"Retries of a call after a connection error, 502, 503, 504 or 429."`
	RetryBackoff time.Duration `koanf:"retry_backoff" doc:"Base of the jittered exponential backoff between retries."`
	RetryBudget  float64       `koanf:"retry_budget" doc:"Retries allowed as a fraction of calls (0..1)."`
	RetryBurst   int           `koanf:"retry_burst" doc:"Retries the budget allows before calls have earned any."`

	BreakerConsecutiveFailures int           `koanf:"breaker_consecutive_failures" doc:"Open the circuit after this many failures in a row (0: off)."`
	BreakerFailureRatio        float64       `koanf:"breaker_failure_ratio" doc:"Open the circuit when this fraction of calls in the window failed (0: off)."`
	BreakerMinRequests         int           `koanf:"breaker_min_requests" doc:"Calls needed in the window before the ratio can open the circuit."`
	BreakerWindow              time.Duration `koanf:"breaker_window" doc:"Window over which the breaker counts calls while closed."`
	BreakerCooldown            time.Duration `koanf:"breaker_cooldown" doc:"How long the circuit stays open before half-open probes."`
	BreakerProbes              int           `koanf:"breaker_probes" doc:"Probe calls let through while half-open."`

	MaxInFlight int `koanf:"max_in_flight" doc:"Most concurrent calls to the service (0: unlimited)."`

	ForwardHeaders []string `koanf:"forward_headers" doc:"Client headers passed on to the service (an allow-list; hop-by-hop and internal headers never pass). A service the schema declares caller-independent (@source(callerIndependent: true)) inherits none and may not set any: it gets no caller headers, not even the identity header."`

	Critical bool `koanf:"critical" doc:"A failure of this service's fields fails their root field, unless the field is marked @optional (fields marked @critical always do)."`
}

// DemoConfig tunes the embedded demo backends (used when no URLs are set).
type DemoConfig struct {
	Latency   time.Duration `koanf:"latency" doc:"Latency the demo backends add to every call."`
	Jitter    time.Duration `koanf:"jitter" doc:"Extra random latency, uniform in [0, jitter]."`
	ErrorRate float64       `koanf:"error_rate" doc:"Fraction of demo calls that fail with 503."`
}

// Default returns the built-in defaults.
func Default() Config {
	c := Config{
		ListenAddr:      ":8080",
		RequestTimeout:  5 * time.Second,
		ShutdownTimeout: 15 * time.Second,
		DrainDelay:      0,
		Profile:         "development",
		Introspection:   true,
		Playground:      true,
		SchemaEndpoint:  true,
		FanoutReport:    true, // the playground's Fan-out panel asks for it
		PlanReport:      true, // and its Plan view for this
		Auth: AuthConfig{
			Mode: "off", JWKSRefresh: 5 * time.Minute, Leeway: 30 * time.Second,
			RolesClaim: "roles", StaffRole: "support", AllowAnonymous: true,
		},
		Persisted:       PersistedConfig{APQ: true},
		RateLimit:       RateLimitConfig{IPv6Prefix: 64, MaxClients: 50_000},
		Budget:          BudgetConfig{DefaultCalls: 40, Enforce: true},
		MaxBodyBytes:    1 << 20,
		FallbackEntries: 100_000,
		Cache:           CacheConfig{Entries: 100_000, MaxTTL: time.Hour},
		Memory: MemoryConfig{
			QueryDocuments: 64 << 20,
			APQ:            16 << 20,
			Verdicts:       4 << 20,
			EntityCache:    64 << 20,
			Fallback:       64 << 20,
			Plans:          32 << 20,
		},
		Redis: RedisConfig{Prefix: "tributary:", Timeout: 250 * time.Millisecond},
		Batch: BatchConfig{Mode: "rounds", Wait: time.Millisecond, Backstop: time.Second, Share: true, ShareQueue: 1000, ShareCalls: 2},
		Log:   LogConfig{Level: "info", Format: "auto"},
		Limits: LimitsConfig{
			MaxDepth:              12,
			MaxAliases:            30,
			MaxTokens:             10000,
			MaxBackendCalls:       40,
			MaxItems:              5000,
			MaxIntrospectionItems: 10000,
			MaxIntrospectionDepth: 20,
			DefaultListSize:       10,
			MaxArgumentLength:     1024,
			MaxWrites:             5,
		},
		Defaults: ServiceConfig{
			Timeout:                    time.Second,
			MaxResponseBytes:           8 << 20,
			MaxRetries:                 2,
			RetryBackoff:               25 * time.Millisecond,
			RetryBudget:                0.2,
			RetryBurst:                 10,
			BreakerConsecutiveFailures: 5,
			BreakerFailureRatio:        0.5,
			BreakerMinRequests:         20,
			BreakerWindow:              10 * time.Second,
			BreakerCooldown:            5 * time.Second,
			BreakerProbes:              1,
			MaxInFlight:                256,
			ForwardHeaders:             []string{"Authorization"},
			ContractCheck:              "off",
		},
	}
	// Every service starts as the defaults, as Load would merge them.
	c.Services = make(map[string]*ServiceConfig, len(Services))
	for _, name := range Services {
		sc := c.Defaults
		sc.ForwardHeaders = slices.Clone(sc.ForwardHeaders)
		if CallerIndependent(name) {
			sc.ForwardHeaders = nil
		}
		c.Services[name] = &sc
	}
	return c
}

// Service returns the merged configuration of the named service (the
// defaults for a service the configuration does not know).
func (c *Config) Service(name string) ServiceConfig {
	if sc := c.Services[name]; sc != nil {
		return *sc
	}
	return c.Defaults
}

// SetBackendURLs points every service at url(service), keeping the rest of
// its configuration; an empty answer leaves the service's URL as it is.
func (c *Config) SetBackendURLs(url func(service string) string) {
	for _, name := range Services {
		if u := url(name); u != "" {
			c.service(name).URL = u
		}
	}
}

// SetService replaces the configuration of the named service.
func (c *Config) SetService(name string, sc ServiceConfig) { *c.service(name) = sc }

func (c *Config) service(name string) *ServiceConfig {
	if c.Services == nil {
		c.Services = map[string]*ServiceConfig{}
	}
	sc := c.Services[name]
	if sc == nil {
		d := c.Defaults
		sc = &d
		c.Services[name] = sc
	}
	return sc
}

// MissingURLs lists the services without a base URL: in development the
// embedded demo backends serve them.
func (c *Config) MissingURLs() []string {
	var out []string
	for _, s := range Services {
		if c.Service(s).URL == "" {
			out = append(out, s)
		}
	}
	return out
}

// EnvPrefix starts every environment variable.
const EnvPrefix = "TRIBUTARY_"

// Load reads defaults, then path (if not empty), then the environment
// (environ as os.Environ returns it). It reports every problem at once,
// naming the key.
func Load(path string, environ []string) (*Config, error) {
	env, err := envLayer(environ)
	if err != nil {
		return nil, err
	}
	k, err := layers(path, env, nil)
	if err != nil {
		return nil, err
	}
	if err := removedKeys(k); err != nil {
		return nil, err
	}
	// The production profile changes defaults, not explicit settings: so
	// load again with its defaults under the file and the environment.
	if k.String("profile") == "production" {
		if k, err = layers(path, env, productionDefaults); err != nil {
			return nil, err
		}
	}

	var errs []error
	// Each service starts from `defaults` and overrides key by key; its
	// keys are decoded on their own, the rest into Config.
	defaults := k.Cut("defaults").Raw()
	delete(defaults, "contract_url")
	services := make(map[string]*koanf.Koanf, len(Services))
	for _, s := range Services {
		m := koanf.New(".")
		inherited := defaults
		if CallerIndependent(s) {
			inherited = maps.Clone(defaults)
			delete(inherited, "forward_headers")
		}
		_ = m.Load(confmap.Provider(inherited, "."), nil)
		_ = m.Load(confmap.Provider(k.Cut(s).Raw(), "."), nil)
		k.Delete(s)
		services[s] = m
	}

	var c Config
	if err := decode(k, &c); err != nil {
		errs = append(errs, err)
	}
	c.Services = make(map[string]*ServiceConfig, len(Services))
	for _, s := range Services {
		var sc ServiceConfig
		if err := decode(services[s], &sc); err != nil {
			errs = append(errs, fmt.Errorf("config: %s: %w", s, err))
		}
		c.Services[s] = &sc
	}
	errs = append(errs, c.Validate()...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &c, nil
}

// decode unmarshals k into out, naming unknown keys; on an error it still
// decodes what it can, so bad values are reported too.
func decode[T any](k *koanf.Koanf, out *T) error {
	dc := &mapstructure.DecoderConfig{
		Result:           out,
		TagName:          "koanf",
		ErrorUnused:      true,
		WeaklyTypedInput: true,
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.StringToSliceHookFunc(","),
			mapstructure.TextUnmarshallerHookFunc(),
		),
	}
	err := k.UnmarshalWithConf("", out, koanf.UnmarshalConf{Tag: "koanf", DecoderConfig: dc})
	if err == nil {
		return nil
	}
	var rest T
	dc.Result, dc.ErrorUnused = &rest, false
	if k.UnmarshalWithConf("", &rest, koanf.UnmarshalConf{Tag: "koanf", DecoderConfig: dc}) == nil {
		*out = rest
	}
	return fmt.Errorf("config: %w", err)
}

// productionDefaults are the defaults of the production profile.
var productionDefaults = map[string]any{
	"budget.enforce":  false,
	"introspection":   false,
	"schema_endpoint": false,
	"playground":      false,
	"fanout_report":   false,
	"plan_report":     false,
	"log.format":      "json",
}

// layers loads built-in defaults, then the profile's (if any), then the
// file, then the environment.
func layers(path string, env, profile map[string]any) (*koanf.Koanf, error) {
	k := koanf.New(".")
	if err := k.Load(structs.Provider(Default(), "koanf"), nil); err != nil {
		return nil, fmt.Errorf("config: defaults: %w", err)
	}
	// Services have no built-in values of their own: they inherit
	// `defaults` below, which zero values here would mask.
	for _, s := range Services {
		k.Delete(s)
	}
	if profile != nil {
		if err := k.Load(confmap.Provider(profile, "."), nil); err != nil {
			return nil, err
		}
	}
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := k.Load(confmap.Provider(env, "."), nil); err != nil {
		return nil, fmt.Errorf("config: environment: %w", err)
	}
	return k, nil
}

// removed are keys that no longer exist, with what to do instead: set in
// the file or the environment, they are refused with that message.
var removed = map[string]string{
	"engine": "every operation but introspection runs on the plan engine; gqlgen's executor serves introspection only",
}

// removedKeys reports the removed keys k sets.
func removedKeys(k *koanf.Koanf) error {
	var errs []error
	for key, why := range removed {
		if k.Exists(key) {
			errs = append(errs, fmt.Errorf("config: %s was removed: %s", key, why))
		}
	}
	return errors.Join(errs...)
}

// envLayer maps TRIBUTARY_* variables to keys; an unknown TRIBUTARY_
// variable is an error, so a typo does not silently do nothing.
func envLayer(environ []string) (map[string]any, error) {
	known := map[string]string{}
	for _, o := range Options() {
		known[o.Env] = o.Key
	}
	for key := range removed {
		known[EnvPrefix+strings.ToUpper(strings.ReplaceAll(key, ".", "_"))] = key
	}
	out := map[string]any{}
	var errs []error
	for _, kv := range environ {
		name, val, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		key, ok := known[name]
		if !ok {
			errs = append(errs, fmt.Errorf("config: unknown environment variable %s", name))
			continue
		}
		out[key] = val
	}
	return out, errors.Join(errs...)
}

// Validate returns every problem with c, each naming its key.
func (c *Config) Validate() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if !slices.Contains([]string{"development", "production"}, c.Profile) {
		bad("profile", "must be development or production, got %q", c.Profile)
	}
	switch c.Auth.Mode {
	case "off":
	case "jwt":
		if (c.Auth.JWKSURL == "") == (c.Auth.HS256Secret == "") {
			bad("auth", "mode jwt needs exactly one of jwks_url and hs256_secret")
		}
		if c.Auth.HS256Secret != "" && len(c.Auth.HS256Secret) < 32 {
			bad("auth.hs256_secret", "must be at least 32 bytes")
		}
	default:
		bad("auth.mode", "must be off or jwt, got %q", c.Auth.Mode)
	}
	if c.RateLimit.IPv6Prefix < 1 || c.RateLimit.IPv6Prefix > 128 {
		bad("rate_limit.ipv6_prefix", "must be between 1 and 128, got %d", c.RateLimit.IPv6Prefix)
	}
	if c.Limits.MaxArgumentLength < 0 {
		bad("limits.max_argument_length", "must not be negative, got %d", c.Limits.MaxArgumentLength)
	}
	if c.RateLimit.MaxClients <= 0 {
		bad("rate_limit.max_clients", "must be positive, got %d", c.RateLimit.MaxClients)
	}
	if c.RateLimit.IPRPS < 0 || c.RateLimit.IPBurst < 0 {
		bad("rate_limit.ip_rps", "ip_rps and ip_burst must not be negative")
	}
	for _, p := range c.RateLimit.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			bad("rate_limit.trusted_proxies", "%q is not a CIDR", p)
		}
	}
	if _, err := c.Budget.Parse(); err != nil {
		bad("budget.operations", "%v", err)
	}
	if c.Budget.DefaultCalls < 0 {
		bad("budget.default_calls", "must not be negative")
	}
	if c.Persisted.Only && c.Persisted.Manifest == "" {
		bad("persisted.only", "needs persisted.manifest")
	}
	if c.ListenAddr == "" {
		bad("listen_addr", "must not be empty")
	}
	if c.Cache.Entries <= 0 {
		bad("cache.entries", "must be positive, got %d", c.Cache.Entries)
	}
	for _, m := range []struct {
		key string
		n   int64
	}{
		{"memory.query_documents", c.Memory.QueryDocuments}, {"memory.apq", c.Memory.APQ}, {"memory.verdicts", c.Memory.Verdicts},
		{"memory.entity_cache", c.Memory.EntityCache}, {"memory.fallback", c.Memory.Fallback},
		{"memory.plans", c.Memory.Plans},
	} {
		if m.n <= 0 {
			bad(m.key, "must be positive, got %d", m.n)
		}
	}
	if c.Cache.MaxTTL < 0 {
		bad("cache.max_ttl", "must not be negative")
	}
	if c.Cache.AdminToken != "" && len(c.Cache.AdminToken) < 16 {
		bad("cache.admin_token", "must be at least 16 bytes")
	}
	if c.Redis.URL != "" {
		if u, err := url.Parse(c.Redis.URL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			bad("redis.url", "must be a redis:// or rediss:// URL")
		}
	}
	if c.Redis.Timeout <= 0 {
		bad("redis.timeout", "must be positive, got %s", c.Redis.Timeout)
	}
	if c.RequestTimeout <= 0 {
		bad("request_timeout", "must be positive, got %s", c.RequestTimeout)
	}
	if c.ShutdownTimeout < 0 {
		bad("shutdown_timeout", "must not be negative")
	}
	if c.DrainDelay < 0 {
		bad("drain_delay", "must not be negative")
	}
	if c.MaxBodyBytes <= 0 {
		bad("max_body_bytes", "must be positive")
	}
	switch {
	case c.Batch.Mode == "scheduler":
		bad("batch.mode", "scheduler was removed: the plan engine dispatches the loaders round by round (rounds, the default)")
	case !slices.Contains([]string{"rounds", "timer", "off"}, c.Batch.Mode):
		bad("batch.mode", "must be rounds, timer or off, got %q", c.Batch.Mode)
	}
	if c.Batch.Wait < 0 || c.Batch.Wait > time.Second {
		bad("batch.wait", "must be between 0 and 1s, got %s", c.Batch.Wait)
	}
	if c.Batch.Backstop < 0 || c.Batch.Backstop > time.Minute {
		bad("batch.backstop", "must be between 0 and 1m, got %s", c.Batch.Backstop)
	}
	if c.Batch.ShareCalls < 1 {
		bad("batch.share_calls", "must be positive, got %d", c.Batch.ShareCalls)
	}
	if c.Batch.ShareQueue < 1 {
		bad("batch.share_queue", "must be positive, got %d", c.Batch.ShareQueue)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if !slices.Contains([]string{"json", "text", "auto"}, c.Log.Format) {
		bad("log.format", "must be json, text or auto, got %q", c.Log.Format)
	}
	var missing []string
	for _, s := range Services {
		sc := c.Service(s)
		if sc.URL == "" {
			missing = append(missing, s)
		} else {
			if u, err := url.Parse(sc.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad(s+".url", "must be an absolute http(s) URL, got %q", sc.URL)
			}
		}
		if sc.Timeout <= 0 {
			bad(s+".timeout", "must be positive, got %s", sc.Timeout)
		}
		if sc.MaxResponseBytes <= 0 {
			bad(s+".max_response_bytes", "must be positive")
		}
		if sc.MaxRetries < 0 || sc.MaxRetries > 10 {
			bad(s+".max_retries", "must be between 0 and 10, got %d", sc.MaxRetries)
		}
		if sc.RetryBudget < 0 || sc.RetryBudget > 1 {
			bad(s+".retry_budget", "must be between 0 and 1, got %g", sc.RetryBudget)
		}
		if sc.BreakerFailureRatio < 0 || sc.BreakerFailureRatio > 1 {
			bad(s+".breaker_failure_ratio", "must be between 0 and 1, got %g", sc.BreakerFailureRatio)
		}
		if sc.MaxInFlight < 0 {
			bad(s+".max_in_flight", "must not be negative")
		}
		if err := upstream.CheckForward(sc.ForwardHeaders); err != nil {
			bad(s+".forward_headers", "%v", err)
		}
		if CallerIndependent(s) && len(sc.ForwardHeaders) > 0 {
			bad(s+".forward_headers", "the schema declares %s caller-independent (@source callerIndependent): its calls carry no caller headers and are shared by every caller; remove the key, or the declaration if its answers depend on the caller", s)
		}
		if !slices.Contains([]string{"off", "warn", "fail"}, sc.ContractCheck) {
			bad(s+".contract_check", "must be off, warn or fail, got %q", sc.ContractCheck)
		}
		if u, err := url.Parse(sc.ContractURL); sc.ContractURL != "" && err == nil && u.Scheme != "" && ((u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			bad(s+".contract_url", "must be an absolute http(s) URL or a file path, got %q", sc.ContractURL)
		}
	}
	_ = missing // served by the demo backends where they implement the service (serve.go: startDemo)
	for key, v := range map[string]int{"limits.max_depth": c.Limits.MaxDepth, "limits.max_aliases": c.Limits.MaxAliases,
		"limits.max_tokens": c.Limits.MaxTokens, "limits.max_backend_calls": c.Limits.MaxBackendCalls,
		"limits.max_items": c.Limits.MaxItems, "limits.max_introspection_items": c.Limits.MaxIntrospectionItems,
		"limits.default_list_size": c.Limits.DefaultListSize, "limits.max_writes": c.Limits.MaxWrites} {
		if v < 0 {
			bad(key, "must not be negative, got %d", v)
		}
	}
	if c.Demo.ErrorRate < 0 || c.Demo.ErrorRate > 1 {
		bad("demo.error_rate", "must be between 0 and 1, got %g", c.Demo.ErrorRate)
	}
	return errs
}

// Option describes one configuration key for the reference.
type Option struct {
	Key     string
	Env     string
	Default string
	Doc     string
}

// Options lists every key with its variable, default and description, in
// declaration order.
func Options() []Option {
	var out []Option
	d := Default()
	walk(reflect.ValueOf(d), "", &out)
	for _, s := range Services {
		walk(reflect.ValueOf(*d.Services[s]), s+".", &out)
	}
	return out
}

func walk(v reflect.Value, prefix string, out *[]Option) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("koanf") == "-" {
			continue
		}
		key := prefix + f.Tag.Get("koanf")
		if f.Type.Kind() == reflect.Struct {
			walk(v.Field(i), key+".", out)
			continue
		}
		def := fmt.Sprint(v.Field(i).Interface())
		if svc, sub, ok := strings.Cut(key, "."); ok && slices.Contains(Services, svc) && sub != "url" && sub != "contract_url" {
			def = "defaults." + sub // inherited
		}
		if def == "" {
			def = `""`
		}
		*out = append(*out, Option{
			Key:     key,
			Env:     EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_")),
			Default: def,
			Doc:     f.Tag.Get("doc"),
		})
	}
}

// Reference markers in docs/configuration.md: go generate (refgen) writes
// Reference between them, and a test keeps them in sync.
const (
	ReferenceStart = "<!-- config-reference:start"
	ReferenceEnd   = "<!-- config-reference:end -->"
)

// WithReference returns doc (docs/configuration.md) with the text between
// its reference markers replaced by Reference.
func WithReference(doc string) (string, error) {
	i, j := strings.Index(doc, ReferenceStart), strings.Index(doc, ReferenceEnd)
	if i < 0 || j < i {
		return "", errors.New("config: no config-reference markers")
	}
	nl := strings.Index(doc[i:], "\n")
	if nl < 0 || i+nl > j {
		return "", errors.New("config: the start marker has no line of its own")
	}
	return doc[:i+nl+1] + Reference() + doc[j:], nil
}

// Reference renders Options as a Markdown table. The keys every service
// has are listed once, as <service>.<key>, where the first of them would
// be, with a sentence naming the services (Services) before the table.
func Reference() string {
	var b strings.Builder
	names := make([]string, len(Services))
	for i, s := range Services {
		names[i] = "`" + s + "`"
	}
	fmt.Fprintf(&b, "`<service>` stands for each of %s; a `<service>.*` key that is not set takes the value of `defaults.*`.\n\n",
		strings.Join(names, ", "))
	b.WriteString("| Key | Environment variable | Default | Meaning |\n|---|---|---|---|\n")
	row := func(o Option) { fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | %s |\n", o.Key, o.Env, o.Default, o.Doc) }
	perService := false
	for _, o := range Options() {
		svc, _, ok := strings.Cut(o.Key, ".")
		if !ok || !slices.Contains(Services, svc) {
			row(o)
			continue
		}
		if !perService {
			perService = true
			for _, so := range serviceOptions() {
				row(so)
			}
		}
	}
	if !perService {
		for _, so := range serviceOptions() {
			row(so)
		}
	}
	return b.String()
}

// serviceOptions are the keys of ServiceConfig, as <service>.<key>: each
// inherits defaults.<key> but url, which has no default.
func serviceOptions() []Option {
	var opts []Option
	walk(reflect.ValueOf(ServiceConfig{}), "", &opts)
	for i, o := range opts {
		opts[i].Key = "<service>." + o.Key
		opts[i].Env = EnvPrefix + "<SERVICE>_" + strings.ToUpper(strings.ReplaceAll(o.Key, ".", "_"))
		opts[i].Default = "defaults." + o.Key
		if o.Key == "url" || o.Key == "contract_url" {
			opts[i].Default = `""`
		}
	}
	return opts
}

// Parse returns the per-operation budgets.
func (b BudgetConfig) Parse() (map[string]int, error) {
	out := make(map[string]int, len(b.Operations))
	for _, o := range b.Operations {
		name, n, ok := strings.Cut(o, "=")
		calls, err := strconv.Atoi(strings.TrimSpace(n))
		if !ok || err != nil || calls < 0 || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("%q is not Name=calls", o)
		}
		out[strings.TrimSpace(name)] = calls
	}
	return out, nil
}
