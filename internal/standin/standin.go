// Package standin serves any OpenAPI contract with deterministic data shaped
// by it: the gateway's development mode and the test suites run a declared
// service that has no demo implementation and no URL on a stand-in, so a new
// backend is usable (and the suite green) before its service exists.
//
// What a stand-in answers, per operation of the contract:
//   - values follow the schemas: enums, formats (date-time, date, uri,
//     email, uuid), bounds (minimum/maximum, minLength/maxLength,
//     minItems/maxItems), patterns and examples; the same request always gets
//     the same answer;
//   - a batch look-up (a query parameter that is a comma-separated id list)
//     answers one item per distinct known id, its key property (productIds →
//     productId, ids → id) set to the id; unknown ids are omitted;
//   - a single-item path (/things/{id}) answers the item with its id set, or
//     404 for an unknown id;
//   - a query parameter named like a string property of the items (e.g.
//     ?currency=EUR and the items' currency) is echoed into them;
//   - a write answers its success status with the body's properties merged
//     into the generated item.
//
// An id is known when it fits the id's schemas in the contract (the
// parameter's and the key property's: pattern, length, enum): give ids a
// pattern to let the stand-in tell unknown ones. Optional object properties
// are left out (that is where schemas recurse), optional scalars are set.
// Requests the contract refuses (a missing required parameter, more ids than
// maxItems, a malformed body) get 400. GET /openapi.yaml serves the contract.
package standin

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// Limits that keep a stand-in's answers small whatever the contract says.
const (
	maxDepth     = 6   // nested objects/arrays (also ends $ref cycles)
	arrayItems   = 2   // items of a generated array, within minItems/maxItems
	listingItems = 3   // items of a listing without a page-size parameter
	maxListing   = 100 // items of a listing whatever the page size asks
	maxBody      = 1 << 20
	// maxValues bounds the values of one answer: a contract whose objects
	// nest wide lists of required objects would otherwise grow as
	// width^depth.
	maxValues = 20000
)

// Handler serves one contract. It is safe for concurrent use.
type Handler struct {
	name string
	raw  []byte
	ops  []route
}

type route struct {
	method string
	path   string   // template, e.g. /users/{id}
	segs   []string // split template
	op     *openapi3.Operation
	params openapi3.Parameters
}

// New parses doc (an OpenAPI 3 document) and returns a stand-in for the
// service name.
func New(name string, doc []byte) (*Handler, error) {
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = false
	d, err := l.LoadFromData(doc)
	if err != nil {
		return nil, fmt.Errorf("standin: %s: %w", name, err)
	}
	if err := d.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("standin: %s: not valid OpenAPI: %w", name, err)
	}
	h := &Handler{name: name, raw: slices.Clone(doc)}
	paths := d.Paths.InMatchingOrder() // concrete segments before templates
	for _, p := range paths {
		item := d.Paths.Value(p)
		methods := make([]string, 0, 4)
		for m := range item.Operations() {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, m := range methods {
			op := item.GetOperation(m)
			params := append(slices.Clone(item.Parameters), op.Parameters...)
			h.ops = append(h.ops, route{method: m, path: p, segs: strings.Split(strings.Trim(p, "/"), "/"), op: op, params: params})
		}
	}
	return h, nil
}

// Name is the service the stand-in serves.
func (h *Handler) Name() string { return h.name }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/openapi.yaml" {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(h.raw)
		return
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	pathFound := false
	for _, rt := range h.ops {
		vars, ok := match(rt.segs, segs)
		if !ok {
			continue
		}
		pathFound = true
		if rt.method != r.Method {
			continue
		}
		status, body := h.answer(r, rt, vars)
		writeJSON(w, status, body)
		return
	}
	if pathFound {
		writeJSON(w, http.StatusMethodNotAllowed, errorBody("%s %s is not in the %s contract", r.Method, r.URL.Path, h.name))
		return
	}
	writeJSON(w, http.StatusNotFound, errorBody("%s is not in the %s contract", r.URL.Path, h.name))
}

