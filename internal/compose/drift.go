package compose

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/internal/standin"
)

// Drift is one difference between a service's checked-in contract and the
// one it publishes.
type Drift struct {
	// Where is what changed: "GET /prices", "GET /prices parameter
	// productIds", "Price.listAmountCents", "POST /reviews body
	// NewReview.body".
	Where string
	// What is the change, with what to do when the graph uses it.
	What string
	// Breaking is set when the change touches what the graph reads or
	// writes; the others are safe.
	Breaking bool
	// Connectors are the connectors that call what changed, each as
	// "file:line Type.field".
	Connectors []string
	// Fields are the GraphQL fields served through what changed
	// ("Type.field"): the connectors' own fields first, then the fields
	// read from a changed property.
	Fields []string
	// Selected are the fields whose selections break: the connectors' own
	// fields when their whole call or answer fails (an endpoint, a
	// parameter, a body, a retyped property the answer no longer decodes
	// into), else the fields read from the changed property.
	Selected []string
}

// Drift compares the checked-in contract of service (the one g was
// analysed against) with published, the one the service publishes. It
// reports every change the graph's connectors see — their operations,
// parameters, request bodies and the properties read from the answers
// (presence, type, format, required-ness, enum values, bounds) — as
// breaking, and the other changes of paths, operations and schemas as safe.
func (g *Graph) Drift(service string, published *openapi3.T) ([]Drift, error) {
	var src *Source
	for _, s := range g.Sources {
		if s.Name == service {
			src = s
		}
	}
	if src == nil {
		var names []string
		for _, s := range g.Sources {
			names = append(names, s.Name)
		}
		return nil, fmt.Errorf("no @source %q%s", service, suggest(service, names))
	}
	d := &drifter{g: g, src: src, old: src.c.doc, nu: published, byKey: map[string]*Drift{}, used: map[string]bool{}}
	for _, c := range g.Connectors {
		if c.Source == src && !c.bad {
			d.connector(c)
		}
	}
	for _, w := range g.Writes {
		if w.Source == src {
			d.write(w)
		}
	}
	d.safe()
	out := make([]Drift, 0, len(d.order))
	for _, k := range d.order {
		ch := d.byKey[k]
		ch.Connectors = dedupe(ch.Connectors)
		ch.Fields = dedupe(ch.Fields)
		ch.Selected = dedupe(ch.Selected)
		out = append(out, *ch)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Breaking && !out[j].Breaking })
	return out, nil
}

type drifter struct {
	g       *Graph
	src     *Source
	old, nu *openapi3.T
	byKey   map[string]*Drift
	order   []string
	used    map[string]bool // what the graph uses, by Where
}

func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// ConnectorName is "file:line Type.field", the file as gqlgen's sources
// name it (relative to the schema's directory when it has no directory).
func (c *Connector) ConnectorName() string {
	pos := c.dir.Position
	if pos == nil || pos.Src == nil {
		return c.Type + "." + c.Field
	}
	name := pos.Src.Name
	if !strings.Contains(name, "/") {
		name = "graph/" + name
	}
	return fmt.Sprintf("%s:%d %s.%s", name, pos.Line, c.Type, c.Field)
}

// add records a change seen through connector c (nil for a safe change
// no connector sees). Without fields, the change is the connector's: its
// whole call fails.
func (d *drifter) add(where, what string, breaking bool, c *Connector, fields ...string) {
	d.record(where, what, breaking, c, len(fields) == 0, fields)
}

// addWhole records a change to a property that fails c's whole answer.
func (d *drifter) addWhole(where, what string, breaking bool, c *Connector, fields ...string) {
	d.record(where, what, breaking, c, true, fields)
}

