package compose

import (
	_ "embed"
	"sort"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// vocabulary is the plugin's directive definitions: the plugin adds them to
// the schema (InjectSourcesEarly), so the user's graph/*.graphqls hold only
// their own schema.
//
//go:embed directives.graphqls
var vocabulary string

// VocabularyName is the name the plugin's definitions have in the schema
// (and in the positions of messages about them).
const VocabularyName = "internal/compose/directives.graphqls"

// Vocabulary returns the plugin's directive definitions as a schema
// source, for loading a schema outside gqlgen's run (tests, tools).
func Vocabulary() *ast.Source {
	return &ast.Source{Name: VocabularyName, Input: vocabulary}
}

// InjectSourcesEarly implements plugin.EarlySourcesInjector.
func (p *Plugin) InjectSourcesEarly() ([]*ast.Source, error) {
	return []*ast.Source{Vocabulary()}, nil
}

// directiveNames are the directives the vocabulary defines.
func directiveNames() []string {
	doc, err := parser.ParseSchema(Vocabulary())
	if err != nil {
		panic("compose: the embedded vocabulary does not parse: " + err.Error())
	}
	var out []string
	for _, d := range doc.Directives {
		out = append(out, d.Name)
	}
	sort.Strings(out)
	return out
}