func match(tmpl, segs []string) (map[string]string, bool) {
	if len(tmpl) != len(segs) {
		return nil, false
	}
	vars := map[string]string{}
	for i, t := range tmpl {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if segs[i] == "" {
				return nil, false
			}
			vars[t[1:len(t)-1]] = segs[i]
			continue
		}
		if t != segs[i] {
			return nil, false
		}
	}
	return vars, true
}

func errorBody(format string, args ...any) any {
	return map[string]string{"error": fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// answer is the status and body for one request to rt.
func (h *Handler) answer(r *http.Request, rt route, vars map[string]string) (int, any) {
	q := r.URL.Query()
	var batchName string
	var batchIDs []string
	echo := map[string]string{}
	seed := rt.method + " " + rt.path
	for _, pr := range rt.params {
		p := pr.Value
		if p == nil {
			continue
		}
		switch p.In {
		case "path":
			v := vars[p.Name]
			if !fits(p.Schema, v) {
				return http.StatusNotFound, errorBody("no %s with %s %q", h.name, p.Name, v)
			}
			seed += " " + v
		case "query":
			vals, given := q[p.Name]
			if !given || len(vals) == 0 || vals[0] == "" {
				if p.Required {
					return http.StatusBadRequest, errorBody("missing query parameter %s", p.Name)
				}
				continue
			}
			if list, ok := idList(p); ok {
				ids := vals
				if !exploded(p) {
					ids = strings.Split(vals[0], ",")
				}
				if max := list.MaxItems; max != nil && uint64(len(ids)) > *max {
					return http.StatusBadRequest, errorBody("at most %d ids in %s", *max, p.Name)
				}
				if batchName == "" {
					batchName, batchIDs = p.Name, ids
				}
				continue
			}
			echo[p.Name] = vals[0]
		}
	}
	status, resp := success(rt.op)
	var body map[string]any
	if rt.op.RequestBody != nil && rt.op.RequestBody.Value != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			return http.StatusBadRequest, errorBody("read body: %v", err)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			if rt.op.RequestBody.Value.Required {
				return http.StatusBadRequest, errorBody("the request needs a JSON body")
			}
		} else if err := json.Unmarshal(b, &body); err != nil {
			return http.StatusBadRequest, errorBody("the body is not a JSON object: %v", err)
		}
		seed += " " + string(b)
	}
	if resp == nil {
		return status, map[string]any{}
	}
	g := &gen{}
	envelope := resp.Value
	items, itemsProp := listProperty(envelope)
	switch {
	case items != nil && batchName != "":
		key := keyProperty(items.Value, batchName)
		var out []any
		seen := map[string]bool{}
		for _, id := range batchIDs {
			if seen[id] || !fits(itemSchema(batchParam(rt.params, batchName)), id) || !fits(items.Value.Properties[key], id) {
				continue
			}
			seen[id] = true
			item := g.value(items, seed+" "+id, 1)
			set(item, key, id)
			for k, v := range echo {
				setString(items.Value, item, k, v)
			}
			out = append(out, item)
		}
		return status, g.envelope(envelope, seed, itemsProp, out)
	case items != nil && len(vars) == 0:
		n := listingItems
		for _, name := range []string{"first", "limit", "pageSize", "size"} {
			if v, err := strconv.Atoi(q.Get(name)); err == nil && v > 0 {
				n = min(v, maxListing)
			}
		}
		out := make([]any, 0, n)
		for i := range n {
			item := g.value(items, fmt.Sprintf("%s #%d", seed, i+1), 1)
			for k, v := range echo {
				setString(items.Value, item, k, v)
			}
			out = append(out, item)
		}
		return status, g.envelope(envelope, seed, itemsProp, out)
	}
	v := g.value(resp, seed, 0)
	for name, id := range vars {
		set(v, name, id)
	}
	if obj, ok := v.(map[string]any); ok {
		for k, bv := range body {
			if _, has := envelope.Properties[k]; has {
				obj[k] = bv
			}
		}
		for k, ev := range echo {
			setString(envelope, obj, k, ev)
		}
	}
	return status, v
}

