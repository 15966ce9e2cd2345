package compose

import (
	"fmt"
	"sort"
	"strings"

	"github.com/99designs/gqlgen/codegen/templates"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/vektah/gqlparser/v2/ast"
)

func (a *analyzer) model(name string) *Model {
	m := a.g.Models[name]
	if m == nil {
		m = &Model{Name: name, Props: map[string]string{}, Hidden: map[string]bool{}, Omit: map[string]bool{}}
		a.g.Models[name] = m
	}
	return m
}

// models maps every object type onto the contract item it is read from,
// checking names, types and nullability, and works out the properties its
// Go model must carry.
func (a *analyzer) models() {
	origin := map[string]string{} // type → the field that set its schema
	var assign func(typeName string, s *openapi3.SchemaRef, by string, pos *ast.Position)
	assign = func(typeName string, s *openapi3.SchemaRef, by string, pos *ast.Position) {
		m := a.model(typeName)
		if m.Schema != nil {
			if schemaName(m.Schema) != schemaName(s) || (schemaName(s) == "inline" && m.Schema != s) {
				a.errorf(pos, "%s is read from %s by %s but from %s by %s; a type maps onto one contract item", typeName, schemaName(s), by, schemaName(m.Schema), origin[typeName])
			}
			return
		}
		m.Schema, origin[typeName] = s, by
		def := a.g.schema.Types[typeName]
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") || f.Directives.ForName("connect") != nil || f.Directives.ForName("computed") != nil {
				m.Omit[f.Name] = true
				continue
			}
			prop := f.Name
			if d := f.Directives.ForName("map"); d != nil {
				prop = argString(d, "from")
			}
			where := typeName + "." + f.Name
			p := s.Value.Properties[prop]
			if p == nil {
				a.errorf(f.Position, "%s: %s (the contract item of %s, via %s) has no property %q%s; map it with @map(from:), compute it with @computed, or serve it with @connect",
					where, schemaName(s), typeName, by, prop, suggest(prop, propNames(s.Value)))
				continue
			}
			m.Props[f.Name] = prop
			if msg := a.agrees(f.Type, p, contains(s.Value.Required, prop) && !p.Value.Nullable, prop); msg != "" {
				a.errorf(f.Position, "%s: %s", where, msg)
				continue
			}
			if nested := a.g.schema.Types[f.Type.Name()]; nested != nil && nested.Kind == ast.Object {
				item := p
				if is(p.Value, "array") {
					item = p.Value.Items
				}
				assign(nested.Name, item, where, f.Position)
			}
		}
	}
	for _, c := range a.g.Connectors {
		assign(c.Result, c.item, c.Type+"."+c.Field, c.dir.Position)
	}

	need := func(typeName, prop, why string, pos *ast.Position) {
		m := a.model(typeName)
		for _, p := range m.Props {
			if p == prop {
				return // a field already carries it
			}
		}
		if m.Schema != nil && m.Schema.Value.Properties[prop] == nil {
			a.errorf(pos, "%s: %s (the contract item of %s) has no property %q%s", why, schemaName(m.Schema), typeName, prop, suggest(prop, propNames(m.Schema.Value)))
			return
		}
		m.Hidden[prop] = true
	}
	for _, c := range a.g.Connectors {
		where := c.Type + "." + c.Field
		m := a.model(c.Type)
		m.Omit[c.Field] = true
		if c.bad {
			continue // its own error says it
		}
		if c.KeyFrom == "this" {
			need(c.Type, c.KeyName, fmt.Sprintf("%s: @connect key \"$this.%s\"", where, c.KeyName), c.dir.Position)
			if m.Schema != nil {
				if p := m.Schema.Value.Properties[c.KeyName]; p != nil {
					list := is(p.Value, "array")
					if list {
						p = p.Value.Items
					}
					if !is(p.Value, "string") {
						a.errorf(c.dir.Position, "%s: @connect key \"$this.%s\" is %s; keys are strings or lists of strings", where, c.KeyName, describe(p.Value))
					}
					c.KeyList = list
				}
			}
			if c.KeyList && c.Kind == Group {
				c.Kind = ByKey
			}
		}
		if c.Match != "" {
			need(c.Result, c.Match, where+": @connect match", c.dir.Position)
		}
		for _, k := range c.Sort {
			need(c.Result, k.Prop, where+": @connect sort", c.dir.Position)
		}
		if c.Kind == Group && c.item.Value.Properties["id"] != nil {
			need(c.Result, "id", where, c.dir.Position)
		}
	}
	for _, name := range typeNames(a.g.schema) {
		def := a.g.schema.Types[name]
		if def.Kind != ast.Object {
			continue
		}
		for _, f := range def.Fields {
			d := f.Directives.ForName("computed")
			if d == nil {
				continue
			}
			a.model(name).Omit[f.Name] = true
			for _, prop := range argList(d, "needs") {
				if a.model(name).Schema == nil {
					if a.failed[name] {
						break // its connector's error says it
					}
					a.errorf(d.Position, "%s.%s: @computed(needs:) reads the contract item, but no connector returns %s", name, f.Name, name)
					break
				}
				need(name, prop, fmt.Sprintf("%s.%s: @computed needs %q", name, f.Name, prop), d.Position)
			}
		}
	}
}

