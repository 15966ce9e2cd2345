package redisstore

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// APQTTL is how long an automatic persisted query stays in Redis after it
// was last registered.
const APQTTL = 24 * time.Hour

// APQ is the automatic persisted queries' store: Redis, so a hash
// registered on one replica runs on every other, in front of it an
// in-process cache that also answers while Redis does not.
type APQ struct {
	s     *Store
	local graphql.Cache[string]
}

var _ graphql.Cache[string] = (*APQ)(nil)

// APQ returns the persisted queries' store with local in front.
func (s *Store) APQ(local graphql.Cache[string]) *APQ { return &APQ{s: s, local: local} }

func (a *APQ) key(hash string) string { return a.s.prefix + "apq:" + hash }

// Get implements graphql.Cache.
func (a *APQ) Get(ctx context.Context, hash string) (string, bool) {
	if q, ok := a.local.Get(ctx, hash); ok {
		return q, true
	}
	if a.s.result("apq", a.s.available()) != nil {
		return "", false
	}
	q, err := a.s.rdb.Get(ctx, a.key(hash)).Result()
	if a.s.result("apq", err) != nil || q == "" {
		return "", false
	}
	a.local.Add(ctx, hash, q)
	return q, true
}

// Add implements graphql.Cache. The extension has checked that the query
// matches its hash.
func (a *APQ) Add(ctx context.Context, hash, query string) {
	a.local.Add(ctx, hash, query)
	if a.s.result("apq", a.s.available()) != nil {
		return
	}
	_ = a.s.result("apq", a.s.rdb.Set(ctx, a.key(hash), query, APQTTL).Err())
}
