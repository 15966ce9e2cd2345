package engine

import (
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// collect merges a selection set, seen as an object type that satisfies
// the types in satisfies (its name, its interfaces, the unions holding
// it), into its fields by response key: the fields of fragments and
// inline fragments whose condition the type satisfies join the set,
// fields with the same key merge their sub-selections, @skip/@include are
// applied, and each field records the @defer labels it is selected under
// (Deferrables) and whether it is also selected outside any deferred
// fragment (IsNonDeferrable). It is gqlgen's CollectFields (the executor
// the plan is compared against), so keys and labels come in the same
// order; each named fragment is expanded at most once per call, so the
// work (counted in *work, one unit per selection seen) is bounded by the
// document's size however often fragments spread each other.
func collect(oc *graphql.OperationContext, sel ast.SelectionSet, satisfies []string, work *int) []graphql.CollectedField {
	visited := map[string]bool{}
	var walk func(sel ast.SelectionSet, inDefer bool) []graphql.CollectedField
	walk = func(sel ast.SelectionSet, inDefer bool) []graphql.CollectedField {
		out := make([]graphql.CollectedField, 0, len(sel))
		at := map[string]int{} // response key → index in out
		merge := func(children []graphql.CollectedField, deferred bool, label string) {
			for _, c := range children {
				i, ok := at[c.Alias]
				if ok {
					f := &out[i]
					f.Selections = append(f.Selections, c.Selections...)
					f.Deferrables = append(f.Deferrables, c.Deferrables...)
					f.IsNonDeferrable = f.IsNonDeferrable || c.IsNonDeferrable
				} else {
					i = len(out)
					at[c.Alias] = i
					out = append(out, c)
				}
				if deferred {
					out[i].Deferrables = append(out[i].Deferrables, &graphql.Deferrable{Label: label})
				}
			}
		}
		for _, s := range sel {
			*work++
			switch s := s.(type) {
			case *ast.Field:
				if !included(s.Directives, oc.Variables) {
					continue
				}
				i, ok := at[s.Alias]
				if ok {
					out[i].Selections = append(out[i].Selections, s.SelectionSet...)
				} else {
					i = len(out)
					at[s.Alias] = i
					out = append(out, graphql.CollectedField{Field: s, Selections: append(ast.SelectionSet(nil), s.SelectionSet...)})
				}
				if !inDefer {
					out[i].IsNonDeferrable = true
				}
			case *ast.InlineFragment:
				if !included(s.Directives, oc.Variables) || !applies(s.TypeCondition, satisfies) {
					continue
				}
				d, label := deferrable(s.Directives, oc.Variables)
				merge(walk(s.SelectionSet, inDefer || d), d, label)
			case *ast.FragmentSpread:
				if visited[s.Name] {
					continue
				}
				if !included(s.Directives, oc.Variables) {
					continue
				}
				visited[s.Name] = true
				f := oc.Doc.Fragments.ForName(s.Name)
				if f == nil || !applies(f.TypeCondition, satisfies) {
					continue
				}
				d, label := deferrable(s.Directives, oc.Variables)
				merge(walk(f.SelectionSet, inDefer || d), d, label)
			}
		}
		return out
	}
	return walk(sel, false)
}

// applies reports whether a fragment's type condition holds for an object
// of the types in satisfies (no condition always does).
func applies(cond string, satisfies []string) bool {
	return cond == "" || slices.Contains(satisfies, cond)
}

// deferrable reads @defer: whether it defers (its if argument, true when
// absent) and its label.
func deferrable(ds ast.DirectiveList, vars map[string]any) (bool, string) {
	d := ds.ForName("defer")
	if d == nil {
		return false, ""
	}
	on, label := true, ""
	for _, a := range d.Arguments {
		v, err := a.Value.Value(vars)
		if err != nil {
			continue
		}
		switch a.Name {
		case "if":
			on, _ = v.(bool)
		case "label":
			label, _ = v.(string)
		}
	}
	return on, label
}

// included applies @skip and @include.
func included(ds ast.DirectiveList, vars map[string]any) bool {
	for _, d := range ds {
		switch d.Name {
		case "skip":
			if flag(d, vars) {
				return false
			}
		case "include":
			if !flag(d, vars) {
				return false
			}
		}
	}
	return true
}

func flag(d *ast.Directive, vars map[string]any) bool {
	a := d.Arguments.ForName("if")
	if a == nil {
		return false
	}
	v, err := a.Value.Value(vars)
	if err != nil {
		return false
	}
	b, _ := v.(bool)
	return b
}
