package compose

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/templates"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/vektah/gqlparser/v2/ast"
)

// Write is a @write field: a mutation sent to one endpoint of a service.
type Write struct {
	Type, Field string
	def         *ast.FieldDefinition
	dir         *ast.Directive

	Source *Source
	OpName string // the contract operation's name (operationId)
	Method string
	Path   string // template, e.g. /orders/{id}/cancel
	Name   string // endpoint label: <source>.<operationId>
	Params []WriteValue
	Body   []WriteValue
	// NoBody: the operation takes no request body.
	NoBody bool
	Checks []ArgCheck
	Stale  []StaleRef
	// Read is the GET path read before the write to decide its owner, and
	// Owner the property of its answer naming the owning user; both empty
	// when the write has no owner rule.
	Read, ReadName, Owner string
	Auth                  string
	Result                string // named GraphQL type of the field
	resp                  *openapi3.SchemaRef
}

// WriteValue is one path parameter or body property of a write, and where
// its value comes from.
type WriteValue struct {
	Name    string
	From    string // "args", "caller" or "literal"
	Arg     string // argument name (From "args")
	Literal string // Go expression of the literal (From "literal")
	// Nullable: the argument may be null; the property is then left out.
	Nullable bool
}

// ArgCheck is a bound of the contract that an argument feeding a write
// must meet: checked before anything is sent.
type ArgCheck struct {
	Arg     string
	Kind    string // "range", "length", "enum" or "pattern"
	Lo, Hi  int64  // range and length; Hi -1: none (length)
	HasLo   bool
	HasHi   bool
	Enum    []string
	Pattern string
	Where   string // the contract's property, for the message
}

// StaleRef is one cache key a successful write makes stale: every entry
// of Service about the value of From.Name.
type StaleRef struct {
	Service string
	From    string // "result", "args" or "caller"
	Name    string
	raw     string
}