// success is the operation's success status and its JSON schema.
func success(op *openapi3.Operation) (int, *openapi3.SchemaRef) {
	if op.Responses == nil {
		return http.StatusOK, nil
	}
	codes := make([]int, 0, 2)
	for c := range op.Responses.Map() {
		if n, err := strconv.Atoi(c); err == nil && n >= 200 && n < 300 {
			codes = append(codes, n)
		}
	}
	if len(codes) == 0 {
		return http.StatusOK, nil
	}
	slices.Sort(codes)
	r := op.Responses.Status(codes[0])
	if r == nil || r.Value == nil {
		return codes[0], nil
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8"} {
		if mt := r.Value.Content.Get(ct); mt != nil && mt.Schema != nil && mt.Schema.Value != nil {
			return codes[0], mt.Schema
		}
	}
	return codes[0], nil
}

// listProperty is the property of an envelope holding the list of items
// (e.g. {"products": [...]}), if it has exactly one array of objects.
func listProperty(s *openapi3.Schema) (*openapi3.SchemaRef, string) {
	if s == nil {
		return nil, ""
	}
	if is(s, "array") && s.Items != nil && s.Items.Value != nil {
		return s.Items, ""
	}
	var found *openapi3.SchemaRef
	var name string
	for _, n := range sortedKeys(s.Properties) {
		p := s.Properties[n]
		if p.Value != nil && is(p.Value, "array") && p.Value.Items != nil && p.Value.Items.Value != nil && is(p.Value.Items.Value, "object") {
			if found != nil {
				return nil, ""
			}
			found, name = p.Value.Items, n
		}
	}
	return found, name
}

// envelope wraps items in the envelope's schema: the list property, plus
// the envelope's required properties (optional ones such as a next-page
// cursor are left out, so a listing ends).
func (g *gen) envelope(s *openapi3.Schema, seed, prop string, items []any) any {
	if items == nil {
		items = []any{}
	}
	if prop == "" {
		return items
	}
	out := map[string]any{prop: items}
	for _, n := range s.Required {
		if n != prop {
			out[n] = g.value(s.Properties[n], seed+"/"+n, 1)
		}
	}
	return out
}

// idList is the array schema of a parameter that carries a list of ids:
// an array of strings, or a string documented as comma-separated.
func idList(p *openapi3.Parameter) (*openapi3.Schema, bool) {
	if p.Schema == nil || p.Schema.Value == nil {
		return nil, false
	}
	s := p.Schema.Value
	if is(s, "array") && s.Items != nil && s.Items.Value != nil && is(s.Items.Value, "string") {
		return s, true
	}
	if is(s, "string") && CommaSeparated(p) {
		return &openapi3.Schema{}, true
	}
	return nil, false
}

// CommaSeparated reports whether a string parameter is documented as a
// comma-separated list: `x-comma-separated: true`, or a description that
// says "comma-separated".
func CommaSeparated(p *openapi3.Parameter) bool {
	if v, ok := p.Extensions["x-comma-separated"].(bool); ok {
		return v
	}
	desc := strings.ToLower(p.Description)
	if p.Schema != nil && p.Schema.Value != nil {
		desc += " " + strings.ToLower(p.Schema.Value.Description)
	}
	return strings.Contains(desc, "comma-separated") || strings.Contains(desc, "comma separated")
}

func exploded(p *openapi3.Parameter) bool {
	if p.Schema != nil && p.Schema.Value != nil && is(p.Schema.Value, "string") {
		return false
	}
	if p.Explode != nil {
		return *p.Explode
	}
	return p.Style == "" || p.Style == "form"
}

func batchParam(params openapi3.Parameters, name string) *openapi3.Parameter {
	for _, p := range params {
		if p.Value != nil && p.Value.Name == name && p.Value.In == "query" {
			return p.Value
		}
	}
	return nil
}

