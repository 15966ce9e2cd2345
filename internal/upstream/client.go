// Package upstream is the HTTP core shared by the backend clients in
// services/: one tuned transport, per-call timeouts bounded by the request's
// deadline, header propagation, a response size cap, batch splitting, and
// failures classified once into typed errors.
package upstream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"
)

// Defaults for Config's zero values.
const (
	DefaultTimeout          = 1 * time.Second
	DefaultMaxResponseBytes = 8 << 20
	// MaxBatch is the contract's limit of ids per batch request.
	MaxBatch = 100
)

// Config configures the client of one backend service.
type Config struct {
	// Service names the backend in errors, logs and metrics ("catalog").
	Service string
	// BaseURL is the service's root, e.g. "http://127.0.0.1:9101".
	BaseURL string
	// Timeout bounds each call; the request's own deadline still wins when
	// it is sooner. Zero means DefaultTimeout.
	Timeout time.Duration
	// MaxResponseBytes caps a response body; larger bodies fail with
	// CodeBadResponse. Zero means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Policy adds retries, a circuit breaker and a bulkhead; nil calls once.
	Policy *Policy
	// Forward lists the client headers passed on to this service (an
	// allow-list; hop-by-hop and gateway-internal headers never pass).
	Forward []string
	// IdentityHeader, when set, carries the authenticated subject; a
	// client's own copy of it is never forwarded.
	IdentityHeader string
}

// neverForwarded are headers that describe the client's connection to the
// gateway, or that the gateway itself sets, so forwarding them would be
// wrong or a spoofing vector.
var neverForwarded = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Host": true, "Content-Length": true, "Content-Type": true, "Accept-Encoding": true,
	"X-Request-Id": true, "Traceparent": true, "Tracestate": true,
	// Each write's key is the gateway's, derived from the client's (see
	// connect.WriteKey); the client's own would make two writes one.
	"Idempotency-Key": true,
	"X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true, "Forwarded": true,
}

// CheckForward reports a header that may not be forwarded, for config
// validation.
func CheckForward(names []string) error {
	for _, n := range names {
		if c := http.CanonicalHeaderKey(n); neverForwarded[c] || strings.HasPrefix(c, "X-Tributary-") {
			return fmt.Errorf("header %s is never forwarded", c)
		}
	}
	return nil
}

// Client makes calls to one backend. It is safe for concurrent use.
type Client struct {
	service string
	base    *url.URL
	// basePath is base's escaped path, which each call's path extends.
	basePath string
	host     string
	timeout  time.Duration
	maxBody  int64
	forward  []string
	ident    string
	http     *http.Client
	// direct is http's transport when a call can skip http.Do (see send).
	direct http.RoundTripper
	policy *Policy
	obs    Observer
}

// New returns a client for cfg that sends requests through hc (shared by all
// services so connections are pooled in one place). obs may be nil.
func New(cfg Config, hc *http.Client, obs Observer) (*Client, error) {
	if cfg.Service == "" {
		return nil, errors.New("upstream: service name is empty")
	}
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("upstream: %s: base URL %q is not an absolute http(s) URL", cfg.Service, cfg.BaseURL)
	}
	c := &Client{
		service:  cfg.Service,
		base:     u,
		basePath: u.EscapedPath(),
		// What NewRequest makes of the host: no empty port.
		host:    strings.TrimSuffix(u.Host, ":"),
		timeout: cfg.Timeout,
		maxBody: cfg.MaxResponseBytes,
		http:    hc,
		policy:  cfg.Policy,
		obs:     obs,
		ident:   http.CanonicalHeaderKey(cfg.IdentityHeader),
	}
	if err := CheckForward(cfg.Forward); err != nil {
		return nil, fmt.Errorf("upstream: %s: %w", cfg.Service, err)
	}
	for _, h := range cfg.Forward {
		if h := http.CanonicalHeaderKey(h); h != c.ident {
			c.forward = append(c.forward, h)
		}
	}
	c.direct = directTransport(hc, u)
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.obs == nil {
		c.obs = nopObserver{}
	}
	return c, nil
}

// Service returns the service name the client was configured with.
func (c *Client) Service() string { return c.service }

