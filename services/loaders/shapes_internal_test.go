package loaders

import (
	"fmt"
	"math/bits"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// The analyses kept are bounded by documents, whatever the documents.
func TestAnalysesKeepABoundedNumberOfDocuments(t *testing.T) {
	var m memo[*ast.QueryDocument, *analysis]
	first := &ast.QueryDocument{}
	a := m.getOrSet(first, &analysis{})
	if again := m.getOrSet(first, &analysis{}); again != a {
		t.Fatal("a document's analysis was replaced while kept")
	}
	for range 3 * docEntries {
		m.getOrSet(&ast.QueryDocument{}, &analysis{})
		if n := m.n.Load(); n > docEntries {
			t.Fatalf("%d documents kept, bound %d", n, docEntries)
		}
	}
	if _, ok := m.get(first); ok {
		t.Error("the first document is still kept after three times the bound")
	}
}

// F2 (issue 18): a document whose @include variables take new values on
// every request keeps results for at most maxShapes of them; the rest are
// worked out per request and stored nowhere.
func TestAnalysisKeepsBoundedVariableShapes(t *testing.T) {
	var q strings.Builder
	q.WriteString("query Q(")
	for i := range 20 {
		fmt.Fprintf(&q, "$b%d: Boolean! ", i)
	}
	q.WriteString(") { product(id: \"p1\") { id ")
	for i := range 20 {
		fmt.Fprintf(&q, "f%d: name @include(if: $b%d) ", i, i)
	}
	q.WriteString("} }")
	doc, err := parser.ParseQuery(&ast.Source{Input: q.String()})
	if err != nil {
		t.Fatal(err)
	}
	sel := doc.Operations[0].SelectionSet
	for n := range 2000 {
		vars := map[string]any{}
		for i := range 20 {
			vars[fmt.Sprintf("b%d", i)] = n>>i&1 == 1
		}
		oc := &graphql.OperationContext{Doc: doc, Variables: vars}
		fields := Collect(oc, sel, []string{"Query"})
		if len(fields) != 1 {
			t.Fatalf("request %d: collected %d root fields, want 1", n, len(fields))
		}
		inner := Collect(oc, fields[0].Selections, []string{"Product"})
		if want := 1 + bits.OnesCount(uint(n&(1<<20-1))); len(inner) != want {
			t.Fatalf("request %d: collected %d fields, want %d", n, len(inner), want)
		}
	}
	a := analysisOf(doc)
	kept := 0
	a.collects.Range(func(any, any) bool { kept++; return true })
	if kept > 2*maxShapes {
		t.Errorf("%d collections kept for 2,000 variable values, want at most %d", kept, 2*maxShapes)
	}
}