var writeMethods = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// write analyses a @write field.
func (a *analyzer) write(parent *ast.Definition, f *ast.FieldDefinition, d *ast.Directive) *Write {
	where := parent.Name + "." + f.Name
	pos := d.Position
	w := &Write{Type: parent.Name, Field: f.Name, def: f, dir: d, Result: f.Type.Name()}
	if parent.Name != "Mutation" {
		a.errorf(pos, "%s: @write declares a mutation; put it on a field of Mutation (reads are @connect)", where)
		return nil
	}
	if f.Directives.ForName("connect") != nil || f.Directives.ForName("computed") != nil {
		a.errorf(pos, "%s: a field is either @write, @connect or @computed", where)
		return nil
	}
	srcName := argString(d, "source")
	w.Source = a.source(srcName)
	if w.Source == nil {
		a.errorf(pos, "%s: @write(source: %q) does not match any @source%s", where, srcName, suggest(srcName, a.sourceNames()))
		return nil
	}
	w.Method = strings.ToUpper(argString(d, "method"))
	if !contains(writeMethods, w.Method) {
		a.errorf(pos, "%s: @write method %q: want one of %s (reads are @connect)", where, argString(d, "method"), strings.Join(writeMethods, ", "))
		return nil
	}
	w.Path = argString(d, "path")
	c := w.Source.c
	item := c.doc.Paths.Value(w.Path)
	if item == nil {
		a.errorf(pos, "%s: @write path %q: %s has no path %q%s", where, w.Path, c.path, w.Path, suggest(w.Path, c.paths()))
		return nil
	}
	op := item.GetOperation(w.Method)
	ep := w.Method + " " + w.Path
	if op == nil {
		var has []string
		for m := range item.Operations() {
			has = append(has, m)
		}
		sort.Strings(has)
		a.errorf(pos, "%s: @write: %s has no %s operation (it has %s)", where, w.Path, w.Method, strings.Join(has, ", "))
		return nil
	}
	o := &operation{path: w.Path, op: op, item: item}
	w.OpName = o.name()
	w.Name = w.Source.Name + "." + w.OpName
	if tags := op.Tags; len(tags) > 0 && !contains(tags, w.Source.Name) {
		a.errorf(pos, "%s: @write: %s belongs to %s in %s, not to source %q", where, ep, strings.Join(tags, ", "), c.path, w.Source.Name)
	}
	if d := f.Directives.ForName("auth"); d != nil {
		w.Auth = argString(d, "requires")
	}
	before := len(a.errs)

	// Path parameters.
	paramsBefore := len(a.errs)
	params := o.params()
	given := map[string]bool{}
	for _, raw := range argList(d, "params") {
		v, ok := a.writeValue(where, "param", raw, f, pos)
		if !ok {
			continue
		}
		p := params[v.Name]
		switch {
		case p == nil:
			a.errorf(pos, "%s: @write param %q: %s has no parameter %q%s", where, v.Name, ep, v.Name, suggest(v.Name, o.paramNames("")))
			continue
		case p.In != "path":
			a.errorf(pos, "%s: @write param %q: the parameter is in %s; a write's parameters are path parameters", where, v.Name, p.In)
			continue
		case given[v.Name]:
			a.errorf(pos, "%s: @write param %q is given twice", where, v.Name)
			continue
		}
		given[v.Name] = true
		if v.From == "args" {
			if msg := argAgrees(f.Arguments.ForName(v.Arg).Type, schemaOf(p)); msg != "" {
				a.errorf(pos, "%s: @write param %q: argument %s is %s but %s's %s is %s", where, v.Name, v.Arg, f.Arguments.ForName(v.Arg).Type.String(), ep, v.Name, msg)
			}
			if v.Nullable {
				a.errorf(pos, "%s: @write param %q: a path parameter needs a value but argument %s is nullable", where, v.Name, v.Arg)
			}
		}
		w.Params = append(w.Params, v)
	}
	for _, n := range o.paramNames("path") {
		if !given[n] && len(a.errs) == paramsBefore {
			a.errorf(pos, "%s: @write: %s takes path parameter %q; give it in params (\"%s: $args.<argument>\" or \"%s: $caller\")", where, ep, n, n, n)
		}
	}

	// The body.
	a.writeBody(w, o, f, d, where, ep)

	// The answer.
	w.resp = successSchema(op)
	def := a.g.schema.Types[w.Result]
	switch {
	case w.resp == nil:
		a.errorf(pos, "%s: @write: %s has no 2xx application/json answer to return as %s", where, ep, w.Result)
	case def == nil || def.Kind != ast.Object || f.Type.Elem != nil:
		a.errorf(pos, "%s: @write returns %s; a write returns one object", where, f.Type.String())
	case f.Type.NonNull:
		a.errorf(pos, "%s: @write returns %s; make it nullable, so that a failed write is null with its error", where, f.Type.String())
	default:
		m := a.g.Models[w.Result]
		if m == nil || m.Schema == nil {
			a.errorf(pos, "%s: @write returns %s, which no @connect reads; the answer is decoded into the type's model", where, w.Result)
			break
		}
		need := map[string]bool{}
		for _, p := range m.Props {
			need[p] = true
		}
		for p := range m.Hidden {
			need[p] = true
		}
		for _, p := range sortedKeys(need) {
			if _, ok := w.resp.Value.Properties[p]; !ok {
				a.errorf(pos, "%s: @write: the answer of %s (%s) has no property %q, which %s is read from", where, ep, schemaName(w.resp), p, w.Result)
			}
		}
	}

	// What it makes stale.
	a.writeStale(w, f, d, where, pos)

	// Who may send it (when the rest checked out: a wrong param would
	// only be reported again).
	if len(a.errs) == before {
		a.writeOwner(w, d, where, pos)
	}
	if len(a.errs) > before {
		return nil
	}
	return w
}

