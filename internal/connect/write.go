package connect

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

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

// Stale names cache entries a write made stale: every entry of the
// service about the key (an entity's id, or the key of a batch look-up).
type Stale struct {
	Service, Key string
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