// Request is one GET to a backend.
type Request struct {
	// Endpoint is a stable, low-cardinality name for metrics and errors.
	Endpoint string
	// Path is joined to the base URL; segments must already be escaped.
	Path  string
	Query url.Values
	// RawQuery is the query already encoded (see BatchQuery); it is sent
	// when Query is nil.
	RawQuery string
	// IDs is the number of ids the call asks for, for batch-size metrics.
	IDs int
	// Single marks a single-item path, where 404 means "no such item";
	// elsewhere the contract has no 404 and one means a misrouted call.
	Single bool
	// Require names the body's top-level key the contract requires (e.g.
	// "products"). When out decodes empty (see Lener), the key must be
	// present, so a body of the wrong shape is not mistaken for "no rows".
	Require string
	// Meta, when not nil, receives what a successful answer says about
	// itself (its caching headers); untouched when the call fails.
	Meta *Meta

	// Method is the HTTP method; "" is GET. Other methods are writes: see
	// Send.
	Method string
	// Body is a write's JSON body; nil sends none.
	Body []byte
	// IdempotencyKey is sent as the Idempotency-Key header of a write;
	// only a write that has one is ever retried.
	IdempotencyKey string
}

// method is the request's HTTP method.
func (r *Request) method() string {
	if r.Method == "" {
		return http.MethodGet
	}
	return r.Method
}

// write reports whether the request is a write.
func (r *Request) write() bool { return r.Method != "" && r.Method != http.MethodGet }

// Meta is what an answer says about itself, for the entity cache.
type Meta struct {
	// CacheControl is the answer's Cache-Control header ("" when absent).
	CacheControl string
	// Age is the answer's Age header, the seconds it spent in caches on
	// the way ("" when absent).
	Age string
}

// Credentialed reports whether a call made under ctx would carry something
// that identifies the caller to the service: one of its forwarded headers
// (Authorization by default) or the identity header. Such an answer may
// be the caller's own and must never be shared with another caller.
func (c *Client) Credentialed(ctx context.Context) bool {
	o := OutgoingFrom(ctx)
	if c.ident != "" && identity(ctx) != "" {
		return true
	}
	for _, k := range c.forward {
		if len(o.Incoming[k]) > 0 {
			return true
		}
	}
	return false
}