// writeValue parses "name: $args.<argument>", "name: $caller" or
// "name: <literal>".
func (a *analyzer) writeValue(where, kind, raw string, f *ast.FieldDefinition, pos *ast.Position) (WriteValue, bool) {
	name, val, ok := strings.Cut(raw, ":")
	name, val = strings.TrimSpace(name), strings.TrimSpace(val)
	if !ok || name == "" || val == "" {
		a.errorf(pos, "%s: @write %s %q: want \"name: $args.<argument>\", \"name: $caller\" or \"name: <literal>\"", where, kind, raw)
		return WriteValue{}, false
	}
	v := WriteValue{Name: name}
	switch {
	case val == "$caller":
		v.From = "caller"
		if f.Directives.ForName("auth") == nil {
			a.errorf(pos, "%s: @write %s %q: $caller needs a signed-in caller; add @auth(requires: AUTHENTICATED)", where, kind, name)
			return v, false
		}
	case strings.HasPrefix(val, "$args."):
		v.From, v.Arg = "args", strings.TrimPrefix(val, "$args.")
		fa := f.Arguments.ForName(v.Arg)
		if fa == nil {
			a.errorf(pos, "%s: @write %s %q: %s has no argument %q%s", where, kind, name, where, v.Arg, suggest(v.Arg, argNames(f)))
			return v, false
		}
		v.Nullable = !fa.Type.NonNull && fa.DefaultValue == nil
	case strings.HasPrefix(val, "$"):
		a.errorf(pos, "%s: @write %s %q: %s is neither $args.<argument> nor $caller", where, kind, name, val)
		return v, false
	default:
		v.From, v.Literal = "literal", val
	}
	return v, true
}

// successSchema is the schema of the operation's first 2xx JSON answer.
func successSchema(op *openapi3.Operation) *openapi3.SchemaRef {
	for _, st := range []int{200, 201, 202} {
		r := op.Responses.Status(st)
		if r == nil || r.Value == nil {
			continue
		}
		if mt := r.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil && mt.Schema.Value != nil {
			return mt.Schema
		}
	}
	return nil
}

func (a *analyzer) writeBody(w *Write, o *operation, f *ast.FieldDefinition, d *ast.Directive, where, ep string) {
	pos := d.Position
	entries := argList(d, "body")
	rb := o.op.RequestBody
	if rb == nil || rb.Value == nil {
		w.NoBody = true
		if len(entries) > 0 {
			a.errorf(pos, "%s: @write body: %s takes no request body; remove body", where, ep)
		}
		return
	}
	mt := rb.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil || !is(mt.Schema.Value, "object") {
		a.errorf(pos, "%s: @write body: %s's request body is not a JSON object", where, ep)
		return
	}
	s := mt.Schema.Value
	name := schemaName(mt.Schema)
	if len(entries) == 0 && rb.Value.Required {
		a.errorf(pos, "%s: @write: %s requires a body (%s); give body: [\"<property>: $args.<argument>\", …]", where, ep, name)
		return
	}
	given := map[string]bool{}
	bodyBefore := len(a.errs)
	for _, raw := range entries {
		v, ok := a.writeValue(where, "body", raw, f, pos)
		if !ok {
			continue
		}
		prop := s.Properties[v.Name]
		if prop == nil || prop.Value == nil {
			note := ""
			if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has {
				note = "; it allows no other property (additionalProperties: false)"
			}
			a.errorf(pos, "%s: @write body %q: %s (the body of %s) has no property %q%s%s", where, v.Name, name, ep, v.Name, suggest(v.Name, propNames(s)), note)
			continue
		}
		if given[v.Name] {
			a.errorf(pos, "%s: @write body %q is given twice", where, v.Name)
			continue
		}
		given[v.Name] = true
		ps := prop.Value
		switch v.From {
		case "caller":
			if !is(ps, "string") {
				a.errorf(pos, "%s: @write body %q: $caller is a string but %s.%s is %s", where, v.Name, name, v.Name, describe(ps))
			}
		case "args":
			fa := f.Arguments.ForName(v.Arg)
			if msg := a.bodyAgrees(fa.Type, ps); msg != "" {
				a.errorf(pos, "%s: @write body %q: argument %s is %s but %s.%s is %s", where, v.Name, v.Arg, fa.Type.String(), name, v.Name, msg)
				continue
			}
			if v.Nullable && contains(s.Required, v.Name) {
				a.errorf(pos, "%s: @write body %q: %s requires it but argument %s is nullable (make it %s!)", where, v.Name, name, v.Arg, fa.Type.String())
			}
			w.Checks = append(w.Checks, boundChecks(v.Arg, name+"."+v.Name, ps)...)
		case "literal":
			lit, msg := literalFor(v.Literal, ps)
			if msg != "" {
				a.errorf(pos, "%s: @write body %q: literal %s %s", where, v.Name, v.Literal, msg)
				continue
			}
			v.Literal = lit
		}
		w.Body = append(w.Body, v)
	}
	for _, r := range s.Required {
		// After a wrong entry, a "missing" property is most likely that
		// entry: one mistake, one message.
		if !given[r] && len(a.errs) == bodyBefore {
			a.errorf(pos, "%s: @write body: %s requires property %q, which the write does not give%s", where, name, r, suggestMissing(r, f))
		}
	}
}

