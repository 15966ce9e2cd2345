package compose

import (
	"cmp"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/standin"
	"github.com/vektah/gqlparser/v2/ast"
)

// Kind is how a connector's endpoint answers its keys.
type Kind int

const (
	// ByKey: a batch endpoint, at most one item per key.
	ByKey Kind = iota
	// Group: a batch endpoint, any number of items per key.
	Group
	// Single: a single-item path (/users/{id}); 404 is "none".
	Single
	// Call: no key (a listing page); the answer is decoded whole.
	Call
)

// Source is a @source declaration: what the registry says of it, and its
// parsed contract.
type Source struct {
	registry.Source
	pos *ast.Position
	c   *contract
}

// Param is a connector parameter other than the key.
type Param struct {
	Name    string
	In      string // query or path
	FromArg string // argument name, or "" for a literal
	Literal string
	Pattern string
	Min     *float64
	Max     *float64
	Enum    []string
}

// Connector is a @connect field.
type Connector struct {
	Type, Field string
	def         *ast.FieldDefinition
	parent      *ast.Definition
	dir         *ast.Directive

	Source  *Source
	Path    string
	OpName  string
	Batch   string
	PathKey string
	KeyFrom string // "this", "args" or ""
	KeyName string
	KeyList bool
	Match   string
	Params  []Param
	Items   string
	Sort    []SortKey
	Limit   string // argument name
	MaxAge  int    // seconds; 0: as the backend says
	Kind    Kind
	Result  string // the named GraphQL type of the field
	List    bool   // the field is a list

	item   *openapi3.SchemaRef // schema of one answered item (the answer itself for Call)
	Loader *Loader
	// bad is set when the connector did not check out: what follows from
	// it is not checked again, so one mistake is one message.
	bad bool
}

// SortKey is one property of a connector's sort.
type SortKey struct {
	Prop string
	Desc bool
}

// Loader is one per-request dataloader: connectors with the same endpoint
// shape and item type share it, so their keys share batch calls.
type Loader struct {
	Name     string // Go field name in loaders.Loaders
	Func     string // generated batch function in the service package
	Source   *Source
	Endpoint string // label
	Kind     Kind
	Path     string
	Batch    string
	PathKey  string
	Items    string
	Match    string
	Type     string // GraphQL type of the items
	MaxAge   int    // entity cache override, seconds (0: none)
	first    *Connector
	envelope *openapi3.SchemaRef
}

// Computed is a @computed(from:) field.
type Computed struct {
	Type, Field string
	From        *Connector
	def         *ast.FieldDefinition
}

// Model is what the generator knows of a GraphQL object type's Go model.
type Model struct {
	Name string
	// Schema is the contract item the type is read from (nil when no
	// connector returns it).
	Schema *openapi3.SchemaRef
	// Props maps GraphQL field names to contract properties (by name, or
	// @map).
	Props map[string]string
	// Hidden are properties the Go needs that no GraphQL field exposes:
	// keys of connectors, matches, sort keys, @computed needs.
	Hidden map[string]bool
	// Omit are fields served by resolvers or hand-written methods.
	Omit map[string]bool
}

// Graph is the analysed schema.
type Graph struct {
	Sources    []*Source
	Connectors []*Connector
	Computed   []*Computed
	Writes     []*Write
	Loaders    []*Loader
	Models     map[string]*Model
	// Fields are the registry's entries, by type and field: the one
	// description of a field the gateway reads at run time.
	Fields map[string]map[string]*registry.Field
	// forced are fields that are not connectors but that the engine needs
	// as resolvers (see forceResolvers).
	forced map[string]map[string]bool
	// resolved lists, per type, the fields gqlgen runs through a resolver
	// (in a goroutine of their own); filled from gqlgen's data at
	// generation.
	resolved map[string][]string
	schema   *ast.Schema
	// userFields maps, for hand-written models, contract properties to
	// their Go fields (found by json tag).
	userFields map[string]map[string]string
}

// Errors are every mismatch found, each "file:line:col: message".
type Errors []string

func (e Errors) Error() string { return strings.Join(e, "\n") }

