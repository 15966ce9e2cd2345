package gateway

import (
	"fmt"
	"math"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tributary-gw/tributary/internal/cost"
)

// maxInt is the largest GraphQL Int (a signed 32-bit integer).
const maxInt = math.MaxInt32

// CheckArguments refuses, with BAD_USER_INPUT, an operation with an Int
// argument outside the 32-bit range GraphQL defines, a slicing argument
// outside its declared bounds, or a string longer than maxLen bytes (0: no
// limit) — in literals, variables and defaults alike. It runs before the
// estimate, so the estimate only ever sees values the resolvers accept.
// Each fragment is checked once.
func CheckArguments(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any, fc cost.Fields, maxLen int) *gqlerror.Error {
	for _, v := range op.VariableDefinitions {
		if err := checkIntValue(vars[v.Variable], v.Type, "$"+v.Variable); err != nil {
			return err
		}
		if n, ok := longestString(vars[v.Variable], maxLen); ok {
			return badInput(fmt.Sprintf("variable $%s holds a string of %d bytes, the limit is %d", v.Variable, n, maxLen), v.Position)
		}
		if v.DefaultValue != nil {
			if err := checkStringLiteral(v.DefaultValue, "$"+v.Variable, maxLen); err != nil {
				return err
			}
		}
	}
	ac := argChecker{vars: vars, fc: fc, maxLen: maxLen, seen: map[string]bool{}}
	return ac.selections(op.SelectionSet)
}

type argChecker struct {
	vars   map[string]any
	fc     cost.Fields
	maxLen int
	seen   map[string]bool // fragments already checked
}

// longestString reports the length of a string in v (a variable's value:
// strings, lists, input objects) longer than maxLen, if any.
func longestString(v any, maxLen int) (int, bool) {
	if maxLen <= 0 {
		return 0, false
	}
	switch x := v.(type) {
	case string:
		return len(x), len(x) > maxLen
	case []any:
		for _, e := range x {
			if n, ok := longestString(e, maxLen); ok {
				return n, true
			}
		}
	case map[string]any:
		for k, e := range x {
			if len(k) > maxLen {
				return len(k), true
			}
			if n, ok := longestString(e, maxLen); ok {
				return n, true
			}
		}
	}
	return 0, false
}

// checkStringLiteral refuses string literals longer than maxLen bytes in v
// and in any list or object inside it.
func checkStringLiteral(v *ast.Value, name string, maxLen int) *gqlerror.Error {
	if maxLen <= 0 || v == nil {
		return nil
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		if len(v.Raw) > maxLen {
			return badInput(fmt.Sprintf("argument %q holds a string of %d bytes, the limit is %d", name, len(v.Raw), maxLen), v.Position)
		}
	case ast.ListValue, ast.ObjectValue:
		for _, c := range v.Children {
			if err := checkStringLiteral(c.Value, name, maxLen); err != nil {
				return err
			}
		}
	}
	return nil
}

func (ac *argChecker) selections(sel ast.SelectionSet) *gqlerror.Error {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if err := ac.field(s); err != nil {
				return err
			}
			if err := ac.selections(s.SelectionSet); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := ac.selections(s.SelectionSet); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || ac.seen[s.Name] {
				continue
			}
			ac.seen[s.Name] = true
			if err := ac.selections(s.Definition.SelectionSet); err != nil {
				return err
			}
		}
	}
	return nil
}

func (ac *argChecker) field(f *ast.Field) *gqlerror.Error {
	if f.Definition == nil {
		return nil
	}
	for _, a := range f.Arguments {
		if a.Value == nil || a.Value.Kind == ast.Variable {
			continue // variables were checked against their own type
		}
		if err := checkIntLiteral(a.Value, a.Name); err != nil {
			return err
		}
		if err := checkStringLiteral(a.Value, a.Name, ac.maxLen); err != nil {
			return err
		}
	}
	if f.ObjectDefinition == nil {
		return nil
	}
	info, ok := ac.fc.Field(f.ObjectDefinition.Name, f.Name)
	if !ok || len(info.Bounds) == 0 {
		return nil
	}
	for _, ad := range f.Definition.Arguments {
		r, ok := info.Bounds[ad.Name]
		if !ok {
			continue
		}
		n, _, ok := cost.Measure(f, ad, ac.vars)
		if !ok {
			continue
		}
		// The one @range rule and message (registry.Range.Check).
		bad := r.Check(n)
		if bad == "" {
			continue
		}
		msg := fmt.Sprintf("argument %q of %s.%s %s", ad.Name, f.ObjectDefinition.Name, f.Name, bad)
		return badInput(msg, f.Position)
	}
	return nil
}

// checkIntLiteral refuses Int literals outside the 32-bit range, in v and
// in any list or object inside it.
func checkIntLiteral(v *ast.Value, name string) *gqlerror.Error {
	switch v.Kind {
	case ast.IntValue:
		if n, err := strconv.ParseInt(v.Raw, 10, 32); err != nil || n < math.MinInt32 || n > maxInt {
			return badInput(fmt.Sprintf("argument %q: %s is not a 32-bit integer (GraphQL Int)", name, clip(v.Raw, 24)), v.Position)
		}
	case ast.ListValue, ast.ObjectValue:
		for _, c := range v.Children {
			if c.Value != nil {
				if err := checkIntLiteral(c.Value, name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkIntValue refuses variable values of Int type (or lists of Int)
// outside the 32-bit range.
func checkIntValue(v any, t *ast.Type, name string) *gqlerror.Error {
	if v == nil || t == nil {
		return nil
	}
	if t.Elem != nil {
		if l, ok := v.([]any); ok {
			for _, x := range l {
				if err := checkIntValue(x, t.Elem, name); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if t.NamedType != "Int" {
		return nil
	}
	n, ok := cost.IntOf(v)
	if !ok {
		return nil // not an integer at all: gqlgen's coercion reports it
	}
	if n < math.MinInt32 || n > maxInt {
		return badInput(fmt.Sprintf("variable %s: %d is not a 32-bit integer (GraphQL Int)", name, n), nil)
	}
	return nil
}

func badInput(msg string, pos *ast.Position) *gqlerror.Error {
	e := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": "BAD_USER_INPUT"}}
	if pos != nil {
		e.Locations = []gqlerror.Location{{Line: pos.Line, Column: pos.Column}}
	}
	return e
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