// suggestMissing proposes the argument of the same name for a missing
// required property.
func suggestMissing(prop string, f *ast.FieldDefinition) string {
	if f.Arguments.ForName(prop) != nil {
		return fmt.Sprintf(" (add \"%s: $args.%s\")", prop, prop)
	}
	return ""
}

// bodyAgrees compares an argument's type with a body property's schema:
// JSON types must match exactly (no string conversion as for query
// parameters). It describes the property when they disagree.
func (a *analyzer) bodyAgrees(t *ast.Type, s *openapi3.Schema) string {
	if t.Elem != nil {
		if !is(s, "array") || s.Items == nil || s.Items.Value == nil {
			return describe(s)
		}
		return a.bodyAgrees(t.Elem, s.Items.Value)
	}
	ok := false
	switch t.Name() {
	case "Int":
		ok = is(s, "integer")
	case "Float":
		ok = is(s, "number") || is(s, "integer")
	case "Boolean":
		ok = is(s, "boolean")
	case "String", "ID":
		ok = is(s, "string")
	default:
		if def := a.g.schema.Types[t.Name()]; def != nil && (def.Kind == ast.Enum || def.Kind == ast.Scalar) {
			ok = is(s, "string")
		}
	}
	if ok {
		return ""
	}
	return describe(s)
}

// boundChecks are the contract's bounds of a property fed by argument arg.
func boundChecks(arg, where string, s *openapi3.Schema) []ArgCheck {
	var out []ArgCheck
	if s.Min != nil || s.Max != nil {
		c := ArgCheck{Arg: arg, Kind: "range", Where: where, Lo: -1 << 63, Hi: 1<<63 - 1}
		if s.Min != nil {
			c.Lo, c.HasLo = int64(*s.Min), true
		}
		if s.Max != nil {
			c.Hi, c.HasHi = int64(*s.Max), true
		}
		out = append(out, c)
	}
	if s.MinLength > 0 || s.MaxLength != nil {
		c := ArgCheck{Arg: arg, Kind: "length", Where: where, Lo: int64(s.MinLength), Hi: -1}
		if s.MaxLength != nil {
			c.Hi = int64(*s.MaxLength)
		}
		out = append(out, c)
	}
	if len(s.Enum) > 0 {
		c := ArgCheck{Arg: arg, Kind: "enum", Where: where}
		for _, e := range s.Enum {
			c.Enum = append(c.Enum, fmt.Sprint(e))
		}
		out = append(out, c)
	}
	if s.Pattern != "" {
		out = append(out, ArgCheck{Arg: arg, Kind: "pattern", Where: where, Pattern: s.Pattern})
	}
	return out
}

// literalFor checks a literal against a property and returns its Go
// expression, or what is wrong.
func literalFor(raw string, s *openapi3.Schema) (string, string) {
	var v any
	switch {
	case strings.HasPrefix(raw, `"`):
		str, err := strconv.Unquote(raw)
		if err != nil {
			return "", "is not a valid quoted string"
		}
		if !is(s, "string") {
			return "", "is a string but the property is " + describe(s)
		}
		v = str
	case raw == "true" || raw == "false":
		if !is(s, "boolean") {
			return "", "is a boolean but the property is " + describe(s)
		}
		return raw, ""
	default:
		if _, err := strconv.ParseInt(raw, 10, 64); err == nil {
			if !is(s, "integer") && !is(s, "number") {
				return "", "is a number but the property is " + describe(s)
			}
			return raw, ""
		}
		if _, err := strconv.ParseFloat(raw, 64); err == nil {
			if !is(s, "number") {
				return "", "is a number but the property is " + describe(s)
			}
			return raw, ""
		}
		// A bare word is a string, as in params.
		if !is(s, "string") {
			return "", "is a string but the property is " + describe(s)
		}
		v = raw
	}
	str := v.(string)
	if len(s.Enum) > 0 {
		found := false
		for _, e := range s.Enum {
			found = found || fmt.Sprint(e) == str
		}
		if !found {
			return "", fmt.Sprintf("is not one of the contract's values %v", s.Enum)
		}
	}
	return strconv.Quote(str), ""
}

