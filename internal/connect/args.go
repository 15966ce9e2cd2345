package connect

import (
	"fmt"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"strconv"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// CodeBadUserInput marks an argument the client must fix.
const CodeBadUserInput = "BAD_USER_INPUT"

// InputError is an error the client must fix, with code BAD_USER_INPUT.
func InputError(format string, args ...any) error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": CodeBadUserInput},
	}
}

// Arg returns a field argument as a string, from either form the executor
// holds it in: typed (string, *string, int) in a resolver, or as parsed
// from the document (int64) in the fetch plan. ok is false when the
// argument is null or absent.
func Arg(v any) (s string, ok bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case *string:
		if v == nil {
			return "", false
		}
		return *v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	}
	if n, ok := ArgInt(v); ok {
		return strconv.FormatInt(n, 10), true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "", false
		}
		return Arg(rv.Elem().Interface())
	}
	return fmt.Sprint(v), true
}

// ArgInt returns an integer argument in any of the forms Arg accepts.
func ArgInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case *int:
		if v != nil {
			return int64(*v), true
		}
	case *int64:
		if v != nil {
			return *v, true
		}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
	}
	return 0, false
}

// ArgStrings returns a list argument of strings (ids).
func ArgStrings(v any) []string {
	switch v := v.(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := Arg(x); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// ArgLen is the length of a list argument (0 when absent).
func ArgLen(v any) int {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		return rv.Len()
	}
	return 0
}

// CheckPattern checks a string parameter against the contract's pattern.
func CheckPattern(name, value string, re *regexp.Regexp, endpoint string) error {
	if !re.MatchString(value) {
		return InputError("%s must match %s (%s), got %q", name, re.String(), endpoint, value)
	}
	return nil
}

// Query encodes parameters (name, value pairs) as a Key's Query.
func Query(kv ...string) string {
	if len(kv) == 0 {
		return ""
	}
	if len(kv) == 2 { // one parameter, the usual: as Encode writes it
		return url.QueryEscape(kv[0]) + "=" + url.QueryEscape(kv[1])
	}
	q := make(url.Values, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q.Encode()
}