type analyzer struct {
	g    *Graph
	root string
	// contract, when set, gives a source's contract instead of the file
	// at root/path.
	contract func(name, path string) ([]byte, error)
	errs     Errors
	// failed are the types of connectors that did not check out: what
	// follows from them would only repeat the first error.
	failed map[string]bool
}

func (a *analyzer) errorf(pos *ast.Position, format string, args ...any) {
	loc := "schema"
	if pos != nil && pos.Src != nil {
		loc = fmt.Sprintf("%s:%d:%d", pos.Src.Name, pos.Line, pos.Column)
	}
	a.errs = append(a.errs, loc+": "+fmt.Sprintf(format, args...))
}

// Analyze reads the composition directives of schema and checks them
// against the contracts (paths relative to root).
func Analyze(schema *ast.Schema, root string) (*Graph, error) {
	return analyze(&analyzer{root: root}, schema)
}

// AnalyzeContracts is Analyze with each source's contract given by
// contract(name, path) (e.g. as the registry carries it) rather than read
// from a file.
func AnalyzeContracts(schema *ast.Schema, contract func(name, path string) ([]byte, error)) (*Graph, error) {
	return analyze(&analyzer{contract: contract}, schema)
}

func analyze(a *analyzer, schema *ast.Schema) (*Graph, error) {
	a.failed = map[string]bool{}
	a.g = &Graph{schema: schema, Models: map[string]*Model{}, Fields: map[string]map[string]*registry.Field{}}
	a.sources()
	if len(a.errs) > 0 {
		return nil, a.errs
	}
	names := typeNames(schema)
	for _, name := range names {
		def := schema.Types[name]
		if def.Kind != ast.Object {
			continue
		}
		for _, f := range def.Fields {
			if d := f.Directives.ForName("connect"); d != nil {
				if c := a.connector(def, f, d); c != nil {
					a.g.Connectors = append(a.g.Connectors, c)
				} else {
					a.failed[f.Type.Name()] = true
				}
			}
		}
	}
	for _, name := range names {
		def := schema.Types[name]
		if def.Kind != ast.Object {
			continue
		}
		for _, f := range def.Fields {
			if d := f.Directives.ForName("computed"); d != nil {
				a.computed(def, f, d)
			}
		}
	}
	a.models()
	a.loaders()
	// Writes after the reads: a write's answer is decoded into the model
	// the reads made, and what it invalidates is checked against how the
	// reads' answers are cached.
	for _, name := range names {
		def := schema.Types[name]
		if def.Kind != ast.Object {
			continue
		}
		for _, f := range def.Fields {
			if d := f.Directives.ForName("write"); d != nil {
				if w := a.write(def, f, d); w != nil {
					a.g.Writes = append(a.g.Writes, w)
				}
			}
		}
	}
	a.registry()
	a.forceResolvers()
	if len(a.errs) > 0 {
		return nil, a.errs
	}
	return a.g, nil
}