func (a *analyzer) writeStale(w *Write, f *ast.FieldDefinition, d *ast.Directive, where string, pos *ast.Position) {
	entries := argList(d, "invalidates")
	own := false
	staleBefore := len(a.errs)
	for _, raw := range entries {
		svc, val, ok := strings.Cut(raw, ":")
		svc, val = strings.TrimSpace(svc), strings.TrimSpace(val)
		r := StaleRef{Service: svc, raw: raw}
		if !ok || svc == "" || val == "" {
			a.errorf(pos, "%s: @write invalidates %q: want \"<service>: $result.<property>\", \"<service>: $args.<argument>\" or \"<service>: $caller\"", where, raw)
			continue
		}
		if a.source(svc) == nil {
			a.errorf(pos, "%s: @write invalidates %q: no @source %q%s", where, raw, svc, suggest(svc, a.sourceNames()))
			continue
		}
		own = own || svc == w.Source.Name
		switch {
		case val == "$caller":
			r.From = "caller"
			if f.Directives.ForName("auth") == nil {
				a.errorf(pos, "%s: @write invalidates %q: $caller needs @auth on the field", where, raw)
				continue
			}
		case strings.HasPrefix(val, "$args."):
			r.From, r.Name = "args", strings.TrimPrefix(val, "$args.")
			if f.Arguments.ForName(r.Name) == nil {
				a.errorf(pos, "%s: @write invalidates %q: %s has no argument %q%s", where, raw, where, r.Name, suggest(r.Name, argNames(f)))
				continue
			}
		case strings.HasPrefix(val, "$result."):
			r.From, r.Name = "result", strings.TrimPrefix(val, "$result.")
			if w.resp == nil {
				continue
			}
			p := w.resp.Value.Properties[r.Name]
			switch {
			case p == nil:
				a.errorf(pos, "%s: @write invalidates %q: the answer (%s) has no property %q%s", where, raw, schemaName(w.resp), r.Name, suggest(r.Name, propNames(w.resp.Value)))
				continue
			case !is(p.Value, "string") || !contains(w.resp.Value.Required, r.Name):
				a.errorf(pos, "%s: @write invalidates %q: %s.%s is %s%s; a cache key is a required string", where, raw, schemaName(w.resp), r.Name, describe(p.Value), optionalNote(w.resp.Value, r.Name))
				continue
			}
			// The entity cache keys a service's answers by the key of
			// the look-up: what its connectors match items by.
			var keys []string
			for _, c := range a.g.Connectors {
				if c.Source.Name == svc {
					k := c.Match
					if k == "" && c.Kind == Single {
						k = c.PathKey
					}
					if k != "" && !contains(keys, k) {
						keys = append(keys, k)
					}
				}
			}
			sort.Strings(keys)
			if !contains(keys, r.Name) {
				a.errorf(pos, "%s: @write invalidates %q: no connector of %s keys its answers by %s, so nothing cached is named by it (they are keyed by %s)%s",
					where, raw, svc, r.Name, strings.Join(keys, ", "), suggest(r.Name, keys))
				continue
			}
		default:
			a.errorf(pos, "%s: @write invalidates %q: %s is none of $result.<property>, $args.<argument>, $caller", where, raw, val)
			continue
		}
		w.Stale = append(w.Stale, r)
	}
	cached := false
	for _, c := range a.g.Connectors {
		cached = cached || c.Source.Name == w.Source.Name
	}
	if cached && !own && len(a.errs) == staleBefore {
		a.errorf(pos, "%s: @write changes %s, whose answers are cached; say which in invalidates: [\"%s: $result.<property>\"]", where, w.Source.Name, w.Source.Name)
	}
}

