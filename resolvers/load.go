package resolvers

import (
	"context"
	"fmt"
	"regexp"

	"github.com/tributary-gw/tributary/graph/model"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// loadAll loads keys and maps each value with conv. Keys are enqueued in
// this goroutine before any is awaited, so they all land in the same batch
// (dataloader's LoadMany spawns a goroutine per key instead). Per-key errors
// come back as a graphql.BatchErrorList, the shape batch resolvers return.
func loadAll[K comparable, V, M any](ctx context.Context, l *dataloader.Loader[K, V], keys []K, conv func(V) M) ([]M, error) {
	thunks := make([]dataloader.Thunk[V], len(keys))
	for i, k := range keys {
		thunks[i] = l.Load(ctx, k)
	}
	out := make([]M, len(keys))
	var errs graphql.BatchErrorList
	for i, th := range thunks {
		v, err := th()
		if err != nil {
			if errs == nil {
				errs = make(graphql.BatchErrorList, len(keys))
			}
			errs[i] = err
			continue
		}
		out[i] = conv(v)
	}
	if errs != nil {
		return out, errs
	}
	return out, nil
}

// loadOne loads one key.
func loadOne[K comparable, V, M any](ctx context.Context, l *dataloader.Loader[K, V], key K, conv func(V) M) (M, error) {
	v, err := l.Load(ctx, key)()
	if err != nil {
		var zero M
		return zero, err
	}
	return conv(v), nil
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
