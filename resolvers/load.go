package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/services/loaders"
)

// The helpers below are what the generated resolvers (connect.gen.go) are
// made of; hand-written resolvers use them too.

// loadAll loads keys and maps each value with conv. weight is the number of
// field executions waiting (len(objs) in a batch resolver, else 1): a stale
// answer is reported at its parent's path. Per-key errors come back as a
// graphql.BatchErrorList, the shape batch resolvers return.
func loadAll[K comparable, V, M any](ctx context.Context, l *loaders.Loader[K, V], weight int, keys []K, conv func(V) M) ([]M, error) {
	vals, errs := l.LoadAll(ctx, keys, weight)
	out := make([]M, len(keys))
	for i, v := range vals {
		if errs == nil || errs[i] == nil {
			out[i] = conv(v)
		}
	}
	if errs != nil {
		return out, graphql.BatchErrorList(errs)
	}
	return out, nil
}

// loadOne loads one key for one field execution.
func loadOne[K comparable, V, M any](ctx context.Context, l *loaders.Loader[K, V], key K, conv func(V) M) (M, error) {
	vals, errs := l.LoadAll(ctx, []K{key}, 1)
	if errs != nil {
		var zero M
		return zero, errs[0]
	}
	return conv(vals[0]), nil
}

// loadLists resolves a list field keyed by a list property of each parent
// (a product's related ids): one look-up for the keys of every parent, the
// answers regrouped per parent in key order, unknown keys skipped. plan,
// when set, starts the look-ups the keys already allow.
func loadLists[P, T any](ctx context.Context, l *loaders.Loader[connect.Key, *T], parents []*P, query string, keysOf func(*P) []string, plan func(context.Context, []string)) ([][]*T, error) {
	var ids []string
	counts := make([]int, len(parents))
	for i, p := range parents {
		k := keysOf(p)
		counts[i] = len(k)
		ids = append(ids, k...)
	}
	if plan != nil {
		plan(ctx, ids)
	}
	keys := make([]connect.Key, len(ids))
	for i, id := range ids {
		keys[i] = connect.Key{ID: id, Query: query}
	}
	found, perKey := l.LoadAll(ctx, keys, len(parents))
	out := make([][]*T, len(parents))
	var errs graphql.BatchErrorList
	k := 0
	for i, n := range counts {
		list := make([]*T, 0, n)
		for j := k; j < k+n; j++ {
			if perKey != nil && perKey[j] != nil {
				if errs == nil {
					errs = make(graphql.BatchErrorList, len(parents))
				}
				errs[i] = perKey[j]
				list = nil
				break
			}
			if found[j] != nil {
				list = append(list, found[j])
			}
		}
		k += n
		out[i] = list
	}
	if errs != nil {
		return out, errs
	}
	return out, nil
}

func same[V any](v V) V { return v }

// flat lists the objects of a batch resolver's lists, for the fetch plan.
func flat[T any](lists [][]*T) []*T {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]*T, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// firstError is the first error of a batch.
func firstError(err error) error {
	if list, ok := err.(graphql.BatchErrorList); ok {
		for _, e := range list {
			if e != nil {
				return e
			}
		}
		return nil
	}
	return err
}

// presentParents runs a batch resolver body on the non-nil parents only and
// spreads its answers back: a list with nullable items (productsByIds)
// hands batch resolvers nil parents for its null entries, and gqlgen runs
// no field of those.
func presentParents[P, R any](objs []*P, fn func(present []*P) ([]R, error)) ([]R, error) {
	present := make([]*P, 0, len(objs))
	at := make([]int, 0, len(objs))
	for i, o := range objs {
		if o != nil {
			present = append(present, o)
			at = append(at, i)
		}
	}
	if len(present) == len(objs) {
		return fn(objs)
	}
	res, err := fn(present)
	out := make([]R, len(objs))
	for j, i := range at {
		if j < len(res) {
			out[i] = res[j]
		}
	}
	if list, ok := err.(graphql.BatchErrorList); ok {
		spread := make(graphql.BatchErrorList, len(objs))
		for j, i := range at {
			spread[i] = list[j]
		}
		return out, spread
	}
	return out, err
}