// itemSchema is the schema of one id of a list parameter.
func itemSchema(p *openapi3.Parameter) *openapi3.SchemaRef {
	if p == nil || p.Schema == nil || p.Schema.Value == nil {
		return nil
	}
	if s := p.Schema.Value; is(s, "array") {
		return s.Items
	}
	return nil
}

// keyProperty is the item property a batch parameter's ids match:
// productIds → productId, ids → id.
func keyProperty(item *openapi3.Schema, param string) string {
	if item == nil {
		return ""
	}
	for _, c := range []string{strings.TrimSuffix(param, "s"), strings.TrimSuffix(param, "Ids") + "Id", "id"} {
		if _, ok := item.Properties[c]; ok {
			return c
		}
	}
	return ""
}

func set(v any, prop, val string) {
	if m, ok := v.(map[string]any); ok && prop != "" {
		if _, has := m[prop]; has {
			m[prop] = val
		}
	}
}

// setString sets a string property of item to val when the schema has it
// and val fits it.
func setString(s *openapi3.Schema, item any, prop, val string) {
	if s == nil {
		return
	}
	p := s.Properties[prop]
	if p == nil || p.Value == nil || !is(p.Value, "string") || !fits(p, val) {
		return
	}
	if m, ok := item.(map[string]any); ok {
		m[prop] = val
	}
}

// fits reports whether id satisfies a string schema's constraints.
func fits(s *openapi3.SchemaRef, id string) bool {
	if s == nil || s.Value == nil {
		return true
	}
	v := s.Value
	if is(v, "integer") {
		_, err := strconv.ParseInt(id, 10, 64)
		return err == nil
	}
	if !is(v, "string") && v.Type != nil && len(v.Type.Slice()) > 0 {
		return true
	}
	return v.VisitJSON(id) == nil
}

func is(s *openapi3.Schema, typ string) bool { return s != nil && s.Type != nil && s.Type.Is(typ) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// gen generates the values of one answer from schemas, each a function of
// its seed; past maxValues it generates nothing more.
type gen struct{ n int }

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func hash(seed string) uint64 {
	f := fnv.New64a()
	_, _ = io.WriteString(f, seed)
	return f.Sum64()
}

func (g *gen) value(r *openapi3.SchemaRef, seed string, depth int) any {
	if r == nil || r.Value == nil || depth > maxDepth || g.n >= maxValues {
		return nil
	}
	g.n++
	s := r.Value
	h := hash(seed)
	if len(s.Enum) > 0 {
		return s.Enum[h%uint64(len(s.Enum))]
	}
	if len(s.AllOf) > 0 {
		out := map[string]any{}
		for i, part := range s.AllOf {
			if m, ok := g.value(part, fmt.Sprintf("%s/%d", seed, i), depth).(map[string]any); ok {
				for k, v := range m {
					out[k] = v
				}
			}
		}
		return out
	}
	for _, alts := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		if len(alts) > 0 {
			return g.value(alts[h%uint64(len(alts))], seed, depth)
		}
	}
	switch {
	case is(s, "string"):
		return str(s, seed, h)
	case is(s, "integer"):
		lo, hi := bounds(s, 0, 1000)
		return int64(lo) + int64(h%uint64(hi-lo+1))
	case is(s, "number"):
		lo, hi := bounds(s, 0, 1000)
		return float64(int64(lo)*100+int64(h%uint64((hi-lo)*100+1))) / 100
	case is(s, "boolean"):
		return h%2 == 0
	case is(s, "array"):
		n := uint64(arrayItems)
		if s.MinItems > n {
			n = min(s.MinItems, maxListing)
		}
		if s.MaxItems != nil && *s.MaxItems < n {
			n = *s.MaxItems
		}
		out := make([]any, 0, n)
		for i := range n {
			out = append(out, g.value(s.Items, fmt.Sprintf("%s[%d]", seed, i), depth+1))
		}
		return out
	case is(s, "object") || len(s.Properties) > 0:
		out := make(map[string]any, len(s.Properties))
		for _, n := range sortedKeys(s.Properties) {
			p := s.Properties[n]
			// Optional objects are left out: they are where schemas recurse.
			if !slices.Contains(s.Required, n) && p.Value != nil && (is(p.Value, "object") || len(p.Value.Properties) > 0) {
				continue
			}
			if v := g.value(p, seed+"."+n, depth+1); v != nil {
				out[n] = v
			}
		}
		return out
	}
	if s.Example != nil {
		return s.Example
	}
	return nil
}

