package schemadiff

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Compare returns the changes that turn oldSchema into newSchema, sorted by
// Path, then Kind, then Message, so equal inputs give equal output. It returns
// an empty, non-nil slice when the public contracts are the same. A nil schema
// counts as an empty one, so Compare(nil, s) lists everything in s as added.
// Neither schema is modified.
func Compare(oldSchema, newSchema *ast.Schema) []Change {
	d := differ{changes: []Change{}}
	d.schema(oldSchema, newSchema)
	d.types(publicTypes(oldSchema), publicTypes(newSchema))
	d.directives(publicDirectives(oldSchema), publicDirectives(newSchema))
	slices.SortFunc(d.changes, func(a, b Change) int {
		return cmp.Or(
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return d.changes
}

// differ collects the changes found while walking two schemas side by side.
type differ struct {
	changes []Change
}

func (d *differ) add(sev Severity, kind, path, format string, args ...any) {
	d.changes = append(d.changes, Change{
		Severity: sev,
		Kind:     kind,
		Path:     path,
		Message:  fmt.Sprintf(format, args...),
	})
}

// schema compares the root operation types and the schema description.
func (d *differ) schema(o, n *ast.Schema) {
	oRoots, nRoots := rootTypes(o), rootTypes(n)
	for i, op := range []string{"query", "mutation", "subscription"} {
		path := "schema." + op
		or, nr := oRoots[i], nRoots[i]
		switch {
		case or == "" && nr != "":
			d.add(Safe, "ROOT_OPERATION_ADDED", path, "Root %s type %s was added.", op, nr)
		case or != "" && nr == "":
			d.add(Breaking, "ROOT_OPERATION_REMOVED", path, "Root %s type %s was removed.", op, or)
		case or != nr:
			d.add(Breaking, "ROOT_OPERATION_TYPE_CHANGED", path, "Root %s type changed from %s to %s.", op, or, nr)
		}
	}
	var oSchema, nSchema ast.Schema
	if o != nil {
		oSchema = *o
	}
	if n != nil {
		nSchema = *n
	}
	d.description("schema", "the schema", oSchema.Description, nSchema.Description)
	d.directiveUses("schema", "the schema", oSchema.SchemaDirectives, nSchema.SchemaDirectives)
}

// rootTypes returns the names of the query, mutation and subscription root
// types of s, "" for those it does not have.
func rootTypes(s *ast.Schema) [3]string {
	var names [3]string
	if s == nil {
		return names
	}
	for i, def := range []*ast.Definition{s.Query, s.Mutation, s.Subscription} {
		if def != nil {
			names[i] = def.Name
		}
	}
	return names
}

// types compares the named types of two schemas.
func (d *differ) types(o, n map[string]*ast.Definition) {
	for name, ot := range o {
		nt, ok := n[name]
		if !ok {
			d.add(Breaking, "TYPE_REMOVED", name, "%s %s was removed.", upperFirst(kindNoun(ot.Kind)), name)
			continue
		}
		d.typeDef(ot, nt)
	}
	for name, nt := range n {
		if _, ok := o[name]; !ok {
			d.add(Safe, "TYPE_ADDED", name, "%s %s was added.", upperFirst(kindNoun(nt.Kind)), name)
		}
	}
}

// typeDef compares two definitions of the same name.
func (d *differ) typeDef(o, n *ast.Definition) {
	if o.Kind != n.Kind {
		d.add(Breaking, "TYPE_KIND_CHANGED", o.Name, "Type %s changed from %s to %s.",
			o.Name, kindNoun(o.Kind), kindNoun(n.Kind))
		return
	}
	d.description(o.Name, kindNoun(o.Kind)+" "+o.Name, o.Description, n.Description)
	d.directiveUses(o.Name, kindNoun(o.Kind)+" "+o.Name, o.Directives, n.Directives)
	switch o.Kind {
	case ast.Object, ast.Interface:
		d.interfaces(o, n)
		d.outputFields(o, n)
	case ast.InputObject:
		pos := inputPosition{
			kind: "INPUT_FIELD",
			noun: "input field",
			path: func(field string) string { return o.Name + "." + field },
			max:  Breaking,
		}
		d.inputValues(pos, inputFields(o.Fields), inputFields(n.Fields))
	case ast.Enum:
		d.enumValues(o, n)
	case ast.Union:
		d.unionMembers(o, n)
	}
}

// interfaces compares the interfaces an object or interface type implements.
// A removed one breaks fragments spread on it; an added one makes such
// fragments match more objects than before.
func (d *differ) interfaces(o, n *ast.Definition) {
	for _, name := range o.Interfaces {
		if !slices.Contains(n.Interfaces, name) {
			d.add(Breaking, "IMPLEMENTED_INTERFACE_REMOVED", o.Name,
				"%s %s no longer implements interface %s.", upperFirst(kindNoun(o.Kind)), o.Name, name)
		}
	}
	for _, name := range n.Interfaces {
		if !slices.Contains(o.Interfaces, name) {
			d.add(Dangerous, "IMPLEMENTED_INTERFACE_ADDED", o.Name,
				"%s %s now implements interface %s.", upperFirst(kindNoun(o.Kind)), o.Name, name)
		}
	}
}

// outputFields compares the fields of two object or interface types.
func (d *differ) outputFields(o, n *ast.Definition) {
	for _, of := range o.Fields {
		if isIntrospection(of.Name) {
			continue
		}
		path := o.Name + "." + of.Name
		nf := n.Fields.ForName(of.Name)
		if nf == nil {
			d.add(Breaking, "FIELD_REMOVED", path, "Field %s was removed%s.", path, wasDeprecated(of.Directives))
			continue
		}
		d.description(path, "field "+path, of.Description, nf.Description)
		d.deprecation(path, "field "+path, of.Directives, nf.Directives)
		d.directiveUses(path, "field "+path, of.Directives, nf.Directives)
		d.outputType(path, of.Type, nf.Type)
		pos := inputPosition{
			kind: "ARG",
			noun: "argument",
			path: func(arg string) string { return path + "(" + arg + ")" },
			max:  Breaking,
		}
		d.inputValues(pos, arguments(of.Arguments), arguments(nf.Arguments))
	}
	for _, nf := range n.Fields {
		if isIntrospection(nf.Name) || o.Fields.ForName(nf.Name) != nil {
			continue
		}
		path := o.Name + "." + nf.Name
		d.add(Safe, "FIELD_ADDED", path, "Field %s: %s was added.", path, nf.Type)
	}
}

// outputType classifies a change of an output field's type. A client may
// rely on everything it relied on before: the same named type, the same list
// nesting, and non-null wherever it was non-null.
func (d *differ) outputType(path string, o, n *ast.Type) {
	loosened, tightened := nullability(o, n)
	switch {
	case o.Name() != n.Name():
		d.add(Breaking, "FIELD_TYPE_CHANGED", path, "Field %s changed type from %s to %s.", path, o, n)
	case !sameListShape(o, n):
		d.add(Breaking, "FIELD_LIST_CHANGED", path, "Field %s changed list nesting from %s to %s.", path, o, n)
	case loosened:
		d.add(Breaking, "FIELD_MADE_NULLABLE", path,
			"Field %s changed type from %s to %s; clients may rely on a non-null value.", path, o, n)
	case tightened:
		d.add(Safe, "FIELD_MADE_NON_NULL", path, "Field %s changed type from %s to %s.", path, o, n)
	}
}

// inputPosition describes where input values live (field arguments, input
// object fields or directive arguments), for the kinds, paths and messages of
// their changes.
type inputPosition struct {
	kind string                   // Kind stem, e.g. "ARG" in "ARG_REMOVED"
	noun string                   // for messages, e.g. "argument"
	path func(name string) string // the Path of the value called name
	max  Severity                 // no change here is reported above this
}

func (p inputPosition) cap(sev Severity) Severity {
	return min(sev, p.max)
}

// inputValue is what field arguments and input object fields have in common.
type inputValue struct {
	name        string
	description string
	typ         *ast.Type
	defaultVal  *ast.Value
	directives  ast.DirectiveList
}

// required reports whether a client must provide the value: it is non-null
// and has no default.
func (v inputValue) required() bool {
	return v.typ.NonNull && v.defaultVal == nil
}

func arguments(list ast.ArgumentDefinitionList) []inputValue {
	vals := make([]inputValue, 0, len(list))
	for _, a := range list {
		vals = append(vals, inputValue{a.Name, a.Description, a.Type, a.DefaultValue, a.Directives})
	}
	return vals
}

func inputFields(list ast.FieldList) []inputValue {
	vals := make([]inputValue, 0, len(list))
	for _, f := range list {
		vals = append(vals, inputValue{f.Name, f.Description, f.Type, f.DefaultValue, f.Directives})
	}
	return vals
}

func findInput(vals []inputValue, name string) (inputValue, bool) {
	for _, v := range vals {
		if v.name == name {
			return v, true
		}
	}
	return inputValue{}, false
}

// inputValues compares two lists of arguments or input fields.
func (d *differ) inputValues(pos inputPosition, o, n []inputValue) {
	for _, ov := range o {
		path := pos.path(ov.name)
		nv, ok := findInput(n, ov.name)
		if !ok {
			d.add(pos.cap(Breaking), pos.kind+"_REMOVED", path, "%s %s was removed%s.",
				upperFirst(pos.noun), path, wasDeprecated(ov.directives))
			continue
		}
		d.inputValue(pos, path, ov, nv)
	}
	for _, nv := range n {
		if _, ok := findInput(o, nv.name); ok {
			continue
		}
		path := pos.path(nv.name)
		if nv.required() {
			d.add(pos.cap(Breaking), "REQUIRED_"+pos.kind+"_ADDED", path,
				"Required %s %s: %s was added; clients that do not set it fail.", pos.noun, path, nv.typ)
		} else {
			d.add(Safe, "OPTIONAL_"+pos.kind+"_ADDED", path,
				"Optional %s %s: %s was added.", pos.noun, path, nv.typ)
		}
	}
}

// inputValue classifies the changes of one argument or input field. A client
// must be able to keep sending everything it sent before: the same named
// type and list nesting, null wherever null was accepted, and nothing where
// nothing was required.
func (d *differ) inputValue(pos inputPosition, path string, o, n inputValue) {
	subject := pos.noun + " " + path
	d.description(path, subject, o.description, n.description)
	d.deprecation(path, subject, o.directives, n.directives)
	d.directiveUses(path, subject, o.directives, n.directives)

	requiredChanged := false
	loosened, tightened := nullability(o.typ, n.typ)
	switch {
	case o.typ.Name() != n.typ.Name():
		d.add(pos.cap(Breaking), pos.kind+"_TYPE_CHANGED", path, "%s changed type from %s to %s.",
			upperFirst(subject), o.typ, n.typ)
	case !sameListShape(o.typ, n.typ):
		d.add(pos.cap(Breaking), pos.kind+"_LIST_CHANGED", path, "%s changed list nesting from %s to %s.",
			upperFirst(subject), o.typ, n.typ)
	case !o.required() && n.required():
		requiredChanged = true
		d.add(pos.cap(Breaking), pos.kind+"_MADE_REQUIRED", path,
			"%s is now required (%s without a default, was %s%s); clients that do not set it fail.",
			upperFirst(subject), n.typ, o.typ, defaultSuffix(o.defaultVal))
	case tightened:
		d.add(pos.cap(Breaking), pos.kind+"_MADE_NON_NULL", path,
			"%s changed type from %s to %s; null is no longer accepted.", upperFirst(subject), o.typ, n.typ)
	case o.required() && !n.required():
		requiredChanged = true
		d.add(Safe, pos.kind+"_MADE_OPTIONAL", path, "%s is now optional (%s%s, was %s without a default).",
			upperFirst(subject), n.typ, defaultSuffix(n.defaultVal), o.typ)
	case loosened:
		d.add(Safe, pos.kind+"_MADE_NULLABLE", path, "%s changed type from %s to %s.", upperFirst(subject), o.typ, n.typ)
	}

	// A default that starts or stops applying because the value became
	// optional or required is covered by that change.
	if !requiredChanged && valueString(o.defaultVal) != valueString(n.defaultVal) {
		d.add(pos.cap(Dangerous), pos.kind+"_DEFAULT_CHANGED", path,
			"Default value of %s changed from %s to %s; clients that omit it get a different value.",
			subject, valueString(o.defaultVal), valueString(n.defaultVal))
	}
}

// enumValues compares the values of two enums. An added value is dangerous:
// a client with an exhaustive switch over the old values may not handle it.
func (d *differ) enumValues(o, n *ast.Definition) {
	for _, ov := range o.EnumValues {
		path := o.Name + "." + ov.Name
		nv := n.EnumValues.ForName(ov.Name)
		if nv == nil {
			d.add(Breaking, "ENUM_VALUE_REMOVED", path, "Enum value %s was removed%s.", path, wasDeprecated(ov.Directives))
			continue
		}
		d.description(path, "enum value "+path, ov.Description, nv.Description)
		d.deprecation(path, "enum value "+path, ov.Directives, nv.Directives)
		d.directiveUses(path, "enum value "+path, ov.Directives, nv.Directives)
	}
	for _, nv := range n.EnumValues {
		if o.EnumValues.ForName(nv.Name) == nil {
			path := o.Name + "." + nv.Name
			d.add(Dangerous, "ENUM_VALUE_ADDED", path,
				"Enum value %s was added; clients may not handle it.", path)
		}
	}
}

// unionMembers compares the member types of two unions. An added member is
// dangerous: clients may not handle objects of the new type.
func (d *differ) unionMembers(o, n *ast.Definition) {
	for _, name := range o.Types {
		if !slices.Contains(n.Types, name) {
			d.add(Breaking, "UNION_MEMBER_REMOVED", o.Name, "Type %s was removed from union %s.", name, o.Name)
		}
	}
	for _, name := range n.Types {
		if !slices.Contains(o.Types, name) {
			d.add(Dangerous, "UNION_MEMBER_ADDED", o.Name,
				"Type %s was added to union %s; clients may not handle it.", name, o.Name)
		}
	}
}

// directives compares directive definitions. Clients write only executable
// directives (those with a location such as FIELD or QUERY) in queries, so
// changes to a directive with type-system locations only are at most
// dangerous: they affect tools that read the SDL, not queries.
func (d *differ) directives(o, n map[string]*ast.DirectiveDefinition) {
	for name, od := range o {
		path := "@" + name
		nd, ok := n[name]
		maxSev := Dangerous
		if slices.ContainsFunc(od.Locations, isExecutableLocation) {
			maxSev = Breaking
		}
		if !ok {
			d.add(maxSev, "DIRECTIVE_REMOVED", path, "Directive %s was removed.", path)
			continue
		}
		d.description(path, "directive "+path, od.Description, nd.Description)
		d.deprecation(path, "directive "+path, od.Directives, nd.Directives)
		d.directiveUses(path, "directive "+path, od.Directives, nd.Directives)
		for _, loc := range od.Locations {
			if slices.Contains(nd.Locations, loc) {
				continue
			}
			sev := Dangerous
			if isExecutableLocation(loc) {
				sev = Breaking
			}
			d.add(sev, "DIRECTIVE_LOCATION_REMOVED", path, "Directive %s can no longer be used on %s.", path, loc)
		}
		for _, loc := range nd.Locations {
			if !slices.Contains(od.Locations, loc) {
				d.add(Safe, "DIRECTIVE_LOCATION_ADDED", path, "Directive %s can now be used on %s.", path, loc)
			}
		}
		switch {
		case od.IsRepeatable && !nd.IsRepeatable:
			d.add(maxSev, "DIRECTIVE_REPEATABLE_REMOVED", path, "Directive %s is no longer repeatable.", path)
		case !od.IsRepeatable && nd.IsRepeatable:
			d.add(Safe, "DIRECTIVE_REPEATABLE_ADDED", path, "Directive %s is now repeatable.", path)
		}
		pos := inputPosition{
			kind: "DIRECTIVE_ARG",
			noun: "directive argument",
			path: func(arg string) string { return path + "(" + arg + ")" },
			max:  maxSev,
		}
		d.inputValues(pos, arguments(od.Arguments), arguments(nd.Arguments))
	}
	for name := range n {
		if _, ok := o[name]; !ok {
			d.add(Safe, "DIRECTIVE_ADDED", "@"+name, "Directive @%s was added.", name)
		}
	}
}

// description reports a changed description; subject names the element in
// the message, e.g. "field Product.price".
func (d *differ) description(path, subject, o, n string) {
	switch {
	case o == n:
	case o == "":
		d.add(Safe, "DESCRIPTION_CHANGED", path, "Description of %s was added.", subject)
	case n == "":
		d.add(Safe, "DESCRIPTION_CHANGED", path, "Description of %s was removed.", subject)
	default:
		d.add(Safe, "DESCRIPTION_CHANGED", path, "Description of %s changed.", subject)
	}
}

// deprecation reports @deprecated being added, removed or given another
// reason. None of these affects a query, but each is worth telling clients.
func (d *differ) deprecation(path, subject string, o, n ast.DirectiveList) {
	od, nd := o.ForName("deprecated"), n.ForName("deprecated")
	switch {
	case od == nil && nd != nil:
		d.add(Safe, "DEPRECATION_ADDED", path, "%s was deprecated: %s", upperFirst(subject), deprecationReason(nd))
	case od != nil && nd == nil:
		d.add(Safe, "DEPRECATION_REMOVED", path, "%s is no longer deprecated.", upperFirst(subject))
	case od != nil && deprecationReason(od) != deprecationReason(nd):
		d.add(Safe, "DEPRECATION_REASON_CHANGED", path, "Deprecation reason of %s changed from %q to %q.",
			subject, deprecationReason(od), deprecationReason(nd))
	}
}

// directiveUses compares the directives applied to an element, other than
// @deprecated (see deprecation) and code-generation directives. Whether such
// a change matters to clients depends on the directive, so each is dangerous:
// the gateway's own directives (@critical, @fallback, ...) change what a
// client receives when a service fails.
func (d *differ) directiveUses(path, subject string, o, n ast.DirectiveList) {
	oUses, nUses := directiveUseStrings(o), directiveUseStrings(n)
	for name, ou := range oUses {
		nu, ok := nUses[name]
		switch {
		case !ok:
			d.add(Dangerous, "DIRECTIVE_USAGE_REMOVED", path, "Directive %s was removed from %s.", ou, subject)
		case ou != nu:
			d.add(Dangerous, "DIRECTIVE_USAGE_CHANGED", path, "Directive use on %s changed from %s to %s.", subject, ou, nu)
		}
	}
	for name, nu := range nUses {
		if _, ok := oUses[name]; !ok {
			d.add(Dangerous, "DIRECTIVE_USAGE_ADDED", path, "Directive %s was added to %s.", nu, subject)
		}
	}
}

// directiveUseStrings renders the uses in dirs canonically (arguments sorted
// by name), keyed by directive name; the uses of a repeatable directive are
// joined in order.
func directiveUseStrings(dirs ast.DirectiveList) map[string]string {
	uses := make(map[string]string)
	for _, dir := range dirs {
		if dir.Name == "deprecated" || isCodegenDirective(dir.Name) {
			continue
		}
		args := make([]string, 0, len(dir.Arguments))
		for _, arg := range dir.Arguments {
			args = append(args, arg.Name+": "+valueString(arg.Value))
		}
		slices.Sort(args)
		use := "@" + dir.Name
		if len(args) > 0 {
			use += "(" + strings.Join(args, ", ") + ")"
		}
		if prev, ok := uses[dir.Name]; ok {
			use = prev + " " + use
		}
		uses[dir.Name] = use
	}
	return uses
}

// deprecationReason returns the reason of a @deprecated directive, with the
// directive's default when none is given.
func deprecationReason(dir *ast.Directive) string {
	if arg := dir.Arguments.ForName("reason"); arg != nil && arg.Value != nil {
		return arg.Value.Raw
	}
	return "No longer supported"
}

// wasDeprecated returns a note for the message of a removed element that was
// deprecated, or "".
func wasDeprecated(dirs ast.DirectiveList) string {
	if dirs.ForName("deprecated") != nil {
		return " (it was deprecated)"
	}
	return ""
}

// nullability compares types of the same list shape level by level: loosened
// when some level lost its non-null, tightened when some level gained one.
func nullability(o, n *ast.Type) (loosened, tightened bool) {
	for o != nil && n != nil {
		loosened = loosened || (o.NonNull && !n.NonNull)
		tightened = tightened || (!o.NonNull && n.NonNull)
		o, n = o.Elem, n.Elem
	}
	return loosened, tightened
}

// sameListShape reports whether o and n nest lists equally deep.
func sameListShape(o, n *ast.Type) bool {
	for o != nil && n != nil {
		o, n = o.Elem, n.Elem
	}
	return o == nil && n == nil
}

// valueString renders a default value canonically (object fields sorted), or
// "none" for no value.
func valueString(v *ast.Value) string {
	if v == nil {
		return "none"
	}
	switch v.Kind {
	case ast.ListValue:
		elems := make([]string, 0, len(v.Children))
		for _, c := range v.Children {
			elems = append(elems, valueString(c.Value))
		}
		return "[" + strings.Join(elems, ", ") + "]"
	case ast.ObjectValue:
		fields := make([]string, 0, len(v.Children))
		for _, c := range v.Children {
			fields = append(fields, c.Name+": "+valueString(c.Value))
		}
		slices.Sort(fields)
		return "{" + strings.Join(fields, ", ") + "}"
	case ast.BlockValue:
		// A block string and a string with the same value are the same default.
		return (&ast.Value{Kind: ast.StringValue, Raw: v.Raw}).String()
	default:
		return v.String()
	}
}

func defaultSuffix(v *ast.Value) string {
	if v == nil {
		return ""
	}
	return " = " + valueString(v)
}

// isExecutableLocation reports whether a directive may be used at loc in a
// query document, as opposed to in the schema.
func isExecutableLocation(loc ast.DirectiveLocation) bool {
	switch loc {
	case ast.LocationQuery, ast.LocationMutation, ast.LocationSubscription, ast.LocationField,
		ast.LocationFragmentDefinition, ast.LocationFragmentSpread, ast.LocationInlineFragment,
		ast.LocationVariableDefinition:
		return true
	}
	return false
}

func kindNoun(k ast.DefinitionKind) string {
	switch k {
	case ast.Scalar:
		return "scalar"
	case ast.Object:
		return "object type"
	case ast.Interface:
		return "interface"
	case ast.Union:
		return "union"
	case ast.Enum:
		return "enum"
	case ast.InputObject:
		return "input object"
	default:
		return strings.ToLower(string(k))
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
