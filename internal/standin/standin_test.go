package standin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/standin"
)

type answer struct {
	status int
	body   []byte
	value  any
}

func get(t *testing.T, base, path string) answer {
	t.Helper()
	return do(t, http.MethodGet, base, path, "")
}

func do(t *testing.T, method, base, path, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, body: b}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &a.value); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return a
}

func load(t *testing.T, doc []byte) *openapi3.T {
	t.Helper()
	d, err := openapi3.NewLoader().LoadFromData(doc)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Every checked-in contract (the registry's, so a new service is covered
// without editing this test): every GET, batched with three ids of which
// one repeats, answers items that validate against the contract's schema,
// one per distinct id with its key set; the same request answers the same.
func TestEveryContractsStandInAnswersWhatItsContractSays(t *testing.T) {
	for _, name := range registry.Services() {
		t.Run(name, func(t *testing.T) {
			doc := registry.Contract(name)
			h, err := standin.New(name, doc)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			d := load(t, doc)
			checked := 0
			for _, path := range d.Paths.InMatchingOrder() {
				op := d.Paths.Value(path).Get
				if op == nil {
					continue
				}
				schema := op.Responses.Status(200).Value.Content.Get("application/json").Schema
				q := url.Values{}
				batch := ""
				for _, p := range op.Parameters {
					if p.Value.In == "query" && p.Value.Schema.Value.Type.Is("array") && batch == "" {
						batch = p.Value.Name
						q.Set(batch, "a1,b2,a1")
					}
				}
				target := strings.ReplaceAll(path, "{id}", "a1")
				if len(q) > 0 {
					target += "?" + q.Encode()
				}
				a := get(t, srv.URL, target)
				if a.status != 200 {
					t.Fatalf("GET %s: %d %s", target, a.status, a.body)
				}
				if err := schema.Value.VisitJSON(a.value); err != nil {
					t.Errorf("GET %s: the answer does not fit the contract: %v\n%s", target, err, a.body)
				}
				if again := get(t, srv.URL, target); string(again.body) != string(a.body) {
					t.Errorf("GET %s answered differently the second time:\n%s\n%s", target, a.body, again.body)
				}
				if batch != "" {
					items := listOf(a.value)
					if len(items) != 2 {
						t.Errorf("GET %s: %d items, want 2 (one per distinct id): %s", target, len(items), a.body)
					}
				}
				checked++
			}
			if checked == 0 {
				t.Fatal("no GET operation checked")
			}
			if a := get(t, srv.URL, "/openapi.yaml"); string(a.body) != string(doc) {
				t.Errorf("/openapi.yaml is not the contract")
			}
		})
	}
}

func listOf(v any) []any {
	m, _ := v.(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if l, ok := m[k].([]any); ok {
			return l
		}
	}
	return nil
}

const things = `openapi: 3.0.3
info: {title: Things, version: "1"}
paths:
  /things:
    get:
      parameters:
        - name: ids
          in: query
          required: true
          description: Comma-separated thing ids.
          schema: {type: string}
        - name: colour
          in: query
          schema: {type: string, enum: [red, blue]}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [things]
                properties:
                  things: {type: array, items: {$ref: "#/components/schemas/Thing"}}
                  next: {type: string}
  /things/{id}:
    parameters:
      - name: id
        in: path
        required: true
        schema: {type: string, pattern: "^t[0-9]+$"}
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
        "404": {description: no such thing}
    patch:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                label: {type: string}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
  /pages:
    get:
      parameters:
        - name: first
          in: query
          schema: {type: integer, maximum: 100}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [pages]
                properties:
                  pages: {type: array, items: {$ref: "#/components/schemas/Thing"}}
components:
  schemas:
    Thing:
      type: object
      required: [id, colour, code, size, seen, label, tags]
      properties:
        id: {type: string, pattern: "^t[0-9]+$"}
        colour: {type: string, enum: [red, green, blue]}
        code: {type: string, pattern: "^[A-Z]{3}-[0-9]{2}$"}
        size: {type: integer, minimum: 10, maximum: 12}
        seen: {type: string, format: date-time}
        label: {type: string, minLength: 4, maxLength: 8}
        tags: {type: array, minItems: 3, maxItems: 3, items: {type: string, format: email}}
        self: {$ref: "#/components/schemas/Thing"}
`

func thingsServer(t *testing.T) (*httptest.Server, *openapi3.Schema) {
	t.Helper()
	h, err := standin.New("things", []byte(things))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	d := load(t, []byte(things))
	if err := d.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return srv, d.Components.Schemas["Thing"].Value
}

// A string documented as comma-separated is a batch parameter too; ids
// that do not fit the id's pattern are unknown: omitted from a batch, 404
// on a single path. A query parameter named like an item property is
// echoed. Values honour enums, patterns, bounds, formats, lengths and item
// counts, and a recursive schema ends.
func TestStandInShapesAndIds(t *testing.T) {
	srv, thing := thingsServer(t)
	a := get(t, srv.URL, "/things?ids=t1,nope,t2&colour=blue")
	items := listOf(a.value)
	if a.status != 200 || len(items) != 2 {
		t.Fatalf("batch: %d %s, want t1 and t2 only", a.status, a.body)
	}
	for i, want := range []string{"t1", "t2"} {
		it := items[i].(map[string]any)
		if it["id"] != want || it["colour"] != "blue" {
			t.Errorf("item %d: %v, want id %s colour blue", i, it, want)
		}
		if err := thing.VisitJSON(it); err != nil {
			t.Errorf("item %d does not fit Thing: %v", i, err)
		}
	}
	if _, ok := a.value.(map[string]any)["next"]; ok {
		t.Errorf("the envelope's optional cursor is set: %s", a.body)
	}
	if a := get(t, srv.URL, "/things/nope"); a.status != 404 {
		t.Errorf("unknown single id: %d %s, want 404", a.status, a.body)
	}
	one := get(t, srv.URL, "/things/t9")
	if one.status != 200 || one.value.(map[string]any)["id"] != "t9" {
		t.Errorf("single: %d %s", one.status, one.body)
	}
	if err := thing.VisitJSON(one.value); err != nil {
		t.Errorf("single does not fit Thing: %v", err)
	}
	w := do(t, http.MethodPatch, srv.URL, "/things/t9", `{"label":"new"}`)
	if w.status != 200 || w.value.(map[string]any)["label"] != "new" || w.value.(map[string]any)["id"] != "t9" {
		t.Errorf("write: %d %s, want the item with the new label", w.status, w.body)
	}
	if w := do(t, http.MethodPatch, srv.URL, "/things/t9", ``); w.status != 400 {
		t.Errorf("write without its required body: %d, want 400", w.status)
	}
	if a := get(t, srv.URL, "/things"); a.status != 400 {
		t.Errorf("missing required ids: %d, want 400", a.status)
	}
	if a := do(t, http.MethodDelete, srv.URL, "/things/t1", ""); a.status != 405 {
		t.Errorf("a method the contract lacks: %d, want 405", a.status)
	}
	if a := get(t, srv.URL, "/nowhere"); a.status != 404 {
		t.Errorf("a path the contract lacks: %d, want 404", a.status)
	}
}

// Hostile sizes: a listing asking for a million items gets the most the
// stand-in serves; a batch over maxItems is refused.
func TestStandInBoundsWhatItGenerates(t *testing.T) {
	srv, _ := thingsServer(t)
	a := get(t, srv.URL, "/pages?first=1000000")
	if n := len(listOf(a.value)); a.status != 200 || n != 100 {
		t.Errorf("listing of a million: %d, %d items; want 100", a.status, n)
	}
	if n := len(listOf(get(t, srv.URL, "/pages").value)); n != 3 {
		t.Errorf("listing without a size: %d items, want 3", n)
	}
	h, err := standin.New("loyalty", []byte(strings.Replace(things, "schema: {type: string}\n", "style: form\n          explode: false\n          schema: {type: array, maxItems: 2, items: {type: string}}\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	s2 := httptest.NewServer(h)
	defer s2.Close()
	if a := get(t, s2.URL, "/things?ids=t1,t2,t3"); a.status != 400 {
		t.Errorf("3 ids over maxItems 2: %d %s, want 400", a.status, a.body)
	}
	if a := get(t, s2.URL, "/things?ids=t1,t2"); a.status != 200 || len(listOf(a.value)) != 2 {
		t.Errorf("2 ids: %d %s", a.status, a.body)
	}
}

func TestStandInRefusesAnInvalidContract(t *testing.T) {
	for _, doc := range []string{"", "openapi: 3.0.3\npaths: {}\n", "not: [yaml"} {
		if _, err := standin.New("bad", []byte(doc)); err == nil {
			t.Errorf("%q: no error", doc)
		} else if !strings.Contains(err.Error(), "bad") {
			t.Errorf("%q: error %q does not name the service", doc, err)
		}
	}
}

// A contract whose required objects nest wide lists of themselves would
// grow as width^depth: one answer stays bounded.
func TestStandInBoundsAWideRecursiveSchema(t *testing.T) {
	var props strings.Builder
	var req []string
	for i := range 12 {
		fmt.Fprintf(&props, "        k%d: {type: array, minItems: 5, items: {$ref: \"#/components/schemas/Node\"}}\n", i)
		req = append(req, fmt.Sprintf("k%d", i))
	}
	doc := `openapi: 3.0.3
info: {title: Tree, version: "1"}
paths:
  /tree:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Node"}
components:
  schemas:
    Node:
      type: object
      required: [` + strings.Join(req, ", ") + `]
      properties:
` + props.String()
	h, err := standin.New("tree", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	a := get(t, srv.URL, "/tree")
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if n := strings.Count(string(a.body), "{"); n > 20000 {
		t.Errorf("%d objects in one answer, want at most 20000", n)
	}
}
