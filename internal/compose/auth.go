package compose

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph/registry"
)

// authOwner reads @auth(owner:) of typeName.f: where the user the field's
// data belongs to is found, checked against the type here so that the run
// time reads it without guessing. An OWNER_OR_STAFF read names "$args.<argument>"
// or "$this.<property>" (a property of the object the field belongs to);
// a write names "$read.<property>" of the item its @write reads first
// (checked by writeOwner).
func (a *analyzer) authOwner(parent *ast.Definition, f *ast.FieldDefinition, d *ast.Directive, write bool) registry.Owner {
	where := parent.Name + "." + f.Name
	rule, owner := argString(d, "requires"), argString(d, "owner")
	pos := d.Position
	if arg := d.Arguments.ForName("owner"); arg != nil && arg.Value != nil {
		pos = arg.Value.Position
	}
	switch {
	case rule != registry.OwnerOrStaff && owner != "":
		a.errorf(pos, "%s: @auth(owner: %q) applies to requires: OWNER_OR_STAFF only", where, owner)
		return registry.Owner{}
	case rule != registry.OwnerOrStaff:
		return registry.Owner{}
	case write:
		return registry.Owner{} // writeOwner checks $read.<property>
	case owner == "":
		a.errorf(pos, "%s: @auth(requires: OWNER_OR_STAFF) needs owner: where the owning user's id is, \"$args.<argument>\" or \"$this.<property>\"%s", where, oneOf(ownerCandidates(parent, f)))
		return registry.Owner{}
	}
	from, name, ok := strings.Cut(strings.TrimPrefix(owner, "$"), ".")
	if !strings.HasPrefix(owner, "$") || !ok || name == "" || (from != "args" && from != "this") {
		a.errorf(pos, "%s: @auth(owner: %q): want \"$args.<argument>\" or \"$this.<property>\"", where, owner)
		return registry.Owner{}
	}
	if from == "args" {
		arg := f.Arguments.ForName(name)
		switch {
		case arg == nil:
			a.errorf(pos, "%s: @auth(owner: %q): %s has no argument %q%s", where, owner, where, name, suggest(name, argNames(f)))
		case !isIDType(arg.Type):
			a.errorf(pos, "%s: @auth(owner: %q): argument %s is %s; an owner is a user id (ID or String)", where, owner, name, arg.Type.String())
		default:
			return registry.Owner{Arg: name}
		}
		return registry.Owner{}
	}
	if root(parent.Name) {
		a.errorf(pos, "%s: @auth(owner: %q): a root field has no object to read the owner from; use \"$args.<argument>\"", where, owner)
		return registry.Owner{}
	}
	if pf := parent.Fields.ForName(name); pf != nil {
		if !isIDType(pf.Type) {
			a.errorf(pos, "%s: @auth(owner: %q): %s.%s is %s; an owner is a user id (ID or String)", where, owner, parent.Name, name, pf.Type.String())
			return registry.Owner{}
		}
		return registry.Owner{Prop: name}
	}
	// A contract property the schema does not expose: the model carries it.
	if m := a.g.Models[parent.Name]; m != nil && m.Schema != nil {
		if p := m.Schema.Value.Properties[name]; p != nil {
			if !is(p.Value, "string") {
				a.errorf(pos, "%s: @auth(owner: %q): %s's %s is %s; an owner is a user id (a string)", where, owner, schemaName(m.Schema), name, describe(p.Value))
				return registry.Owner{}
			}
			m.Hidden[name] = true
			return registry.Owner{Prop: name}
		}
	}
	a.errorf(pos, "%s: @auth(owner: %q): %s has no field or contract property %q%s", where, owner, parent.Name, name, suggest(name, fieldNames(parent)))
	return registry.Owner{}
}

// ownerCandidates are what an owner would likely name on typeName.f: its
// ID arguments and the ID fields of its type.
func ownerCandidates(parent *ast.Definition, f *ast.FieldDefinition) []string {
	isID := func(t *ast.Type) bool { return t.Elem == nil && t.NamedType == "ID" }
	var out []string
	for _, a := range f.Arguments {
		if isID(a.Type) {
			out = append(out, "$args."+a.Name)
		}
	}
	if !root(parent.Name) {
		for _, pf := range parent.Fields {
			if isID(pf.Type) {
				out = append(out, "$this."+pf.Name)
			}
		}
	}
	return out
}

func oneOf(candidates []string) string {
	if len(candidates) == 0 {
		return ""
	}
	return " (here: " + strings.Join(candidates, ", ") + ")"
}

func isIDType(t *ast.Type) bool {
	return t.Elem == nil && (t.NamedType == "ID" || t.NamedType == "String")
}

func root(typeName string) bool {
	return typeName == "Query" || typeName == "Mutation" || typeName == "Subscription"
}

func fieldNames(d *ast.Definition) []string {
	var out []string
	for _, f := range d.Fields {
		out = append(out, f.Name)
	}
	return out
}
