package schemadiff

import (
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Selections returns the fields op selects in schema, as "Type.field" →
// the response path of its first selection (fragments followed). An
// operation that does not validate against schema gets an error.
func Selections(schema *ast.Schema, op Operation) (map[string]string, error) {
	doc, errs := gqlparser.LoadQuery(schema, op.Document)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	o := doc.Operations.ForName(opName(op))
	if o == nil {
		return map[string]string{}, nil
	}
	return collectUses(schema, doc, o).fields, nil
}
