package compose

import "github.com/vektah/gqlparser/v2/ast"

// forceResolvers decides which fields gqlgen must run through a resolver
// although no connector serves them: a field of an object whose value
// leads to a field that calls a backend (a connector, a computed field
// over one, a @service resolver), or that is a @service resolver itself.
// Those run concurrently in gqlgen's executor (the differential tests'
// reference), so their look-ups join one batch of the loaders' window
// rather than each waiting for its own. The user's schema carries no hint
// for it.
func (a *analyzer) forceResolvers() {
	served := map[string]map[string]bool{}
	mark := func(t, f string) {
		if served[t] == nil {
			served[t] = map[string]bool{}
		}
		served[t][f] = true
	}
	for _, c := range a.g.Connectors {
		mark(c.Type, c.Field)
	}
	for _, c := range a.g.Computed {
		mark(c.Type, c.Field)
	}
	for _, w := range a.g.Writes {
		mark(w.Type, w.Field)
	}
	// calls reports whether a value of type name leads to a backend call.
	memo := map[string]bool{}
	var calls func(name string) bool
	calls = func(name string) bool {
		if v, ok := memo[name]; ok {
			return v
		}
		memo[name] = false // a cycle adds nothing
		def := a.g.schema.Types[name]
		if def == nil || def.Kind != ast.Object {
			return false
		}
		for _, f := range def.Fields {
			if served[name][f.Name] || f.Directives.ForName("service") != nil || calls(f.Type.Name()) {
				memo[name] = true
				return true
			}
		}
		return false
	}
	a.g.forced = map[string]map[string]bool{}
	for _, name := range typeNames(a.g.schema) {
		def := a.g.schema.Types[name]
		if def.Kind != ast.Object || root(name) {
			continue
		}
		for _, f := range def.Fields {
			if served[name][f.Name] || f.Directives.ForName("service") == nil && !calls(f.Type.Name()) {
				continue
			}
			if a.g.forced[name] == nil {
				a.g.forced[name] = map[string]bool{}
			}
			a.g.forced[name][f.Name] = true
		}
	}
}