// agrees compares a GraphQL type with a contract property and describes a
// mismatch ("" when they agree).
func (a *analyzer) agrees(t *ast.Type, p *openapi3.SchemaRef, req bool, prop string) string {
	if t.NonNull && !req {
		return fmt.Sprintf("%s but the contract's %s is optional (not in \"required\")", t.String(), prop)
	}
	s := p.Value
	if t.Elem != nil {
		if !is(s, "array") || s.Items == nil {
			return fmt.Sprintf("%s but the contract's %s is %s", t.String(), prop, describe(s))
		}
		return a.agrees(t.Elem, s.Items, !s.Items.Value.Nullable, prop+"[]")
	}
	want := ""
	switch t.Name() {
	case "String", "ID":
		if !is(s, "string") || s.Format == "date-time" && t.Name() == "ID" {
			want = "string"
		}
	case "Int":
		if !is(s, "integer") {
			want = "integer"
		}
	case "Float":
		if !is(s, "number") && !is(s, "integer") {
			want = "number"
		}
	case "Boolean":
		if !is(s, "boolean") {
			want = "boolean"
		}
	case "Time":
		if !is(s, "string") || s.Format != "date-time" {
			want = "string (date-time)"
		}
	default:
		def := a.g.schema.Types[t.Name()]
		switch {
		case def == nil:
		case def.Kind == ast.Enum:
			if !is(s, "string") || len(s.Enum) == 0 {
				return fmt.Sprintf("%s is an enum but the contract's %s is %s without enum values", t.String(), prop, describe(s))
			}
			var values []string
			for _, v := range s.Enum {
				values = append(values, strings.ToUpper(fmt.Sprint(v)))
			}
			var names []string
			for _, v := range def.EnumValues {
				names = append(names, v.Name)
			}
			sort.Strings(values)
			sort.Strings(names)
			if strings.Join(values, ",") != strings.Join(names, ",") {
				return fmt.Sprintf("enum %s has %s but the contract's %s has %s (compared in upper case)", def.Name, strings.Join(names, ", "), prop, strings.Join(values, ", "))
			}
		case def.Kind == ast.Object:
			if !is(s, "object") {
				want = "object"
			}
		case def.Kind == ast.Scalar:
		}
	}
	if want != "" {
		return fmt.Sprintf("%s but the contract's %s is %s", t.String(), prop, describe(s))
	}
	return ""
}

// loaders groups connectors into per-request loaders.
func (a *analyzer) loaders() {
	byShape := map[string]*Loader{}
	perOp := map[string]map[string]bool{} // source.op → shapes
	for _, c := range a.g.Connectors {
		shape := fmt.Sprint(c.Source.Name, c.Kind, c.Path, c.Batch, c.PathKey, c.Items, c.Match, c.Result)
		l := byShape[shape]
		if l == nil {
			l = &Loader{Source: c.Source, Kind: c.Kind, Path: c.Path, Batch: c.Batch, PathKey: c.PathKey,
				Items: c.Items, Match: c.Match, Type: c.Result, MaxAge: c.MaxAge, first: c}
			byShape[shape] = l
			a.g.Loaders = append(a.g.Loaders, l)
			op := c.Source.Name + "." + c.OpName
			if perOp[op] == nil {
				perOp[op] = map[string]bool{}
			}
			perOp[op][shape] = true
		}
		if c.MaxAge != l.MaxAge {
			a.errorf(c.dir.Position, "%s.%s: @connect maxAge %d disagrees with %s.%s's %d: connectors of one endpoint share their cache entries", c.Type, c.Field, c.MaxAge, l.first.Type, l.first.Field, l.MaxAge)
		}
		c.Loader = l
	}
	names := map[string]*Loader{}
	for _, l := range a.g.Loaders {
		c := l.first
		suffix := ""
		switch l.Kind {
		case ByKey, Group:
			suffix = "By" + templates.UcFirst(l.Batch)
		case Single:
			suffix = "By" + templates.UcFirst(l.PathKey)
		case Call:
			suffix = "List"
		}
		l.Endpoint = c.OpName
		if len(perOp[c.Source.Name+"."+c.OpName]) > 1 {
			l.Endpoint += "." + templates.LcFirst(suffix)
		}
		base := templates.ToGo(c.Source.Name) + templates.ToGo(c.OpName) + templates.ToGo(suffix)
		l.Name = base
		if other := names[l.Name]; other != nil {
			l.Name = base + l.Type
		}
		names[l.Name] = l
		l.Func = templates.ToGo(c.OpName) + templates.ToGo(suffix)
		if l.Type != a.firstType(l) {
			l.Func += l.Type
		}
	}
	sort.SliceStable(a.g.Loaders, func(i, j int) bool { return a.g.Loaders[i].Name < a.g.Loaders[j].Name })
}

func (a *analyzer) firstType(l *Loader) string {
	for _, o := range a.g.Loaders {
		if o.Source == l.Source && o.first.OpName == l.first.OpName && o.Kind == l.Kind && o.Batch == l.Batch {
			return o.Type
		}
	}
	return l.Type
}
