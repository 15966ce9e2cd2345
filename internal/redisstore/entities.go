package redisstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tributary-gw/tributary/internal/connect"
)

// Entities is the entity cache's shared level. Each cached answer is a key
// of its own — the entity (service, id) and a hash of its endpoint and
// parameters — with its own TTL, never extended: Redis expires (and, under
// maxmemory, evicts) each answer alone. A value is its expiry (unix
// milliseconds, 8 bytes big-endian) and the JSON. Invalidation finds an
// entity's answers in its index, a sorted set of their keys scored by
// expiry: every write drops the members that have expired, and the index
// lives exactly as long as its last live answer, so it holds no more than
// the answers alive and outlives none of them.
type Entities struct{ s *Store }

var _ connect.Store = Entities{}

// Entities returns the entity cache's shared level.
func (s *Store) Entities() Entities { return Entities{s} }

func (e Entities) entity(service, id string) string { return e.s.prefix + "e:" + service + ":" + id }

// answer names one answer: the parameters are client strings (bounded by
// limits.max_argument_length), so they are hashed, not spelt out.
func (e Entities) answer(k connect.EntityKey) string {
	h := sha256.Sum256([]byte(k.Endpoint + "\x00" + k.Query))
	return e.entity(k.Service, k.ID) + ":" + hex.EncodeToString(h[:16])
}

// index names the sorted set of an entity's answer keys.
func (e Entities) index(service, id string) string { return e.entity(service, id) + ":idx" }

// channel carries invalidations: "service\x00id".
func (s *Store) channel() string { return s.prefix + "invalidate" }

// setAnswer stores an answer (KEYS[1]) for ARGV[2] ms and records it in its
// entity's index (KEYS[2]), pruning expired members and making the index
// live as long as its longest-lived answer, by Redis's own clock.
var setAnswer = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], last[2])
return 1`)

// dropEntity deletes every answer in an entity's index (KEYS[1]) and the
// index.
var dropEntity = redis.NewScript(`
local ks = redis.call('ZRANGE', KEYS[1], 0, -1)
for i = 1, #ks, 500 do
	redis.call('DEL', unpack(ks, i, math.min(i + 499, #ks)))
end
redis.call('DEL', KEYS[1])
return #ks`)

// Get implements connect.Store.
func (e Entities) Get(ctx context.Context, keys []connect.EntityKey) ([][]byte, []time.Duration, error) {
	if err := e.s.available(); err != nil {
		return nil, nil, e.s.result("entity_cache", err)
	}
	pipe := e.s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.Get(ctx, e.answer(k))
	}
	_, err := pipe.Exec(ctx)
	if err := e.s.result("entity_cache", err); err != nil {
		return nil, nil, err
	}
	now := time.Now().UnixMilli()
	vals := make([][]byte, len(keys))
	ttls := make([]time.Duration, len(keys))
	for i, c := range cmds {
		b, err := c.Bytes()
		if err != nil || len(b) < 8 {
			continue
		}
		exp := int64(binary.BigEndian.Uint64(b[:8]))
		if exp <= now {
			continue
		}
		vals[i], ttls[i] = b[8:], time.Duration(exp-now)*time.Millisecond
	}
	return vals, ttls, nil
}

// Set implements connect.Store.
func (e Entities) Set(ctx context.Context, values []connect.Stored) error {
	if err := e.s.available(); err != nil {
		return e.s.result("entity_cache", err)
	}
	pipe := e.s.rdb.Pipeline()
	now := time.Now()
	for _, v := range values {
		ms := v.TTL.Milliseconds()
		if ms <= 0 {
			continue
		}
		b := make([]byte, 8+len(v.Value))
		binary.BigEndian.PutUint64(b, uint64(now.Add(v.TTL).UnixMilli()))
		copy(b[8:], v.Value)
		setAnswer.Eval(ctx, pipe, []string{e.answer(v.Key), e.index(v.Key.Service, v.Key.ID)}, b, ms)
	}
	_, err := pipe.Exec(ctx)
	return e.s.result("entity_cache", err)
}

// AckWait bounds how long Invalidate waits for the replicas to say they
// dropped their in-process copies.
const AckWait = time.Second

// ackTTL keeps an invalidation's acknowledgements no longer than needed.
const ackTTL = 30 * time.Second

// Invalidate implements connect.Store: it deletes the entity's answers,
// publishes the invalidation to every replica (this one included) and
// waits, at most AckWait, until each replica that received it has dropped
// its in-process copies: after a write, a read sent to any replica shows
// it. A replica that does not answer in time keeps its copy until the
// message reaches it (or the copy expires); that is logged, not an error.
func (e Entities) Invalidate(ctx context.Context, service, id string) error {
	if err := e.s.available(); err != nil {
		return e.s.result("invalidation", err)
	}
	var tok [12]byte
	_, _ = rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	pipe := e.s.rdb.TxPipeline()
	dropEntity.Eval(ctx, pipe, []string{e.index(service, id)})
	pub := pipe.Publish(ctx, e.s.channel(), service+"\x00"+id+"\x00"+token)
	_, err := pipe.Exec(ctx)
	if err := e.s.result("invalidation", err); err != nil {
		return err
	}
	return e.awaitAcks(ctx, e.s.ackKey(token), pub.Val())
}

// awaitAcks waits for n acknowledgements on key, within AckWait.
func (e Entities) awaitAcks(ctx context.Context, key string, n int64) error {
	ctx, cancel := context.WithTimeout(ctx, AckWait)
	defer cancel()
	defer e.s.rdb.Del(context.WithoutCancel(ctx), key)
	for got := int64(0); got < n; {
		// BLPOP waits whole seconds at least; the context ends it sooner.
		res, err := e.s.rdb.BLPop(ctx, AckWait, key).Result()
		switch {
		case err == nil:
			got += int64(len(res) / 2)
		case errors.Is(err, redis.Nil), ctx.Err() != nil:
			return fmt.Errorf("invalidation: %d of %d replicas confirmed within %s", got, n, AckWait)
		default:
			return e.s.result("invalidation", err)
		}
	}
	return nil
}

// ackKey is the list an invalidation's acknowledgements are pushed to.
func (s *Store) ackKey(token string) string { return s.prefix + "ack:" + token }

// Subscribe calls drop for every invalidation any replica publishes, until
// ctx is done, and acknowledges it once dropped (see Invalidate). The
// subscription survives Redis restarts (go-redis resubscribes);
// invalidations published while it was down are lost, and those entries
// live out their TTL.
func (s *Store) Subscribe(ctx context.Context, drop func(service, id string)) {
	ps := s.rdb.Subscribe(ctx, s.channel())
	defer ps.Close()
	ch := ps.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			service, rest, found := cut(m.Payload)
			if !found {
				continue
			}
			id, token, _ := cut(rest)
			if token == "" {
				id = rest // from a replica that waits for no acknowledgement
			}
			drop(service, id)
			if token != "" {
				pipe := s.rdb.Pipeline()
				pipe.RPush(ctx, s.ackKey(token), 1)
				pipe.Expire(ctx, s.ackKey(token), ackTTL)
				_, _ = pipe.Exec(ctx) // the writer stops waiting at AckWait
			}
		}
	}
}

func cut(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}
