package compose

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// A write's request body that now requires a property the graph does not
// send, or allows less than the graph's bounds, breaks the write that
// sends it (Mutation.addReview's @write).
func TestDriftOfAWriteBody(t *testing.T) {
	const root = "../.."
	files, err := filepath.Glob(filepath.Join(root, "graph", "*.graphqls"))
	if err != nil {
		t.Fatal(err)
	}
	var sources []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: "graph/" + filepath.Base(f), Input: string(b)})
	}
	schema, gerr := gqlparser.LoadSchema(sources...)
	if gerr != nil {
		t.Fatal(gerr)
	}
	g, err := Analyze(schema, root)
	if err != nil {
		t.Fatal(err)
	}
	line := 0
	for _, src := range sources {
		if src.Name != "graph/schema.graphqls" {
			continue
		}
		for i, l := range strings.Split(src.Input, "\n") {
			if strings.Contains(l, `@write(source: "reviews"`) {
				line = i + 1
			}
		}
	}
	wantConnector := "graph/schema.graphqls:" + strconv.Itoa(line) + " Mutation.addReview"

	b, err := os.ReadFile(filepath.Join(root, "api", "reviews.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "      required: [productId, authorId, rating, body]\n", "      required: [productId, authorId, rating, body, title]\n", 1)
	s = strings.Replace(s, "        body:\n          type: string\n          minLength: 1\n", "        title:\n          type: string\n        body:\n          type: string\n          minLength: 1\n", 1)
	s = strings.Replace(s, "          maxLength: 2000\n", "          maxLength: 500\n", 1)
	doc, err := openapi3.NewLoader().LoadFromData([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	changes, err := g.Drift("reviews", doc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"POST /reviews body NewReview.title": "now required; the graph does not send it",
		"POST /reviews body NewReview.body":  "maxLength 2000 → 500",
	}
	for _, c := range changes {
		if want[c.Where] == c.What && c.Breaking && len(c.Connectors) == 1 && c.Connectors[0] == wantConnector {
			delete(want, c.Where)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing %v in %+v", want, changes)
	}
}
