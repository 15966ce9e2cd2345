package graph

import (
	"bytes"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

func TestObjectWritesEachResponseKeyOnce(t *testing.T) {
	field := func(alias string) graphql.CollectedField {
		return graphql.CollectedField{Field: &ast.Field{Alias: alias, Name: alias}}
	}
	fs := graphql.NewFieldSet([]graphql.CollectedField{field("id"), field("name"), field("id"), field("n")})
	fs.Values = []graphql.Marshaler{graphql.MarshalString("p1"), graphql.Null, graphql.MarshalString("again"), graphql.MarshalInt(2)}
	fields := []graphql.CollectedField{field("id"), field("name"), field("id"), field("n")}

	var got, want bytes.Buffer
	objectOf(fields, fs).MarshalGQL(&got)
	fs.MarshalGQL(&want) // gqlgen's writer
	if got.String() != want.String() || got.String() != `{"id":"p1","name":null,"n":2}` {
		t.Errorf("got %s, gqlgen writes %s", got.String(), want.String())
	}

	many := make([]graphql.CollectedField, maxScannedFields+1)
	for i := range many {
		many[i] = field("f")
	}
	if _, ok := objectOf(many, fs).(*graphql.FieldSet); !ok {
		t.Errorf("an object of %d fields should keep gqlgen's writer", len(many))
	}
}
