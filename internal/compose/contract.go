package compose

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// contract is a loaded OpenAPI document.
type contract struct {
	path string
	doc  *openapi3.T
}

func loadContract(root, path string) (*contract, error) {
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		return nil, err
	}
	return parseContract(path, b)
}

// parseContract reads an OpenAPI document (YAML or JSON) named path.
func parseContract(path string, b []byte) (*contract, error) {
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = false
	doc, err := l.LoadFromData(b)
	if err != nil {
		return nil, err
	}
	// Each service's document is checked on its own: one team's invalid
	// contract is reported against its own @source, not the others'.
	if err := doc.Validate(l.Context); err != nil {
		return nil, fmt.Errorf("not valid OpenAPI: %w", err)
	}
	return &contract{path: path, doc: doc}, nil
}

// operation is one GET of a contract.
type operation struct {
	path string // template, e.g. /users/{id}
	op   *openapi3.Operation
	item *openapi3.PathItem
}

// find resolves a connector's `get`: a path, or an operationId.
func (c *contract) find(get string) (*operation, error) {
	if strings.HasPrefix(get, "/") {
		item := c.doc.Paths.Value(get)
		if item == nil {
			return nil, fmt.Errorf("%s has no path %q%s", c.path, get, suggest(get, c.paths()))
		}
		op := item.GetOperation(http.MethodGet)
		if op == nil {
			return nil, fmt.Errorf("%s: path %q has no GET operation", c.path, get)
		}
		return &operation{path: get, op: op, item: item}, nil
	}
	var ids []string
	for _, p := range c.paths() {
		item := c.doc.Paths.Value(p)
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				continue
			}
			ids = append(ids, op.OperationID)
			if op.OperationID == get {
				if method != http.MethodGet {
					return nil, fmt.Errorf("%s: operation %q is %s, connectors call GET", c.path, get, method)
				}
				return &operation{path: p, op: op, item: item}, nil
			}
		}
	}
	return nil, fmt.Errorf("%s has no operation %q (get is a path starting with / or an operationId)%s", c.path, get, suggest(get, ids))
}

func (c *contract) paths() []string {
	var out []string
	for p := range c.doc.Paths.Map() {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// params are the operation's parameters (path-level ones included) by name.
func (o *operation) params() map[string]*openapi3.Parameter {
	out := map[string]*openapi3.Parameter{}
	for _, list := range []openapi3.Parameters{o.item.Parameters, o.op.Parameters} {
		for _, p := range list {
			if p != nil && p.Value != nil && (p.Value.In == "query" || p.Value.In == "path") {
				out[p.Value.Name] = p.Value
			}
		}
	}
	return out
}

func (o *operation) paramNames(in string) []string {
	var out []string
	for n, p := range o.params() {
		if in == "" || p.In == in {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// response is the schema of the 200 JSON answer.
func (o *operation) response() (*openapi3.SchemaRef, error) {
	r := o.op.Responses.Status(http.StatusOK)
	if r == nil || r.Value == nil {
		return nil, fmt.Errorf("GET %s has no 200 response", o.path)
	}
	mt := r.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil, fmt.Errorf("GET %s: the 200 response has no application/json schema", o.path)
	}
	return mt.Schema, nil
}

func (o *operation) name() string {
	if o.op.OperationID != "" {
		return o.op.OperationID
	}
	return strings.Trim(strings.NewReplacer("/", ".", "{", "", "}", "").Replace(o.path), ".")
}

func is(s *openapi3.Schema, typ string) bool { return s != nil && s.Type != nil && s.Type.Is(typ) }

func schemaName(r *openapi3.SchemaRef) string {
	if r == nil {
		return ""
	}
	if r.Ref != "" {
		return r.Ref[strings.LastIndex(r.Ref, "/")+1:]
	}
	return "inline"
}

func propNames(s *openapi3.Schema) []string {
	var out []string
	for n := range s.Properties {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func required(s *openapi3.Schema, prop string) bool {
	p := s.Properties[prop]
	return slices.Contains(s.Required, prop) && p != nil && p.Value != nil && !p.Value.Nullable
}

func describe(s *openapi3.Schema) string {
	if s == nil || s.Type == nil {
		return "untyped"
	}
	t := strings.Join(s.Type.Slice(), "|")
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	if is(s, "array") && s.Items != nil && s.Items.Value != nil {
		t += " of " + describe(s.Items.Value)
	}
	return t
}

// suggest returns ` (did you mean "x"?)` for the closest candidate.
func suggest(got string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := distance(strings.ToLower(got), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(2, len(got)/3) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