func (d *drifter) record(where, what string, breaking bool, c *Connector, whole bool, fields []string) {
	key := where + "\x00" + what
	ch := d.byKey[key]
	if ch == nil {
		ch = &Drift{Where: where, What: what, Breaking: breaking}
		d.byKey[key] = ch
		d.order = append(d.order, key)
	}
	if c != nil {
		own := c.Type + "." + c.Field
		ch.Connectors = append(ch.Connectors, c.ConnectorName())
		ch.Fields = append(ch.Fields, own)
		if whole {
			ch.Selected = append(ch.Selected, own)
		}
	}
	ch.Fields = append(ch.Fields, fields...)
	ch.Selected = append(ch.Selected, fields...)
}

// operationOf finds c's operation in doc: the method whose operation has
// c's name at c's path.
func operationOf(doc *openapi3.T, c *Connector) (string, *openapi3.PathItem, *openapi3.Operation) {
	item := doc.Paths.Value(c.Path)
	if item == nil {
		return "", nil, nil
	}
	ops := item.Operations()
	methods := make([]string, 0, len(ops))
	for m := range ops {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	for _, m := range methods {
		if o := (&operation{path: c.Path, op: ops[m], item: item}); o.name() == c.OpName {
			return m, item, ops[m]
		}
	}
	if op := item.GetOperation(http.MethodGet); op != nil {
		return http.MethodGet, item, op
	}
	return "", nil, nil
}

func (d *drifter) connector(c *Connector) {
	method, oldItem, oldOp := operationOf(d.old, c)
	if oldOp == nil {
		return
	}
	ep := method + " " + c.Path
	d.used[ep] = true
	newItem := d.nu.Paths.Value(c.Path)
	var newOp *openapi3.Operation
	if newItem != nil {
		newOp = newItem.GetOperation(method)
	}
	if newOp == nil {
		what := "removed"
		if id := oldOp.OperationID; id != "" {
			for p, it := range d.nu.Paths.Map() {
				for m, o := range it.Operations() {
					if o.OperationID == id {
						what = fmt.Sprintf("removed: operation %s is now %s %s; the connector's get must follow", id, m, p)
					}
				}
			}
		}
		if what == "removed" {
			what += suggest(c.Path, pathsOf(d.nu))
		}
		d.add(ep, what, true, c)
		return
	}
	oldParams := (&operation{path: c.Path, op: oldOp, item: oldItem}).params()
	nuOp := &operation{path: c.Path, op: newOp, item: newItem}
	newParams := nuOp.params()
	sent := []string{}
	for _, n := range []string{c.Batch, c.PathKey} {
		if n != "" {
			sent = append(sent, n)
		}
	}
	for _, p := range c.Params {
		sent = append(sent, p.Name)
	}
	for _, n := range sent {
		where := ep + " parameter " + n
		d.used[where] = true
		op, np := oldParams[n], newParams[n]
		if op == nil {
			continue
		}
		if np == nil {
			d.add(where, "removed"+suggest(n, nuOp.paramNames("")), true, c)
			continue
		}
		if op.In != np.In {
			d.add(where, fmt.Sprintf("moved from %s to %s", op.In, np.In), true, c)
		}
		if n == c.Batch {
			if msg := batchShape(np); msg != "" {
				d.add(where, msg, true, c)
			} else if s := schemaOf(np); s != nil && s.MaxItems != nil && int(*s.MaxItems) < d.src.BatchLimit {
				d.add(where, fmt.Sprintf("takes at most %d ids, but the graph sends up to %d (@source batchLimit)", *s.MaxItems, d.src.BatchLimit), true, c)
			}
			continue
		}
		d.schema(where, schemaRefOf(op), schemaRefOf(np), false, c)
	}
	for _, n := range nuOp.paramNames("") {
		np := newParams[n]
		if np.Required && !slices.Contains(sent, n) && (oldParams[n] == nil || !oldParams[n].Required) {
			d.add(ep+" parameter "+n, "now required, and the connector does not send it", true, c)
		}
	}
	d.body(ep, oldOp, newOp, c, nil)

	// The answer.
	newResp, err := nuOp.responseFor(method)
	if err != nil {
		d.add(ep+" answer", err.Error(), true, c)
		return
	}
	newItemSchema := newResp
	if c.Items != "" {
		where := ep + " answer " + schemaName(c.item) + " in " + c.Items
		d.used[schemaName(newResp)+"."+c.Items] = true
		p := newResp.Value.Properties[c.Items]
		switch {
		case p == nil:
			d.add(where, "removed"+suggest(c.Items, propNames(newResp.Value)), true, c)
			return
		case !is(p.Value, "array") || p.Value.Items == nil || p.Value.Items.Value == nil:
			d.add(where, "now "+describe(p.Value)+", not a list of items", true, c)
			return
		}
		newItemSchema = p.Value.Items
	}
	if c.Match != "" {
		where := schemaName(c.item) + "." + c.Match
		d.used[where] = true
		if mp := newItemSchema.Value.Properties[c.Match]; mp == nil {
			d.add(where, "removed"+suggest(c.Match, propNames(newItemSchema.Value))+"; the connector matches items back by it", true, c)
		} else if !required(newItemSchema.Value, c.Match) {
			d.add(where, "now optional; the connector matches items back by it", true, c)
		}
	}
	d.walk(c.Result, c.item, newItemSchema, c, map[string]bool{})
}

// responseFor is the JSON schema of the operation's success answer (for
// GET 200, for a write its 2xx).
func (o *operation) responseFor(method string) (*openapi3.SchemaRef, error) {
	if method == http.MethodGet {
		return o.response()
	}
	for _, code := range []int{200, 201, 202} {
		if r := o.op.Responses.Status(code); r != nil && r.Value != nil {
			if mt := r.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil && mt.Schema.Value != nil {
				return mt.Schema, nil
			}
		}
	}
	return nil, fmt.Errorf("%s %s has no 2xx application/json answer", method, o.path)
}

func pathsOf(doc *openapi3.T) []string {
	var out []string
	for p := range doc.Paths.Map() {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func schemaRefOf(p *openapi3.Parameter) *openapi3.SchemaRef {
	if p == nil {
		return nil
	}
	return p.Schema
}

// batchShape explains why a published batch parameter no longer takes
// comma-separated ids ("" when it does).
func batchShape(p *openapi3.Parameter) string {
	s := schemaOf(p)
	switch {
	case is(s, "string") && standin.CommaSeparated(p):
		return ""
	case s == nil || !is(s, "array") || s.Items == nil || !is(s.Items.Value, "string"):
		return "now " + describe(s) + ", no longer comma-separated ids"
	case p.Explode == nil && (p.Style == "" || p.Style == "form"):
		return "explode is now unset, which OpenAPI reads as exploded (?id=a&id=b); the gateway sends comma-separated ids"
	case *p.Explode || (p.Style != "" && p.Style != "form"):
		return "now exploded or not style: form; the gateway sends comma-separated ids"
	}
	return ""
}

// write compares what a @write mutation sends and reads: its operation,
// its path parameters, its request body and its answer.
func (d *drifter) write(w *Write) {
	// A connector stands for the write in the report: its name and field.
	c := &Connector{Type: w.Type, Field: w.Field, Source: w.Source, Path: w.Path, dir: w.def.Directives.ForName("write")}
	ep := w.Method + " " + w.Path
	d.used[ep] = true
	oldItem := d.old.Paths.Value(w.Path)
	if oldItem == nil || oldItem.GetOperation(w.Method) == nil {
		return
	}
	oldOp := oldItem.GetOperation(w.Method)
	newItem := d.nu.Paths.Value(w.Path)
	var newOp *openapi3.Operation
	if newItem != nil {
		newOp = newItem.GetOperation(w.Method)
	}
	if newOp == nil {
		what := "removed" + suggest(w.Path, pathsOf(d.nu))
		if id := oldOp.OperationID; id != "" {
			for p, it := range d.nu.Paths.Map() {
				for m, o := range it.Operations() {
					if o.OperationID == id {
						what = fmt.Sprintf("removed: operation %s is now %s %s; the @write must follow", id, m, p)
					}
				}
			}
		}
		d.add(ep, what, true, c)
		return
	}
	oldParams := (&operation{path: w.Path, op: oldOp, item: oldItem}).params()
	nuOp := &operation{path: w.Path, op: newOp, item: newItem}
	newParams := nuOp.params()
	var sent []string
	for _, v := range w.Params {
		sent = append(sent, v.Name)
		where := ep + " parameter " + v.Name
		d.used[where] = true
		op, np := oldParams[v.Name], newParams[v.Name]
		switch {
		case op == nil:
		case np == nil:
			d.add(where, "removed"+suggest(v.Name, nuOp.paramNames("")), true, c)
		case op.In != np.In:
			d.add(where, fmt.Sprintf("moved from %s to %s", op.In, np.In), true, c)
		default:
			d.schema(where, op.Schema, np.Schema, false, c)
		}
	}
	for _, n := range nuOp.paramNames("") {
		if np := newParams[n]; np.Required && !slices.Contains(sent, n) && (oldParams[n] == nil || !oldParams[n].Required) {
			d.add(ep+" parameter "+n, "now required, and the @write does not send it", true, c)
		}
	}
	body := []string{}
	for _, v := range w.Body {
		body = append(body, v.Name)
	}
	d.body(ep, oldOp, newOp, c, body)
	if w.resp == nil {
		return
	}
	newResp, err := nuOp.responseFor(w.Method)
	if err != nil {
		d.add(ep+" answer", err.Error(), true, c)
		return
	}
	d.walk(w.Result, w.resp, newResp, c, map[string]bool{})
}

// body compares the request bodies of an operation; sends are the
// properties the graph sends (nil: every property of the old body).
func (d *drifter) body(ep string, oldOp, newOp *openapi3.Operation, c *Connector, sends []string) {
	ob, nb := bodySchema(oldOp), bodySchema(newOp)
	if ob == nil {
		if nb != nil && newOp.RequestBody.Value.Required {
			d.add(ep+" body", "now required, and the connector sends none", true, c)
		}
		return
	}
	where := ep + " body " + schemaName(ob)
	d.used[where] = true
	if nb == nil {
		d.add(where, "removed", true, c)
		return
	}
	for _, p := range propNames(nb.Value) {
		if required(nb.Value, p) && !required(ob.Value, p) && !slices.Contains(sends, p) {
			d.add(where+"."+p, "now required; the graph does not send it", true, c)
		}
	}
	for _, p := range propNames(ob.Value) {
		if sends != nil && !slices.Contains(sends, p) {
			continue // not sent: what becomes of it is safe
		}
		w := where + "." + p
		d.used[w] = true
		np := nb.Value.Properties[p]
		if np == nil {
			d.add(w, "removed"+suggest(p, propNames(nb.Value))+"; the graph sends it", true, c)
			continue
		}
		d.schema(w, ob.Value.Properties[p], np, false, c)
	}
}

func bodySchema(op *openapi3.Operation) *openapi3.SchemaRef {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	mt := op.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil
	}
	return mt.Schema
}

// walk compares what the graph reads of typeName's item (o, checked in;
// n, published), and of the object types nested in it.
func (d *drifter) walk(typeName string, o, n *openapi3.SchemaRef, c *Connector, seen map[string]bool) {
	m := d.g.Models[typeName]
	if m == nil || o == nil || o.Value == nil || n == nil || n.Value == nil || seen[typeName] {
		return
	}
	seen[typeName] = true
	// read: property → the fields served from it.
	read := map[string][]string{}
	for f, p := range m.Props {
		read[p] = append(read[p], typeName+"."+f)
	}
	for p := range m.Hidden {
		var by []string
		for _, k := range d.g.Connectors {
			if k.Type == typeName && k.KeyFrom == "this" && k.KeyName == p {
				by = append(by, k.Type+"."+k.Field)
			}
		}
		if def := d.g.schema.Types[typeName]; def != nil {
			for _, f := range def.Fields {
				if cd := f.Directives.ForName("computed"); cd != nil && slices.Contains(argList(cd, "needs"), p) {
					by = append(by, typeName+"."+f.Name)
				}
			}
		}
		read[p] = append(read[p], by...)
	}
	name := schemaName(o)
	if name == "inline" {
		name = typeName + " (inline)"
	}
	props := make([]string, 0, len(read))
	for p := range read {
		props = append(props, p)
	}
	sort.Strings(props)
	for _, p := range props {
		fields := read[p]
		sort.Strings(fields)
		where := name + "." + p
		d.used[where] = true
		op, np := o.Value.Properties[p], n.Value.Properties[p]
		if op == nil {
			continue
		}
		if np == nil {
			d.add(where, "removed"+suggest(p, propNames(n.Value)), true, c, fields...)
			continue
		}
		if required(o.Value, p) && !required(n.Value, p) {
			// It breaks a non-null field, or a key or computed field that
			// needs it; a nullable field reads its absence as null.
			needed := m.Hidden[p]
			for f, prop := range m.Props {
				if fd := d.g.schema.Types[typeName].Fields.ForName(f); prop == p && fd != nil && fd.Type.NonNull {
					needed = true
				}
			}
			if needed {
				d.add(where, "now optional (not in required, or nullable); the graph reads it as always present", true, c, fields...)
			} else {
				d.add(where, "now optional (the graph reads it as nullable)", false, c, fields...)
			}
		}
		d.schema(where, op, np, true, c, fields...)
		for _, f := range fields {
			t, field, _ := strings.Cut(f, ".")
			fd := d.g.schema.Types[t].Fields.ForName(field)
			if fd == nil {
				continue
			}
			nested := d.g.schema.Types[fd.Type.Name()]
			if nested == nil || nested.Kind != ast.Object {
				continue
			}
			oi, ni := op, np
			if is(op.Value, "array") && is(np.Value, "array") {
				oi, ni = op.Value.Items, np.Value.Items
			}
			d.walk(nested.Name, oi, ni, c, seen)
		}
	}
}

// schema compares one used schema: type, format, items, enum values,
// pattern and bounds. answer says whether the graph reads it (in an
// answer) or sends it (a parameter or a body property): a narrower enum
// or bound breaks what the graph sends, a wider one what it reads.
func (d *drifter) schema(where string, o, n *openapi3.SchemaRef, answer bool, c *Connector, fields ...string) {
	if o == nil || n == nil || o.Value == nil || n.Value == nil {
		return
	}
	ov, nv := o.Value, n.Value
	if describe(ov) != describe(nv) {
		d.addWhole(where, fmt.Sprintf("type %s → %s", describe(ov), describe(nv)), true, c, fields...)
		return
	}
	if len(ov.Enum) > 0 || len(nv.Enum) > 0 {
		oe, ne := enumSet(ov), enumSet(nv)
		var gone, added []string
		for _, v := range oe {
			if !slices.Contains(ne, v) {
				gone = append(gone, v)
			}
		}
		for _, v := range ne {
			if !slices.Contains(oe, v) {
				added = append(added, v)
			}
		}
		if len(ne) == 0 && len(oe) > 0 {
			d.add(where, "enum removed: any string now", answer, c, fields...)
		} else if len(gone) > 0 {
			d.add(where, "enum narrowed: no longer has "+strings.Join(gone, ", "), true, c, fields...)
		}
		if len(added) > 0 {
			what := "enum widened: now also " + strings.Join(added, ", ")
			if answer {
				what += "; the graph's enum cannot return them"
			}
			d.add(where, what, answer, c, fields...)
		}
	}
	if ov.Pattern != nv.Pattern {
		d.add(where, fmt.Sprintf("pattern %q → %q", ov.Pattern, nv.Pattern), true, c, fields...)
	}
	for _, b := range []struct {
		name     string
		old, new *float64
		lower    bool // a minimum: raising it narrows
	}{
		{"minimum", ov.Min, nv.Min, true},
		{"maximum", ov.Max, nv.Max, false},
		{"minLength", u2f(&ov.MinLength), u2f(&nv.MinLength), true},
		{"maxLength", u2f(ov.MaxLength), u2f(nv.MaxLength), false},
		{"minItems", u2f(&ov.MinItems), u2f(&nv.MinItems), true},
		{"maxItems", u2f(ov.MaxItems), u2f(nv.MaxItems), false},
	} {
		if fmtBound(b.old) == fmtBound(b.new) {
			continue
		}
		narrower := b.new != nil && (b.old == nil || (b.lower && *b.new > *b.old) || (!b.lower && *b.new < *b.old))
		if b.lower && b.new != nil && *b.new == 0 && b.old == nil {
			continue
		}
		// Narrower breaks what the graph sends; wider what it reads.
		d.add(where, fmt.Sprintf("%s %s → %s", b.name, fmtBound(b.old), fmtBound(b.new)), narrower != answer, c, fields...)
	}
	if is(ov, "array") && ov.Items != nil && nv.Items != nil {
		d.schema(where+"[]", ov.Items, nv.Items, answer, c, fields...)
	}
}

func u2f(u *uint64) *float64 {
	if u == nil || *u == 0 {
		return nil
	}
	f := float64(*u)
	return &f
}

func fmtBound(f *float64) string {
	if f == nil {
		return "none"
	}
	return fmt.Sprint(*f)
}

func enumSet(s *openapi3.Schema) []string {
	var out []string
	for _, v := range s.Enum {
		out = append(out, fmt.Sprint(v))
	}
	sort.Strings(out)
	return out
}

// safe lists the changes the graph does not use: operations and paths
// added or removed, schema properties added, removed or retyped.
func (d *drifter) safe() {
	type opKey struct{ method, path string }
	ops := func(doc *openapi3.T) map[opKey]*openapi3.Operation {
		out := map[opKey]*openapi3.Operation{}
		for p, it := range doc.Paths.Map() {
			for m, o := range it.Operations() {
				out[opKey{m, p}] = o
			}
		}
		return out
	}
	oldOps, newOps := ops(d.old), ops(d.nu)
	var keys []opKey
	for k := range oldOps {
		keys = append(keys, k)
	}
	for k := range newOps {
		if oldOps[k] == nil {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].path+keys[i].method < keys[j].path+keys[j].method
	})
	for _, k := range keys {
		ep := k.method + " " + k.path
		switch {
		case oldOps[k] == nil:
			d.add(ep, "added", false, nil)
		case newOps[k] == nil && !d.used[ep]:
			d.add(ep, "removed (no connector calls it)", false, nil)
		}
	}
	schemas := func(doc *openapi3.T) openapi3.Schemas {
		if doc.Components == nil {
			return nil
		}
		return doc.Components.Schemas
	}
	oldSchemas, newSchemas := schemas(d.old), schemas(d.nu)
	var names []string
	for n := range oldSchemas {
		names = append(names, n)
	}
	for n := range newSchemas {
		if oldSchemas[n] == nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		o, nw := oldSchemas[n], newSchemas[n]
		switch {
		case o == nil:
			d.add(n, "schema added", false, nil)
			continue
		case nw == nil:
			d.add(n, "schema removed (the graph reads nothing of it)", false, nil)
			continue
		case o.Value == nil || nw.Value == nil:
			continue
		}
		for _, p := range propNames(nw.Value) {
			if o.Value.Properties[p] == nil {
				d.add(n+"."+p, "property added", false, nil)
			}
		}
		for _, p := range propNames(o.Value) {
			w := n + "." + p
			if d.used[w] {
				continue
			}
			np := nw.Value.Properties[p]
			switch {
			case np == nil:
				d.add(w, "property removed (the graph does not read it)", false, nil)
			case describe(o.Value.Properties[p].Value) != describe(np.Value):
				d.add(w, fmt.Sprintf("type %s → %s (the graph does not read it)", describe(o.Value.Properties[p].Value), describe(np.Value)), false, nil)
			case required(o.Value, p) != required(nw.Value, p):
				d.add(w, "required-ness changed (the graph does not read it)", false, nil)
			}
		}
	}
}
