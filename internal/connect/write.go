package connect

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tributary-gw/tributary/internal/auth"
	"github.com/tributary-gw/tributary/internal/upstream"
)

// WriteEndpoint is one compiled write connector (@write): a method and a
// path template of a service, checked against its contract at generation.
type WriteEndpoint struct {
	// Name labels the write in metrics, errors and the fan-out report
	// ("reviews.createReview").
	Name   string
	Method string
	// Path is the template, its parameters in braces ("/orders/{id}/cancel").
	Path string
}

// Write is one write to send: the endpoint, the values of its path
// parameters and its JSON body (nil for none).
type Write struct {
	Endpoint WriteEndpoint
	Params   map[string]string
	Body     []byte
}

// IdempotencyHeader is the client's header a resent request repeats, and
// the header the gateway sends each write with.
const IdempotencyHeader = "Idempotency-Key"

// WriteKey returns the Idempotency-Key of the write made by the field of
// ctx. When the client sent an Idempotency-Key, it is derived from that
// key, the caller and the field's path — so a client that resends the
// whole request with the same header sends every write with the same key
// as the first time, and the service applies it once; two callers' keys
// never collide. Otherwise it is random: the gateway's own retries are
// safe, a client's resend is a new write.
func WriteKey(ctx context.Context, caller string) string {
	client := upstream.OutgoingFrom(ctx).Incoming.Get(IdempotencyHeader)
	if client == "" {
		var b [16]byte
		_, _ = rand.Read(b[:]) // never fails (crypto/rand)
		return "tg-" + hex.EncodeToString(b[:])
	}
	h := sha256.New()
	for _, part := range []string{caller, client, fieldPath(ctx)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "tg-" + hex.EncodeToString(h.Sum(nil))
}

// fieldPath is the response path of the field of ctx ("addReview", or
// "second" for an aliased field): what tells two writes of one request
// apart.
func fieldPath(ctx context.Context) string {
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		return fc.Path().String()
	}
	return ""
}

// Send sends w through c with the key, and decodes the answer into out. A
// write is never cached, shared with another request or deduplicated:
// each call is its own.
func Send(ctx context.Context, c *upstream.Client, w Write, key string, out any) error {
	path := w.Endpoint.Path
	for name, v := range w.Params {
		path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(v))
	}
	return c.Send(ctx, upstream.Request{
		Endpoint:       w.Endpoint.Name,
		Path:           path,
		Method:         w.Endpoint.Method,
		Body:           w.Body,
		IDs:            1,
		IdempotencyKey: key,
	}, out)
}

