package redisstore

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tributary-gw/tributary/internal/connect"
)

// Entities is the entity cache's shared level: one hash per entity
// (service, id) whose fields are its endpoint and parameters, so one DEL
// invalidates every answer about it. A field's value is its expiry (unix
// milliseconds, 8 bytes big-endian) and the JSON; the hash lives as long as
// its longest field.
type Entities struct{ s *Store }

var _ connect.Store = Entities{}

// Entities returns the entity cache's shared level.
func (s *Store) Entities() Entities { return Entities{s} }

func (e Entities) key(service, id string) string { return e.s.prefix + "e:" + service + ":" + id }

func field(k connect.EntityKey) string { return k.Endpoint + "\x00" + k.Query }

// channel carries invalidations: "service\x00id".
func (s *Store) channel() string { return s.prefix + "invalidate" }

// setField sets a field and extends the hash's life to cover it.
var setField = redis.NewScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then
	redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1`)

// Get implements connect.Store.
func (e Entities) Get(ctx context.Context, keys []connect.EntityKey) ([][]byte, []time.Duration, error) {
	if err := e.s.available(); err != nil {
		return nil, nil, e.s.result("entity_cache", err)
	}
	pipe := e.s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.HGet(ctx, e.key(k.Service, k.ID), field(k))
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
		b := make([]byte, 8+len(v.Value))
		binary.BigEndian.PutUint64(b, uint64(now.Add(v.TTL).UnixMilli()))
		copy(b[8:], v.Value)
		setField.Eval(ctx, pipe, []string{e.key(v.Key.Service, v.Key.ID)}, field(v.Key), b, v.TTL.Milliseconds())
	}
	_, err := pipe.Exec(ctx)
	return e.s.result("entity_cache", err)
}

// Invalidate implements connect.Store: it deletes the entity's hash and
// publishes the invalidation to every replica (this one included).
func (e Entities) Invalidate(ctx context.Context, service, id string) error {
	if err := e.s.available(); err != nil {
		return e.s.result("invalidation", err)
	}
	pipe := e.s.rdb.TxPipeline()
	pipe.Del(ctx, e.key(service, id))
	pipe.Publish(ctx, e.s.channel(), service+"\x00"+id)
	_, err := pipe.Exec(ctx)
	return e.s.result("invalidation", err)
}

// Subscribe calls drop for every invalidation any replica publishes, until
// ctx is done. The subscription survives Redis restarts (go-redis
// resubscribes); invalidations published while it was down are lost, and
// those entries live out their TTL.
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
			service, id, found := cut(m.Payload)
			if found {
				drop(service, id)
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