// bounds is a numeric schema's inclusive range, def when it has none.
func bounds(s *openapi3.Schema, defLo, defHi float64) (float64, float64) {
	lo, hi := defLo, defHi
	if s.Min != nil {
		lo = *s.Min
		if b := s.ExclusiveMin.Bool; b != nil && *b {
			lo++
		}
	}
	if s.Max != nil {
		hi = *s.Max
		if b := s.ExclusiveMax.Bool; b != nil && *b {
			hi--
		}
	} else if s.Min != nil {
		hi = lo + (defHi - defLo)
	}
	if s.Min == nil && s.Max != nil && hi < lo {
		lo = hi - (defHi - defLo)
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

func str(s *openapi3.Schema, seed string, h uint64) string {
	var v string
	switch s.Format {
	case "date-time":
		return epoch.Add(time.Duration(h%(365*24)) * time.Hour).Format(time.RFC3339)
	case "date":
		return epoch.AddDate(0, 0, int(h%365)).Format(time.DateOnly)
	case "uri", "url":
		v = fmt.Sprintf("https://example.com/%d", h%10000)
	case "email":
		v = fmt.Sprintf("user%d@example.com", h%10000)
	case "uuid":
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], h)
		binary.BigEndian.PutUint64(b[8:], hash(seed+"/uuid"))
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	case "byte":
		return base64.StdEncoding.EncodeToString([]byte(seed))
	default:
		if ex, ok := s.Example.(string); ok && (s.Pattern == "" || s.VisitJSON(ex) == nil) {
			v = ex
		} else if s.Pattern != "" {
			v = fromPattern(s.Pattern, h)
		} else {
			name := seed[strings.LastIndexAny(seed, ". ")+1:]
			v = fmt.Sprintf("%s %d", name, h%1000)
		}
	}
	for uint64(len(v)) < s.MinLength {
		v += "x"
	}
	if s.MaxLength != nil && uint64(len(v)) > *s.MaxLength {
		v = v[:*s.MaxLength]
	}
	return v
}

// fromPattern is a string that matches pattern, or "x" for one it cannot
// satisfy (a pattern with lookarounds or back-references).
func fromPattern(pattern string, h uint64) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "x"
	}
	var b strings.Builder
	walk(&b, re, &h)
	if ok, err := regexp.MatchString(pattern, b.String()); err != nil || !ok {
		return "x"
	}
	return b.String()
}

func walk(b *strings.Builder, re *syntax.Regexp, h *uint64) {
	next := func(n uint64) uint64 {
		v := *h % n
		*h = *h/n + 0x9e3779b97f4a7c15
		return v
	}
	switch re.Op {
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		if len(re.Rune) >= 2 {
			i := int(next(uint64(len(re.Rune)/2))) * 2
			lo, hi := re.Rune[i], re.Rune[i+1]
			b.WriteRune(lo + rune(next(uint64(hi-lo)+1)))
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte('x')
	case syntax.OpCapture, syntax.OpConcat:
		for _, s := range re.Sub {
			walk(b, s, h)
		}
	case syntax.OpAlternate:
		walk(b, re.Sub[next(uint64(len(re.Sub)))], h)
	case syntax.OpPlus:
		walk(b, re.Sub[0], h)
	case syntax.OpRepeat:
		n := re.Min
		if n == 0 && re.Max != 0 {
			n = 1
		}
		for range min(n, 64) {
			walk(b, re.Sub[0], h)
		}
	}
}
