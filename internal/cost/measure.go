package cost

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Measure returns the value of f's argument ad as the estimate and the
// argument checks read it: an Int's value or a list's length (saturated
// to the int64 range), whether it is a list, and whether it had a value
// (from vars, a literal, the variable's default or the argument's).
func Measure(f *ast.Field, ad *ast.ArgumentDefinition, vars map[string]any) (int64, bool, bool) {
	var v any
	if a := f.Arguments.ForName(ad.Name); a != nil && a.Value != nil {
		if a.Value.Kind == ast.Variable {
			x, ok := vars[a.Value.Raw]
			if !ok {
				return measureLiteral(variableDefault(a.Value))
			}
			v = x
		} else {
			return measureLiteral(a.Value)
		}
	} else if ad.DefaultValue != nil {
		return measureLiteral(ad.DefaultValue)
	} else {
		return 0, false, false
	}
	switch x := v.(type) {
	case []any:
		return int64(len(x)), true, true
	case nil:
		return 0, false, false
	}
	if n, ok := IntOf(v); ok {
		return n, false, true
	}
	return 0, false, false
}

func variableDefault(v *ast.Value) *ast.Value {
	if v.VariableDefinition != nil {
		return v.VariableDefinition.DefaultValue
	}
	return nil
}

func measureLiteral(v *ast.Value) (int64, bool, bool) {
	if v == nil {
		return 0, false, false
	}
	switch v.Kind {
	case ast.ListValue:
		return int64(len(v.Children)), true, true
	case ast.IntValue:
		n, err := strconv.ParseInt(v.Raw, 10, 64)
		if err != nil {
			if strings.HasPrefix(v.Raw, "-") {
				return math.MinInt64, false, true
			}
			return math.MaxInt64, false, true
		}
		return n, false, true
	}
	return 0, false, false
}

// IntOf reads an integer variable as gqlgen may hold it (int, int32,
// int64, a whole float64, json.Number); false for anything else.
func IntOf(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		if x > math.MaxInt64 || x < math.MinInt64 || x != math.Trunc(x) {
			return 0, false
		}
		return int64(x), true
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) {
			if f > 0 {
				return math.MaxInt64, true
			}
			return math.MinInt64, true
		}
	}
	return 0, false
}