func (a *analyzer) writeOwner(w *Write, d *ast.Directive, where string, pos *ast.Position) {
	read, owner := argString(d, "read"), ""
	if ad := w.def.Directives.ForName("auth"); ad != nil {
		owner = argString(ad, "owner")
		if arg := ad.Arguments.ForName("owner"); arg != nil && arg.Value != nil {
			pos = arg.Value.Position
		}
	}
	switch {
	case w.Auth == "OWNER_OR_STAFF" && (read == "" || owner == ""):
		a.errorf(pos, "%s: @auth(requires: OWNER_OR_STAFF) on a write needs @write(read:) (the GET path of the item) and @auth(owner: \"$read.<property>\") (its property naming the owning user): the owner is decided before anything is written", where)
		return
	case read == "" && owner == "":
		return
	case w.Auth != "OWNER_OR_STAFF":
		a.errorf(pos, "%s: @write(read:) reads the item to decide its owner; add @auth(requires: OWNER_OR_STAFF, owner: \"$read.<property>\")", where)
		return
	}
	prop, ok := strings.CutPrefix(owner, "$read.")
	if !ok || prop == "" {
		a.errorf(pos, "%s: @auth(owner: %q): a write's owner is \"$read.<property>\" of the item @write(read:) reads", where, owner)
		return
	}
	owner = prop
	op, err := w.Source.c.find(read)
	if err != nil {
		a.errorf(pos, "%s: @write read %q: %v", where, read, err)
		return
	}
	for n, p := range op.params() {
		if p.In != "path" {
			continue
		}
		found := false
		for _, v := range w.Params {
			found = found || v.Name == n
		}
		if !found {
			a.errorf(pos, "%s: @write read %q: its path parameter %q is not one of the write's params", where, read, n)
		}
	}
	resp, err := op.response()
	if err != nil {
		a.errorf(pos, "%s: @write read %q: %v", where, read, err)
		return
	}
	p := resp.Value.Properties[owner]
	switch {
	case p == nil:
		a.errorf(pos, "%s: @auth(owner: \"$read.%s\"): the answer of GET %s (%s) has no property %q%s", where, owner, op.path, schemaName(resp), owner, suggest(owner, propNames(resp.Value)))
		return
	case !is(p.Value, "string") || !contains(resp.Value.Required, owner):
		a.errorf(pos, "%s: @auth(owner: \"$read.%s\"): %s.%s is %s%s; the owner is a required string (a user id)", where, owner, schemaName(resp), owner, describe(p.Value), optionalNote(resp.Value, owner))
		return
	}
	w.Read, w.ReadName, w.Owner = op.path, w.Source.Name+"."+op.name(), owner
}

// asConnector is the write as the drift check sees a connector: the
// operation it calls, the path parameters and body it sends and the type
// its answer is read into.
func (w *Write) asConnector() *Connector {
	c := &Connector{Type: w.Type, Field: w.Field, def: w.def, dir: w.dir, Source: w.Source, Path: w.Path,
		OpName: w.OpName, Kind: Call, Result: w.Result, item: w.resp}
	for _, p := range w.Params {
		c.Params = append(c.Params, Param{Name: p.Name, In: "path"})
	}
	return c
}

// usesCaller reports whether the write sends the caller's identity.
func (w *Write) usesCaller() bool {
	for _, vs := range [][]WriteValue{w.Params, w.Body} {
		for _, v := range vs {
			if v.From == "caller" {
				return true
			}
		}
	}
	for _, s := range w.Stale {
		if s.From == "caller" {
			return true
		}
	}
	return false
}

// writeField returns the @write of typeName.field, if it is one.
func (g *Graph) writeField(typeName, field string) *Write {
	for _, w := range g.Writes {
		if w.Type == typeName && w.Field == field {
			return w
		}
	}
	return nil
}

func writeVar(w *Write) string { return "write" + w.Type + templates.UcFirst(w.Field) }

// genWriteVars writes the endpoint of a write and the patterns its
// arguments are checked against.
func (g *Graph) genWriteVars(out *writer, w *Write) {
	out.p("\n// %s is the endpoint of %s.%s: %s %s.", writeVar(w), w.Type, w.Field, w.Method, w.Path)
	out.p("var %s = connect.WriteEndpoint{Name: %q, Method: %q, Path: %q}", writeVar(w), w.Name, w.Method, w.Path)
	for i, c := range w.Checks {
		if c.Kind == "pattern" {
			out.p("\nvar %s%d = regexp.MustCompile(%q)", writeVar(w)+"Pattern", i, c.Pattern)
		}
	}
}