func typeNames(s *ast.Schema) []string {
	var out []string
	for n, d := range s.Types {
		if !d.BuiltIn && !strings.HasPrefix(n, "__") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func (a *analyzer) sources() {
	var dirs ast.DirectiveList
	if a.g.schema.SchemaDirectives != nil {
		dirs = a.g.schema.SchemaDirectives
	}
	seen := map[string]bool{}
	for _, d := range dirs.ForNames("source") {
		s := &Source{Source: registry.Source{Name: argString(d, "name"), Contract: argString(d, "contract"), BatchLimit: 100}, pos: d.Position}
		if v := argString(d, "batchLimit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				a.errorf(d.Position, "@source %q: batchLimit must be a positive integer, got %s", s.Name, v)
			}
			s.BatchLimit = n
		}
		s.CallerIndependent = argString(d, "callerIndependent") == "true"
		if !validName(s.Name) {
			a.errorf(d.Position, "@source name %q: use lower-case letters, digits and _ (it becomes a configuration key and a Go package)", s.Name)
			continue
		}
		if seen[s.Name] {
			a.errorf(d.Position, "@source %q is declared twice", s.Name)
			continue
		}
		seen[s.Name] = true
		var c *contract
		var err error
		if a.contract != nil {
			var b []byte
			if b, err = a.contract(s.Name, s.Contract); err == nil {
				c, err = parseContract(s.Contract, b)
			}
		} else {
			c, err = loadContract(a.root, s.Contract)
		}
		if err != nil {
			a.errorf(d.Position, "@source %q: contract %s: %v", s.Name, s.Contract, err)
			continue
		}
		s.c = c
		a.g.Sources = append(a.g.Sources, s)
	}
}

func validName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func argString(d *ast.Directive, name string) string {
	if a := d.Arguments.ForName(name); a != nil && a.Value != nil && a.Value.Kind != ast.NullValue {
		return a.Value.Raw
	}
	return ""
}

func argList(d *ast.Directive, name string) []string {
	a := d.Arguments.ForName(name)
	if a == nil || a.Value == nil {
		return nil
	}
	if a.Value.Kind != ast.ListValue {
		return []string{a.Value.Raw}
	}
	var out []string
	for _, c := range a.Value.Children {
		out = append(out, c.Value.Raw)
	}
	return out
}

func (a *analyzer) source(name string) *Source {
	for _, s := range a.g.Sources {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func (a *analyzer) sourceNames() []string {
	var out []string
	for _, s := range a.g.Sources {
		out = append(out, s.Name)
	}
	return out
}

func (a *analyzer) connector(parent *ast.Definition, f *ast.FieldDefinition, d *ast.Directive) *Connector {
	where := parent.Name + "." + f.Name
	pos := d.Position
	c := &Connector{Type: parent.Name, Field: f.Name, def: f, parent: parent, dir: d,
		Result: f.Type.Name(), List: f.Type.Elem != nil}
	before := len(a.errs)
	defer func() { c.bad = len(a.errs) > before }()
	srcName := argString(d, "source")
	c.Source = a.source(srcName)
	if c.Source == nil {
		a.errorf(pos, "%s: @connect(source: %q) does not match any @source%s", where, srcName, suggest(srcName, a.sourceNames()))
		return nil
	}
	if f.Directives.ForName("service") != nil {
		a.errorf(pos, "%s: @connect implies @service(name: %q); remove @service", where, srcName)
	}
	get := argString(d, "get")
	op, err := c.Source.c.find(get)
	if err != nil {
		a.errorf(pos, "%s: @connect get %q: %v", where, get, err)
		return nil
	}
	c.Path, c.OpName = op.path, op.name()
	ep := "GET " + op.path
	if tags := op.op.Tags; len(tags) > 0 && !contains(tags, c.Source.Name) {
		a.errorf(pos, "%s: @connect get %q: %s belongs to %s in %s, not to source %q", where, get, ep, strings.Join(tags, ", "), c.Source.Contract, c.Source.Name)
	}
	params := op.params()

	// The key.
	if key := argString(d, "key"); key != "" {
		from, name, ok := strings.Cut(strings.TrimPrefix(key, "$"), ".")
		if !strings.HasPrefix(key, "$") || !ok || (from != "this" && from != "args") || name == "" {
			a.errorf(pos, "%s: @connect key %q: want $this.<property> or $args.<argument>", where, key)
			return nil
		}
		c.KeyFrom, c.KeyName = from, name
		if from == "args" {
			arg := f.Arguments.ForName(name)
			if arg == nil {
				a.errorf(pos, "%s: @connect key %q: %s has no argument %q%s", where, key, where, name, suggest(name, argNames(f)))
				return nil
			}
			c.KeyList = arg.Type.Elem != nil
		}
	}
	c.Batch = argString(d, "batch")
	c.Match = argString(d, "match")
	switch {
	case c.Batch != "":
		p := params[c.Batch]
		switch {
		case p == nil:
			a.errorf(pos, "%s: @connect batch %q: %s has no query parameter %q%s", where, c.Batch, ep, c.Batch, suggest(c.Batch, op.paramNames("query")))
		case p.In != "query":
			a.errorf(pos, "%s: @connect batch %q: the parameter is in %s; a batch parameter is a query parameter", where, c.Batch, p.In)
		case is(schemaOf(p), "string") && standin.CommaSeparated(p):
			// A string the contract documents as a comma-separated list.
		case p.Schema == nil || !is(p.Schema.Value, "array") || p.Schema.Value.Items == nil || !is(p.Schema.Value.Items.Value, "string"):
			a.errorf(pos, "%s: @connect batch %q: %s's %s is %s, want comma-separated ids: in the contract, make it an array of strings with style: form, explode: false, or a string with x-comma-separated: true (or \"comma-separated\" in its description)", where, c.Batch, ep, c.Batch, describe(schemaOf(p)))
		case p.Explode == nil && (p.Style == "" || p.Style == "form"):
			a.errorf(pos, "%s: @connect batch %q: the contract leaves explode unset, and OpenAPI's default for a form parameter is exploded (?%s=a&%s=b); batch keys are sent comma-separated: add explode: false to the parameter", where, c.Batch, c.Batch, c.Batch)
		case *p.Explode || (p.Style != "" && p.Style != "form"):
			a.errorf(pos, "%s: @connect batch %q: the parameter is style: %s, explode: %t; batch keys are sent comma-separated (?%s=a,b): make it style: form, explode: false", where, c.Batch, cmp.Or(p.Style, "form"), p.Explode != nil && *p.Explode, c.Batch)
		}
		if c.KeyFrom == "" {
			a.errorf(pos, "%s: @connect batch %q needs a key ($this.<property> or $args.<argument>)", where, c.Batch)
		}
		if c.Match == "" {
			a.errorf(pos, "%s: @connect batch %q needs match: the property of each answered item that equals its key", where, c.Batch)
		}
		c.Kind = ByKey
		if c.List && !c.KeyList && (c.KeyFrom != "this" || !a.thisIsList(parent, c.KeyName)) {
			c.Kind = Group
		}
	case c.KeyFrom != "":
		// A single-item path takes the key in a path parameter.
		for n, p := range params {
			if p.In == "path" {
				c.PathKey = n
			}
		}
		if c.PathKey == "" {
			a.errorf(pos, "%s: @connect key %q without batch: %s has no path parameter to take it (give batch: the query parameter that takes comma-separated keys)", where, argString(d, "key"), ep)
		}
		if c.KeyList {
			a.errorf(pos, "%s: a list key needs a batch endpoint", where)
		}
		c.Kind = Single
	default:
		c.Kind = Call
	}
	if c.Match != "" && c.Kind == Single {
		a.errorf(pos, "%s: @connect match %q: only batch endpoints match items back to keys", where, c.Match)
	}

	// Other parameters.
	used := map[string]bool{c.Batch: true, c.PathKey: true}
	for _, raw := range argList(d, "params") {
		name, val, ok := strings.Cut(raw, ":")
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		if !ok || name == "" || val == "" {
			a.errorf(pos, "%s: @connect params %q: want \"name: $args.<argument>\" or \"name: literal\"", where, raw)
			continue
		}
		p := params[name]
		if p == nil {
			a.errorf(pos, "%s: @connect param %q: %s has no parameter %q%s", where, name, ep, name, suggest(name, op.paramNames("")))
			continue
		}
		if used[name] {
			if len(a.errs) == before {
				a.errorf(pos, "%s: @connect param %q is given twice", where, name)
			}
			continue
		}
		used[name] = true
		cp := Param{Name: name, In: p.In}
		if s := schemaOf(p); s != nil {
			cp.Pattern, cp.Min, cp.Max = s.Pattern, s.Min, s.Max
			for _, e := range s.Enum {
				cp.Enum = append(cp.Enum, fmt.Sprint(e))
			}
		}
		if arg, ok := strings.CutPrefix(val, "$args."); ok {
			fa := f.Arguments.ForName(arg)
			if fa == nil {
				a.errorf(pos, "%s: @connect param %q: %s has no argument %q%s", where, name, where, arg, suggest(arg, argNames(f)))
				continue
			}
			if msg := argAgrees(fa.Type, schemaOf(p)); msg != "" {
				a.errorf(pos, "%s: @connect param %q: argument %s is %s but %s's %s is %s", where, name, arg, fa.Type.String(), ep, name, msg)
			}
			if p.Required && !fa.Type.NonNull && fa.DefaultValue == nil {
				a.errorf(pos, "%s: @connect param %q: %s requires it but argument %s is nullable", where, name, ep, arg)
			}
			cp.FromArg = arg
		} else {
			cp.Literal = strings.Trim(val, `"`)
		}
		c.Params = append(c.Params, cp)
	}
	for n, p := range params {
		if p.Required && !used[n] && len(a.errs) == before {
			a.errorf(pos, "%s: @connect: %s requires parameter %q, which the connector does not give", where, ep, n)
		}
	}

	// The answer.
	resp, err := op.response()
	if err != nil {
		a.errorf(pos, "%s: @connect get %q: %v", where, get, err)
		return nil
	}
	c.Items = argString(d, "items")
	c.item = resp
	if c.Items != "" {
		prop := resp.Value.Properties[c.Items]
		if prop == nil {
			a.errorf(pos, "%s: @connect items %q: the answer of %s (%s) has no property %q%s", where, c.Items, ep, schemaName(resp), c.Items, suggest(c.Items, propNames(resp.Value)))
			return nil
		}
		if !is(prop.Value, "array") || prop.Value.Items == nil || !is(prop.Value.Items.Value, "object") {
			a.errorf(pos, "%s: @connect items %q: %s's %s is %s, want an array of objects", where, c.Items, schemaName(resp), c.Items, describe(prop.Value))
			return nil
		}
		c.item = prop.Value.Items
	} else if c.Kind == ByKey || c.Kind == Group {
		a.errorf(pos, "%s: @connect: a batch answer is an envelope; give items: the property holding the list%s", where, suggest("items", arrayProps(resp.Value)))
		return nil
	}
	if c.Match != "" {
		mp := c.item.Value.Properties[c.Match]
		switch {
		case mp == nil:
			a.errorf(pos, "%s: @connect match %q: answered items (%s) have no property %q%s", where, c.Match, schemaName(c.item), c.Match, suggest(c.Match, propNames(c.item.Value)))
		case !is(mp.Value, "string"):
			a.errorf(pos, "%s: @connect match %q: %s.%s is %s, want a string", where, c.Match, schemaName(c.item), c.Match, describe(mp.Value))
		case !contains(c.item.Value.Required, c.Match):
			a.errorf(pos, "%s: @connect match %q: %s.%s is optional; the key to match items back must be required", where, c.Match, schemaName(c.item), c.Match)
		}
	}
	if def := a.g.schema.Types[c.Result]; def == nil || def.Kind != ast.Object {
		a.errorf(pos, "%s: @connect returns %s; a connector returns an object type or a list of one", where, c.Result)
		return nil
	}
	if c.KeyList && !c.List {
		a.errorf(pos, "%s: key %q is a list but the field is not", where, argString(d, "key"))
	}

	// Order and cut.
	if s := argString(d, "sort"); s != "" {
		if !c.List {
			a.errorf(pos, "%s: @connect sort applies to list fields", where)
		}
		for _, k := range strings.Split(s, ",") {
			k = strings.TrimSpace(k)
			sk := SortKey{Prop: strings.TrimPrefix(k, "-"), Desc: strings.HasPrefix(k, "-")}
			p := c.item.Value.Properties[sk.Prop]
			switch {
			case p == nil:
				a.errorf(pos, "%s: @connect sort %q: answered items (%s) have no property %q%s", where, s, schemaName(c.item), sk.Prop, suggest(sk.Prop, propNames(c.item.Value)))
			case !contains(c.item.Value.Required, sk.Prop) || !(is(p.Value, "string") || is(p.Value, "integer") || is(p.Value, "number")):
				a.errorf(pos, "%s: @connect sort %q: %s.%s is %s%s; sort by required strings, numbers or date-times", where, s, schemaName(c.item), sk.Prop, describe(p.Value), optionalNote(c.item.Value, sk.Prop))
			}
			c.Sort = append(c.Sort, sk)
		}
	}
	if m := argString(d, "maxAge"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			a.errorf(pos, "%s: @connect maxAge %s: want a number of seconds, 0 or more", where, m)
		}
		c.MaxAge = n
	}
	if l := argString(d, "limit"); l != "" {
		arg, ok := strings.CutPrefix(l, "$args.")
		switch fa := f.Arguments.ForName(arg); {
		case !ok:
			a.errorf(pos, "%s: @connect limit %q: want $args.<argument>", where, l)
		case fa == nil:
			a.errorf(pos, "%s: @connect limit %q: %s has no argument %q%s", where, l, where, arg, suggest(arg, argNames(f)))
		case fa.Type.Name() != "Int" || fa.Type.Elem != nil:
			a.errorf(pos, "%s: @connect limit %q: argument %s is %s, want Int", where, l, arg, fa.Type.String())
		case !c.List:
			a.errorf(pos, "%s: @connect limit applies to list fields", where)
		}
		c.Limit = arg
	}
	return c
}

func optionalNote(s *openapi3.Schema, prop string) string {
	if !contains(s.Required, prop) {
		return " and optional"
	}
	return ""
}

func arrayProps(s *openapi3.Schema) []string {
	var out []string
	for n, p := range s.Properties {
		if is(p.Value, "array") {
			out = append(out, n)
		}
	}
	return out
}

func schemaOf(p *openapi3.Parameter) *openapi3.Schema {
	if p.Schema == nil {
		return nil
	}
	return p.Schema.Value
}

// argAgrees checks that an argument can be sent as a parameter; it returns
// what the parameter is when they disagree.
func argAgrees(t *ast.Type, s *openapi3.Schema) string {
	if s == nil {
		return ""
	}
	// The argument's values must all be values of the parameter: an Int
	// sent to a string parameter fails the backend's validation at run
	// time (BAD_REQUEST) whenever the string has a pattern, an enum or a
	// format, and means a mistake when it has none.
	switch t.Name() {
	case "Int":
		if is(s, "integer") || is(s, "number") {
			return ""
		}
	case "Float":
		if is(s, "number") {
			return ""
		}
	case "Boolean":
		if is(s, "boolean") {
			return ""
		}
	default:
		if is(s, "string") {
			return ""
		}
	}
	return describe(s)
}

func argNames(f *ast.FieldDefinition) []string {
	var out []string
	for _, a := range f.Arguments {
		out = append(out, a.Name)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// thisIsList reports whether $this.<prop> of parent is a list.
func (a *analyzer) thisIsList(parent *ast.Definition, prop string) bool {
	for _, c := range a.g.Connectors {
		if c.Result == parent.Name && c.item != nil {
			if p := c.item.Value.Properties[prop]; p != nil {
				return is(p.Value, "array")
			}
		}
	}
	if f := parent.Fields.ForName(prop); f != nil {
		return f.Type.Elem != nil
	}
	return false
}

func (a *analyzer) computed(parent *ast.Definition, f *ast.FieldDefinition, d *ast.Directive) {
	where := parent.Name + "." + f.Name
	if f.Directives.ForName("connect") != nil {
		a.errorf(d.Position, "%s: a field is either @connect or @computed", where)
		return
	}
	from := argString(d, "from")
	if from == "" {
		return // needs only: a method on the model
	}
	if len(argList(d, "needs")) > 0 {
		a.errorf(d.Position, "%s: @computed takes needs (a method over the model) or from (Go over a connector's data), not both", where)
	}
	var src *Connector
	for _, c := range a.g.Connectors {
		if c.Type == parent.Name && c.Field == from {
			src = c
		}
	}
	if src == nil {
		a.errorf(d.Position, "%s: @computed(from: %q): %s has no @connect field %q%s", where, from, parent.Name, from, suggest(from, a.connectorFields(parent.Name)))
		return
	}
	for _, p := range src.Params {
		if p.FromArg != "" {
			a.errorf(d.Position, "%s: @computed(from: %q): that connector's parameter %q comes from an argument, which a computed field cannot give", where, from, p.Name)
		}
	}
	if src.KeyFrom != "this" {
		a.errorf(d.Position, "%s: @computed(from: %q): the connector must be keyed by $this", where, from)
		return
	}
	a.g.Computed = append(a.g.Computed, &Computed{Type: parent.Name, Field: f.Name, From: src, def: f})
}

func (a *analyzer) connectorFields(typeName string) []string {
	var out []string
	for _, c := range a.g.Connectors {
		if c.Type == typeName {
			out = append(out, c.Field)
		}
	}
	return out
}

// registry computes what the gateway reads about every field.
func (a *analyzer) registry() {
	byField := map[string]*Connector{}
	for _, c := range a.g.Connectors {
		byField[c.Type+"."+c.Field] = c
	}
	computed := map[string]*Computed{}
	for _, c := range a.g.Computed {
		computed[c.Type+"."+c.Field] = c
	}
	writes := map[string]*Write{}
	for _, w := range a.g.Writes {
		writes[w.Type+"."+w.Field] = w
	}
	for _, name := range typeNames(a.g.schema) {
		def := a.g.schema.Types[name]
		if def.Kind != ast.Object {
			continue
		}
		for _, f := range def.Fields {
			fi := &registry.Field{}
			useful := false
			if c := byField[name+"."+f.Name]; c != nil {
				fi.Service, fi.Endpoint, useful = c.Source.Name, c.Loader.Endpoint, true
				fi.Loader = c.Loader.Name
				fi.Unbatched = c.Kind == Call || c.Kind == Single
				fi.Batch = batchField(c.Type, f)
				for _, p := range c.Params {
					if p.FromArg == "" {
						continue
					}
					fi.BatchArgs = append(fi.BatchArgs, p.FromArg)
					if p.Min != nil || p.Max != nil {
						r := registry.Range{}
						if p.Min != nil {
							r.Min, r.HasMin = int64(*p.Min), true
						}
						if p.Max != nil {
							r.Max, r.HasMax = int64(*p.Max), true
						}
						setRange(fi, p.FromArg, r)
					}
				}
			}
			if w := writes[name+"."+f.Name]; w != nil {
				fi.Service, fi.Endpoint, fi.Write, fi.Method, useful = w.Source.Name, w.Name, true, w.Method, true
				fi.Unbatched = true
				fi.OwnerRead = w.Read != ""
				// The contract's bounds of an integer the write sends are
				// the argument's range, checked with every other before
				// anything runs.
				for _, c := range w.Checks {
					if c.Kind == "range" {
						setRange(fi, c.Arg, registry.Range{Min: c.Lo, HasMin: c.HasLo, Max: c.Hi, HasMax: c.HasHi})
					}
				}
			}
			if c := computed[name+"."+f.Name]; c != nil {
				fi.Service, fi.Endpoint, useful = c.From.Source.Name, c.From.Loader.Endpoint, true
				fi.Loader = c.From.Loader.Name
				fi.Unbatched = c.From.Kind == Call || c.From.Kind == Single
				fi.Batch = batchField(c.Type, f)
			}
			if d := f.Directives.ForName("service"); d != nil {
				fi.Service, useful = argString(d, "name"), true
				if a.source(fi.Service) == nil {
					a.errorf(d.Position, "%s.%s: @service(name: %q) does not match any @source%s", name, f.Name, fi.Service, suggest(fi.Service, a.sourceNames()))
				}
			}
			switch {
			case f.Directives.ForName("critical") != nil && f.Directives.ForName("optional") != nil:
				a.errorf(f.Position, "%s.%s: @critical and @optional contradict each other", name, f.Name)
			case f.Directives.ForName("critical") != nil:
				fi.Criticality, useful = registry.Critical, true
			case f.Directives.ForName("optional") != nil:
				fi.Criticality, useful = registry.Optional, true
				if f.Type.NonNull {
					a.errorf(f.Position, "%s.%s: @optional fields must be nullable", name, f.Name)
				}
			}
			if d := f.Directives.ForName("fallback"); d != nil {
				dur, err := time.ParseDuration(argString(d, "staleFor"))
				if err != nil || dur <= 0 {
					a.errorf(d.Position, "%s.%s: @fallback(staleFor: %q) is not a positive Go duration such as \"10m\"", name, f.Name, argString(d, "staleFor"))
				}
				fi.StaleFor, useful = dur, true
			}
			if d := f.Directives.ForName("auth"); d != nil {
				fi.Auth, useful = argString(d, "requires"), true
				fi.Owner = a.authOwner(def, f, d, f.Directives.ForName("write") != nil)
			}
			if d := f.Directives.ForName("listSize"); d != nil {
				ls := &registry.ListSize{SlicingArgument: argString(d, "slicingArgument"), SizedFields: argList(d, "sizedFields")}
				if v := argString(d, "assumed"); v != "" {
					ls.Assumed, _ = strconv.Atoi(v)
				}
				if ls.SlicingArgument != "" && f.Arguments.ForName(ls.SlicingArgument) == nil {
					a.errorf(d.Position, "%s.%s: @listSize(slicingArgument: %q): no such argument%s", name, f.Name, ls.SlicingArgument, suggest(ls.SlicingArgument, argNames(f)))
				}
				fi.ListSize, useful = ls, true
			}
			for _, arg := range f.Arguments {
				d := arg.Directives.ForName("range")
				if d == nil {
					continue
				}
				r := registry.Range{List: arg.Type.Elem != nil}
				if v := argString(d, "min"); v != "" {
					r.Min, _ = strconv.ParseInt(v, 10, 64)
					r.HasMin = true
				}
				if v := argString(d, "max"); v != "" {
					r.Max, _ = strconv.ParseInt(v, 10, 64)
					r.HasMax = true
				}
				if !r.List && arg.Type.Name() != "Int" {
					a.errorf(d.Position, "%s.%s(%s): @range applies to Int arguments and lists", name, f.Name, arg.Name)
				}
				if r.HasMin && r.HasMax && r.Min > r.Max {
					a.errorf(d.Position, "%s.%s(%s): @range(min: %d, max: %d) admits nothing", name, f.Name, arg.Name, r.Min, r.Max)
				}
				setRange(fi, arg.Name, r)
				useful = true
			}
			if fi.Service != "" && f.Type.NonNull && fi.Criticality != registry.Critical {
				a.errorf(f.Position, "%s.%s is served by %s on its own but non-null: a failure would null its parent; make it nullable (or @critical)", name, f.Name, fi.Service)
			}
			if fi.StaleFor > 0 && fi.Service == "" {
				a.errorf(f.Position, "%s.%s has @fallback but no service serves it", name, f.Name)
			}
			if useful {
				if a.g.Fields[name] == nil {
					a.g.Fields[name] = map[string]*registry.Field{}
				}
				a.g.Fields[name][f.Name] = fi
			}
		}
	}
}

// setRange records r as a bound of fi's argument arg: @range and the
// contract's bounds of the parameter it feeds together (the narrower of
// each).
func setRange(fi *registry.Field, arg string, r registry.Range) {
	if fi.Args == nil {
		fi.Args = map[string]registry.Range{}
	}
	old, ok := fi.Args[arg]
	if !ok {
		fi.Args[arg] = r
		return
	}
	if r.HasMin && (!old.HasMin || r.Min > old.Min) {
		old.Min, old.HasMin = r.Min, true
	}
	if r.HasMax && (!old.HasMax || r.Max < old.Max) {
		old.Max, old.HasMax = r.Max, true
	}
	old.List = old.List || r.List
	fi.Args[arg] = old
}

// batchField reports whether the generated resolver of a field of typeName
// is a batch resolver: all but root fields and per-owner @auth fields (an
// owner rule is decided per parent).
func batchField(typeName string, f *ast.FieldDefinition) bool {
	if typeName == "Query" || typeName == "Mutation" || typeName == "Subscription" {
		return false
	}
	return f.Directives.ForName("auth") == nil
}

var errNoGraph = errors.New("compose: no graph")
