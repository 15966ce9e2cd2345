package resolvers

import (
	"context"
	"fmt"
	"regexp"

	"github.com/tributary-gw/tributary/graph/model"
	"github.com/tributary-gw/tributary/services/loaders"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// loadAll loads keys and maps each value with conv. weight is the number of
// field executions waiting (len(objs) in a batch resolver, else 1), which
// the batching scheduler needs. Per-key errors come back as a
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

// CodeBadUserInput marks an argument the client must fix.
const CodeBadUserInput = "BAD_USER_INPUT"

func inputError(format string, args ...any) error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": CodeBadUserInput},
	}
}

func checkRange(name string, v, lo, hi int) error {
	if v < lo || v > hi {
		return inputError("%s must be between %d and %d, got %d", name, lo, hi, v)
	}
	return nil
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

func checkCurrency(c string) error {
	if !currencyCode.MatchString(c) {
		return inputError("currency must be an ISO-4217 code such as USD, got %q", c)
	}
	return nil
}

func ids[T any](objs []*T, id func(*T) string) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = id(o)
	}
	return out
}

const maxIDs = 100

func productID(p *model.Product) string { return p.ID }
func userID(u *model.User) string       { return u.ID }

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