// genWrite writes the resolver of a write: the contract's bounds, the
// owner rule, the write, and what it makes stale.
func (g *Graph) genWrite(out *writer, w *Write, f *codegen.Field) {
	vars := map[string]string{}
	for _, a := range f.Args {
		vars[a.Name] = a.VarName
	}
	val := func(v WriteValue) string {
		switch v.From {
		case "args":
			return vars[v.Arg]
		case "caller":
			return "caller"
		}
		return v.Literal
	}
	for i, c := range w.Checks {
		arg := vars[c.Arg]
		var call string
		switch c.Kind {
		case "range":
			continue // the argument's range in the registry, checked before the operation runs
		case "length":
			call = fmt.Sprintf("connect.CheckLength(%q, %s, %d, %d)", c.Arg, arg, c.Lo, c.Hi)
		case "enum":
			var qs []string
			for _, e := range c.Enum {
				qs = append(qs, strconv.Quote(e))
			}
			call = fmt.Sprintf("connect.CheckEnum(%q, %s, %s)", c.Arg, arg, strings.Join(qs, ", "))
		case "pattern":
			call = fmt.Sprintf("connect.CheckPatternArg(%q, %s, %s%d, %q)", c.Arg, arg, writeVar(w)+"Pattern", i, w.Method+" "+w.Path)
		}
		out.p("\t// %s: %s", c.Arg, c.Where)
		out.p("\tif err := %s; err != nil {\n\t\treturn nil, err\n\t}", call)
	}
	out.p("\tl := loaders.For(ctx)")
	out.p("\tcaller := connect.Caller(ctx)")
	if w.usesCaller() {
		// With auth.mode off there is no caller to write as.
		out.p("\tif caller == \"\" {\n\t\treturn nil, connect.Unauthenticated(%q)\n\t}", w.Type+"."+w.Field)
	}
	var params []string
	for _, p := range w.Params {
		params = append(params, fmt.Sprintf("%q: %s", p.Name, val(p)))
	}
	paramMap := "nil"
	if len(params) > 0 {
		paramMap = "map[string]string{" + strings.Join(params, ", ") + "}"
	}
	if w.Read != "" {
		out.p("\towner, err := connect.Owner(ctx, l.Client(%q), connect.Read{Name: %q, Path: %q, Params: %s}, %q)", w.Source.Name, w.ReadName, w.Read, paramMap, w.Owner)
		out.p("\tif err != nil {\n\t\treturn nil, err\n\t}")
		out.p("\tif !l.Allowed(ctx, %q, owner) {\n\t\treturn nil, connect.Forbidden(%q)\n\t}", w.Auth, w.Type+"."+w.Field)
	}
	body := "nil"
	if !w.NoBody {
		var kv []string
		for _, b := range w.Body {
			if b.Nullable {
				continue
			}
			kv = append(kv, strconv.Quote(b.Name), val(b))
		}
		body = "connect.Body(" + strings.Join(kv, ", ") + ")"
	}
	out.p("\twr := connect.Write{Endpoint: %s, Params: %s, Body: %s}", writeVar(w), paramMap, body)
	for _, b := range w.Body {
		if b.Nullable {
			// Left out when null, as the contract's optional properties are.
			out.p("\tif %s != nil {\n\t\twr.Body = connect.WithProp(wr.Body, %q, *%s)\n\t}", vars[b.Arg], b.Name, vars[b.Arg])
		}
	}
	var stale []string
	for _, s := range w.Stale {
		switch s.From {
		case "result":
			stale = append(stale, fmt.Sprintf("connect.Stale{Service: %q, Prop: %q}", s.Service, s.Name))
		case "args":
			stale = append(stale, fmt.Sprintf("connect.Stale{Service: %q, Key: connect.ArgString(%s)}", s.Service, vars[s.Name]))
		case "caller":
			stale = append(stale, fmt.Sprintf("connect.Stale{Service: %q, Key: caller}", s.Service))
		}
	}
	args := ""
	if len(stale) > 0 {
		args = ",\n\t\t" + strings.Join(stale, ",\n\t\t")
	}
	out.p("\tv, err := connect.Do[model.%s](ctx, l.Client(%q), l.Cache(), wr, connect.WriteKey(ctx, caller)%s)", w.Result, w.Source.Name, args)
	out.p("\tif err != nil {\n\t\treturn nil, err\n\t}")
	out.p("\t// What the request reads next must show the write.\n\tl.Forget()\n\treturn v, nil")
}