// Caller names the caller a call made under ctx would identify to the
// service: "" when it carries nothing that does (see Credentialed), else
// a digest of what it carries (identity and forwarded headers), so that
// answers kept per caller can be told apart without keeping credentials.
func (c *Client) Caller(ctx context.Context) string {
	if !c.Credentialed(ctx) {
		return ""
	}
	o := OutgoingFrom(ctx)
	h := sha256.New()
	if c.ident != "" {
		io.WriteString(h, identity(ctx))
	}
	for _, k := range c.forward {
		for _, v := range o.Incoming[k] {
			h.Write([]byte{0})
			io.WriteString(h, k)
			h.Write([]byte{0})
			io.WriteString(h, v)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Lener is implemented by response envelopes; see Request.Require.
type Lener interface{ Len() int }

// Get performs req and decodes a 2xx JSON body into out. A 404 returns an
// *Error wrapping ErrNotFound. Every other failure is an *Error.
func (c *Client) Get(ctx context.Context, req Request, out any) error {
	req.Method, req.Body, req.IdempotencyKey = "", nil, ""
	return c.call(ctx, req, out)
}

// Send performs a write (req.Method POST, PUT, PATCH or DELETE) and decodes
// a 2xx JSON body into out. It goes through the breaker and the bulkhead
// like a read, so an open breaker or a full bulkhead sends nothing; it is
// retried, for the transient failures the policy retries, only when it
// carries an IdempotencyKey, and always with that key. Its answer is never
// cached. A failure is an *Error whose MaybeApplied says whether the write
// may have taken effect; a 404 wraps ErrNotFound when req.Single.
func (c *Client) Send(ctx context.Context, req Request, out any) error {
	if !req.write() {
		return c.fail(req, CodeServiceError, 0, false, fmt.Errorf("send: %s is not a write method", req.method()))
	}
	req.Meta, req.Require = nil, ""
	return c.call(ctx, req, out)
}

func (c *Client) call(ctx context.Context, req Request, out any) error {
	rec := RecorderFrom(ctx)
	start := time.Now()
	if rec != nil && !rec.admit() {
		e := c.fail(req, CodeBudgetExceeded, 0, false, errors.New("fan-out budget exhausted"))
		rec.addRefused(Call{Service: c.service, Endpoint: req.Endpoint, Method: req.method(), IDs: req.IDs, Start: start, Code: e.Code})
		e.Write = req.write()
		return e
	}
	// unsure: an attempt of this write may have taken effect without the
	// gateway learning its outcome.
	unsure := false
	err := c.policy.do(ctx, c, req, func(ctx context.Context, attempt int) error {
		err := c.once(ctx, rec, req, attempt, out)
		if req.write() && err != nil {
			if e, ok := AsError(err); ok {
				e.Write = true
				e.MaybeApplied = e.outcomeUnknown() || unsure && e.idempotencyConflict()
				unsure = unsure || e.MaybeApplied
			}
		}
		return err
	})
	if err == nil {
		return nil
	}
	var ue *Error
	if !errors.As(err, &ue) {
		ue = &Error{Service: c.service, Endpoint: req.Endpoint, Code: classifyTransport(ctx, err), Err: err, Temp: true}
	}
	if req.write() {
		ue.Write = true
		if ue.Code == CodeCircuitOpen || ue.Code == CodeOverloaded || ue.Code == CodeBudgetExceeded {
			// This attempt was not sent; an earlier one may have been.
			ue.MaybeApplied = unsure
		}
	}
	if rec != nil && (ue.Code == CodeCircuitOpen || ue.Code == CodeOverloaded) {
		// The last attempt was not sent: the breaker refused it at once, or
		// the bulkhead let it wait from the start for a slot.
		refused := Call{Service: c.service, Endpoint: req.Endpoint, Method: req.method(), IDs: req.IDs, Attempt: ue.Retries, Start: time.Now(), Code: ue.Code}
		if ue.Code == CodeOverloaded {
			refused.Start, refused.Duration = start, time.Since(start)
		}
		rec.addRefused(refused)
	}
	return ue
}

// once makes one attempt, bounded by the client's timeout, and records it
// in rec (the request's Recorder, or nil).
func (c *Client) once(ctx context.Context, rec *Recorder, req Request, attempt int, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	start := time.Now()
	call := Call{Service: c.service, Endpoint: req.Endpoint, Method: req.method(), IDs: req.IDs, Attempt: attempt, Start: start}
	hreq, err := c.newRequest(&callContext{Context: ctx, call: call}, &req)
	if err != nil {
		return c.fail(req, CodeServiceError, 0, false, err)
	}

	c.obs.CallStarted(ctx, call)
	status, err := c.exchange(ctx, hreq, req, out)
	call.Duration = time.Since(start)
	call.Status = status
	if err != nil {
		if ue, ok := AsError(err); ok {
			call.Code = ue.Code
		}
	}
	c.obs.CallFinished(ctx, call)
	if rec != nil {
		rec.add(call)
	}
	return err
}

func (c *Client) exchange(ctx context.Context, hreq *http.Request, req Request, out any) (int, error) {
	resp, err := c.send(hreq)
	if err != nil {
		e := c.fail(req, classifyTransport(ctx, err), 0, true, err)
		e.sent = !notSent(err)
		return 0, e
	}
	defer resp.Body.Close()

	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	body, err := c.readBody(resp, buf)
	if err != nil {
		code := classifyTransport(ctx, err)
		if errors.Is(err, errTooLarge) || errors.Is(err, io.ErrUnexpectedEOF) {
			code = CodeBadResponse
		}
		return resp.StatusCode, c.fail(req, code, resp.StatusCode, code != CodeBadResponse, err)
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if resp.StatusCode == http.StatusNotFound && req.write() {
			return resp.StatusCode, c.fail(req, CodeRejected, resp.StatusCode, false, fmt.Errorf("%w: %s", ErrNotFound, backendMessage(body)))
		}
		if resp.StatusCode == http.StatusNotFound && req.Single {
			return resp.StatusCode, c.fail(req, CodeRejected, resp.StatusCode, false, ErrNotFound)
		}
		code, temp := classifyStatus(resp.StatusCode)
		e := c.fail(req, code, resp.StatusCode, temp, errors.New(backendMessage(body)))
		if resp.StatusCode == http.StatusTooManyRequests {
			e.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
		}
		return resp.StatusCode, e
	}
	if err := decodeJSON(body, out); err != nil {
		return resp.StatusCode, c.fail(req, CodeBadResponse, resp.StatusCode, false, err)
	}
	if req.Require != "" {
		// Only an empty result needs the (rare, cheap) second look.
		if l, ok := out.(Lener); ok && l.Len() == 0 && !hasKey(body, req.Require) {
			return resp.StatusCode, c.fail(req, CodeBadResponse, resp.StatusCode, false,
				fmt.Errorf("decode: body has no %q key", req.Require))
		}
	}
	if v, ok := out.(Validator); ok {
		if err := v.Validate(); err != nil {
			return resp.StatusCode, c.fail(req, CodeBadResponse, resp.StatusCode, false, err)
		}
	}
	if req.Meta != nil {
		*req.Meta = Meta{CacheControl: resp.Header.Get("Cache-Control"), Age: resp.Header.Get("Age")}
	}
	return resp.StatusCode, nil
}

var errTooLarge = errors.New("response body over the size cap")

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody reads at most maxBody bytes into buf; it fails rather than
// truncate. The bytes are valid until buf is reused: decoding copies what
// it keeps.
func (c *Client) readBody(resp *http.Response, buf *bytes.Buffer) ([]byte, error) {
	if resp.ContentLength > c.maxBody {
		return nil, fmt.Errorf("%w: Content-Length %d > %d", errTooLarge, resp.ContentLength, c.maxBody)
	}
	buf.Reset()
	if n := resp.ContentLength; n > 0 {
		buf.Grow(int(n) + 1) // room for the body and the EOF
	}
	// At most maxBody+1 bytes are read, as through an io.LimitReader
	// (which would take an allocation per call).
	left := c.maxBody + 1
	for left > 0 {
		if buf.Available() == 0 {
			buf.Grow(bytes.MinRead)
		}
		p := buf.AvailableBuffer()
		p = p[:min(int64(cap(p)), left)]
		n, err := resp.Body.Read(p)
		buf.Write(p[:n]) // in place: p is buf's own free space
		left -= int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(buf.Len()) > c.maxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", errTooLarge, c.maxBody)
	}
	return buf.Bytes(), nil
}

func (c *Client) fail(req Request, code Code, status int, temp bool, err error) *Error {
	return &Error{Service: c.service, Endpoint: req.Endpoint, Code: code, Status: status, Temp: temp, Err: err}
}

// decodeJSON decodes exactly one JSON value (trailing data is an error)
// with goccy/go-json: a drop-in for encoding/json that decodes our
// payloads about 3-4x faster (BenchmarkDecode; numbers in bench/README.md).
func decodeJSON(body []byte, out any) error {
	if err := gojson.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// Validator is implemented by response types that check what JSON decoding
// cannot (required ids, enum values); a failure is CodeBadResponse.
type Validator interface{ Validate() error }

func hasKey(body []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}

// backendMessage extracts the contract's {"error": "..."} message, for logs.
func backendMessage(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	const max = 200
	if len(body) > max {
		body = body[:max]
	}
	return fmt.Sprintf("non-JSON error body: %q", body)
}

// TransportConfig tunes the shared transport; zero values take the defaults.
type TransportConfig struct {
	MaxIdleConnsPerHost int
	MaxConnsPerHost     int
	IdleConnTimeout     time.Duration
	DialTimeout         time.Duration
}

// NewTransport returns the transport every backend client shares.
func NewTransport(tc TransportConfig) *http.Transport {
	if tc.MaxIdleConnsPerHost <= 0 {
		// The default of 2 churns connections: a level of a query fans out
		// to each service at once, and under load hundreds of calls per
		// second go to the same six hosts.
		tc.MaxIdleConnsPerHost = 256
	}
	if tc.IdleConnTimeout <= 0 {
		// Long enough to span quiet periods, shorter than typical backend
		// keep-alive timeouts so we close first and never reuse a dying one.
		tc.IdleConnTimeout = 60 * time.Second
	}
	if tc.DialTimeout <= 0 {
		// A refused or black-holed backend must fail well inside the call
		// timeout so the error names the real cause.
		tc.DialTimeout = 2 * time.Second
	}
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   tc.DialTimeout,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:        tc.MaxIdleConnsPerHost * 8, // six backends and headroom
		MaxIdleConnsPerHost: tc.MaxIdleConnsPerHost,
		// 0 = unlimited; the bulkhead limits in-flight calls per service.
		MaxConnsPerHost:       tc.MaxConnsPerHost,
		IdleConnTimeout:       tc.IdleConnTimeout,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		// The backends speak HTTP/1.1 JSON; h2 over TLS is still negotiated
		// for https base URLs.
		ForceAttemptHTTP2: true,
	}
}

// NewHTTPClient wraps t. No Client.Timeout: each call sets its own deadline.
func NewHTTPClient(t http.RoundTripper) *http.Client {
	return &http.Client{
		Transport: t,
		// The contract has no redirects; following one could leak
		// forwarded credentials to another host.
		CheckRedirect: useLastResponse,
	}
}