// Body encodes a write's body from its properties (name, value pairs, in
// the declared order).
func Body(kv ...any) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv[i])
		v, err := json.Marshal(kv[i+1])
		if err != nil {
			v = []byte("null") // only strings, numbers and booleans are declared
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// Invalidate drops the entries a successful write made stale, here and,
// through the shared store, on every replica. A failure to tell the other
// replicas is logged: the write itself succeeded, and their entries expire
// on their own.
func Invalidate(ctx context.Context, cc *Cache, stale ...Stale) {
	if cc == nil {
		return
	}
	for _, s := range stale {
		if s.Key == "" {
			continue
		}
		if _, err := cc.Invalidate(ctx, s.Service, s.Key); err != nil {
			cc.log.LogAttrs(ctx, slog.LevelWarn, "entity cache: invalidation after a write not shared",
				slog.String("service", s.Service), slog.String("error", err.Error()))
		}
	}
}

// CheckLength checks a string argument's length in characters against the
// contract's bounds (minLength, maxLength; hi < 0: no maximum).
func CheckLength(name string, v any, lo, hi int) error {
	s, ok := Arg(v)
	if !ok {
		return nil // null: validation reports that
	}
	n := utf8.RuneCountInString(s)
	switch {
	case n < lo && hi >= 0:
		return InputError("%s must be %d to %d characters, got %d", name, lo, hi, n)
	case n < lo:
		return InputError("%s must be at least %d characters, got %d", name, lo, n)
	case hi >= 0 && n > hi:
		return InputError("%s must be %d to %d characters, got %d", name, lo, hi, n)
	}
	return nil
}

// CheckEnum checks an argument against the contract's enum.
func CheckEnum(name string, v any, allowed ...string) error {
	s, ok := Arg(v)
	if !ok {
		return nil
	}
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	return InputError("%s must be one of %s, got %q", name, strings.Join(allowed, ", "), s)
}

// CodeForbidden marks a write the caller may not make.
const CodeForbidden = "FORBIDDEN"

// Forbidden is the error of a write refused by its owner rule: nothing was
// sent.
func Forbidden(field string) error {
	return &gqlerror.Error{
		Message:    "not allowed to write " + field,
		Extensions: map[string]any{"code": CodeForbidden, "mayHaveBeenApplied": false},
	}
}

// Unauthenticated is the error of a write made as the caller when there is
// none (authentication off): nothing was sent.
func Unauthenticated(field string) error {
	return &gqlerror.Error{
		Message:    field + " writes as the signed-in caller; there is none",
		Extensions: map[string]any{"code": "UNAUTHENTICATED", "mayHaveBeenApplied": false},
	}
}

// Caller is the authenticated subject of ctx; "" for an anonymous caller.
func Caller(ctx context.Context) string {
	p, _ := auth.PrincipalFrom(ctx)
	return p.Subject
}

// Read is the look-up a write makes before it is sent, to decide its owner:
// a GET of a single-item path, never cached (ownership is decided on what
// the service says now).
type Read struct {
	Name   string
	Path   string
	Params map[string]string
}

// Owner reads r and returns its property prop (the owning user). A 404 is
// an *upstream.Error wrapping upstream.ErrNotFound; like every failure of
// the read it says that nothing was written.
func Owner(ctx context.Context, c *upstream.Client, r Read, prop string) (string, error) {
	path := r.Path
	for name, v := range r.Params {
		path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(v))
	}
	var item map[string]json.RawMessage
	err := c.Get(ctx, upstream.Request{Endpoint: r.Name, Path: path, IDs: 1, Single: true}, &item)
	if err != nil {
		if e, ok := upstream.AsError(err); ok {
			e.Write = true // the write's error: it was not sent
		}
		return "", err
	}
	var owner string
	if json.Unmarshal(item[prop], &owner) != nil || owner == "" {
		return "", &upstream.Error{Service: c.Service(), Endpoint: r.Name, Code: upstream.CodeBadResponse, Write: true,
			Err: fmt.Errorf("the answer has no string %q", prop)}
	}
	return owner, nil
}

// Stale names a cache key a write makes stale; Prop, when set, takes the
// key from the write's answer instead of Key.
type Stale struct {
	Service string
	Key     string
	Prop    string
}

// Do sends w with key, decodes the answer into a new T and drops the
// cache entries the write made stale. An answer that cannot be decoded is
// a BAD_BACKEND_RESPONSE of a write that was applied.
func Do[T any](ctx context.Context, c *upstream.Client, cc *Cache, w Write, key string, stale ...Stale) (*T, error) {
	var raw json.RawMessage
	if err := Send(ctx, c, w, key, &raw); err != nil {
		return nil, err
	}
	var props map[string]json.RawMessage
	_ = json.Unmarshal(raw, &props)
	for i, s := range stale {
		if s.Prop != "" {
			stale[i].Key = ""
			_ = json.Unmarshal(props[s.Prop], &stale[i].Key)
		}
	}
	Invalidate(ctx, cc, stale...)
	out := new(T)
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, &upstream.Error{Service: c.Service(), Endpoint: w.Endpoint.Name, Code: upstream.CodeBadResponse,
			Write: true, MaybeApplied: true, Err: fmt.Errorf("decode: %w", err)}
	}
	return out, nil
}

// ArgString is a string argument's value ("" when null).
func ArgString(v any) string {
	s, _ := Arg(v)
	return s
}

// WithProp adds a property to an encoded body object.
func WithProp(body []byte, name string, v any) []byte {
	k, _ := json.Marshal(name)
	val, err := json.Marshal(v)
	if err != nil {
		return body
	}
	out := append([]byte(nil), body[:len(body)-1]...)
	if len(out) > 1 {
		out = append(out, ',')
	}
	out = append(out, k...)
	out = append(out, ':')
	out = append(out, val...)
	return append(out, '}')
}

// CheckPatternArg checks a string argument against the contract's pattern.
func CheckPatternArg(name string, v any, re *regexp.Regexp, endpoint string) error {
	s, ok := Arg(v)
	if !ok {
		return nil
	}
	return CheckPattern(name, s, re, endpoint)
}
