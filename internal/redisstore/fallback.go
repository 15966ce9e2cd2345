package redisstore

import (
	"context"
	"encoding/binary"
	"time"
)

// Fallback is the @fallback last-good store shared by the replicas: a value
// one replica fetched can stand in on another when the service fails. A
// value is its fetch time (unix milliseconds, 8 bytes big-endian) and its
// JSON, kept for the field's staleFor. It implements loaders.SharedStale
// (the consumer's interface: this package does not import it).
type Fallback struct{ s *Store }

// Fallback returns the shared last-good store.
func (s *Store) Fallback() Fallback { return Fallback{s} }

func (f Fallback) key(k string) string { return f.s.prefix + "fb:" + k }

// GetStale implements loaders.SharedStale.
func (f Fallback) GetStale(ctx context.Context, key string) ([]byte, time.Time, bool) {
	if f.s.result("fallback", f.s.available()) != nil {
		return nil, time.Time{}, false
	}
	b, err := f.s.rdb.Get(ctx, f.key(key)).Bytes()
	if f.s.result("fallback", err) != nil || len(b) < 8 {
		return nil, time.Time{}, false
	}
	return b[8:], time.UnixMilli(int64(binary.BigEndian.Uint64(b[:8]))), true
}

// SetStale implements loaders.SharedStale.
func (f Fallback) SetStale(ctx context.Context, key string, value []byte, at time.Time, ttl time.Duration) {
	if ttl <= 0 || f.s.result("fallback", f.s.available()) != nil {
		return
	}
	b := make([]byte, 8+len(value))
	binary.BigEndian.PutUint64(b, uint64(at.UnixMilli()))
	copy(b[8:], value)
	_ = f.s.result("fallback", f.s.rdb.Set(ctx, f.key(key), b, ttl).Err())
}
