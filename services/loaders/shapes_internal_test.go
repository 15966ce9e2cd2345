package loaders

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
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
