package engine

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// collect merges a selection set, seen as the object type typeName, into
// its fields by response key: the fields of fragments and inline fragments
// whose condition typeName satisfies join the set, fields with the same key
// merge their sub-selections, and @skip/@include are applied. It is
// gqlgen's CollectFields (the executor the plan is compared against), so the
// keys come in the same order; each named fragment is expanded at most once
// per call, so the work (counted in *work, one unit per selection seen) is
// bounded by the document's size however often fragments spread each other.
// deferred reports a @defer, which the plan does not run.
func collect(oc *graphql.OperationContext, sel ast.SelectionSet, typeName string, work *int) (fields []graphql.CollectedField, deferred bool) {
	visited := map[string]bool{}
	var walk func(sel ast.SelectionSet) []graphql.CollectedField
	walk = func(sel ast.SelectionSet) []graphql.CollectedField {
		out := make([]graphql.CollectedField, 0, len(sel))
		at := map[string]int{} // response key → index in out
		merge := func(children []graphql.CollectedField) {
			for _, c := range children {
				if i, ok := at[c.Alias]; ok {
					out[i].Selections = append(out[i].Selections, c.Selections...)
					continue
				}
				at[c.Alias] = len(out)
				out = append(out, c)
			}
		}
		for _, s := range sel {
			*work++
			switch s := s.(type) {
			case *ast.Field:
				if !included(s.Directives, oc.Variables) {
					continue
				}
				if i, ok := at[s.Alias]; ok {
					out[i].Selections = append(out[i].Selections, s.SelectionSet...)
					continue
				}
				at[s.Alias] = len(out)
				out = append(out, graphql.CollectedField{Field: s, Selections: append(ast.SelectionSet(nil), s.SelectionSet...), IsNonDeferrable: true})
			case *ast.InlineFragment:
				if !included(s.Directives, oc.Variables) || (s.TypeCondition != "" && s.TypeCondition != typeName) {
					continue
				}
				if s.Directives.ForName("defer") != nil {
					deferred = true
				}
				merge(walk(s.SelectionSet))
			case *ast.FragmentSpread:
				if visited[s.Name] {
					continue
				}
				if !included(s.Directives, oc.Variables) {
					continue
				}
				visited[s.Name] = true
				f := oc.Doc.Fragments.ForName(s.Name)
				if f == nil || f.TypeCondition != typeName {
					continue
				}
				if s.Directives.ForName("defer") != nil {
					deferred = true
				}
				merge(walk(f.SelectionSet))
			}
		}
		return out
	}
	return walk(sel), deferred
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
