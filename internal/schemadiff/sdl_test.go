package schemadiff_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph"
	"github.com/tributary-gw/tributary/internal/schemadiff"
)

func TestPublicSDL(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{
			name: "goField and comments dropped, roots first, rest by name",
			give: `
				# An internal note.
				directive @goField(forceResolver: Boolean, batch: Boolean) on INPUT_FIELD_DEFINITION | FIELD_DEFINITION
				"Public."
				directive @cost(weight: Int!) on FIELD_DEFINITION

				"A thing."
				type Thing {
				  # Internal.
				  id: ID! @goField(forceResolver: true)
				  "Its size."
				  size(unit: String = "cm"): Int @cost(weight: 2) @goField(batch: true)
				}

				enum Color { RED GREEN @deprecated(reason: "use RED") }

				type Query {
				  thing: Thing
				  color: Color
				}
			`,
			want: `"""
Public.
"""
directive @cost(weight: Int!) on FIELD_DEFINITION

type Query {
  thing: Thing
  color: Color
}

enum Color {
  RED
  GREEN @deprecated(reason: "use RED")
}

"""
A thing.
"""
type Thing {
  id: ID!
  """
  Its size.
  """
  size(unit: String = "cm"): Int @cost(weight: 2)
}
`,
		},
		{
			name: "schema block for non-default root names",
			give: `
				schema { query: Root, mutation: Change }
				type Root { a: Int }
				type Change { b: Int }
			`,
			want: `schema {
  query: Root
  mutation: Change
}

type Root {
  a: Int
}

type Change {
  b: Int
}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := schemadiff.PublicSDL(mustLoad(t, "give", tt.give))
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestPublicSDLNil(t *testing.T) {
	if got := schemadiff.PublicSDL(nil); got != "" {
		t.Errorf("got %q, want \"\"", got)
	}
}

// TestPublicSDLOfCurrentSchema checks the printed form of the schema the
// gateway serves: free of gqlgen's directives, loadable, the same contract,
// and a fixed point of printing.
func TestPublicSDLOfCurrentSchema(t *testing.T) {
	current := graph.NewExecutableSchema(graph.Config{}).Schema()
	uses := directiveUses(current)
	if uses == 0 {
		t.Fatal("the schema uses no directive: nothing to check printing leaves alone")
	}
	sdl := schemadiff.PublicSDL(current)

	if strings.Contains(sdl, "goField") {
		t.Errorf("got SDL containing goField, want none:\n%s", sdl)
	}
	for _, builtIn := range []string{"scalar String", "directive @skip", "__Schema", "__typename"} {
		if strings.Contains(sdl, builtIn) {
			t.Errorf("got SDL containing %q, want no built-ins", builtIn)
		}
	}

	loaded := mustLoad(t, "public.graphql", sdl)
	if changes := schemadiff.Compare(current, loaded); len(changes) > 0 {
		t.Errorf("got changes between the schema and its public SDL, want none:\n%s", schemadiff.Report(changes))
	}
	if again := schemadiff.PublicSDL(loaded); again != sdl {
		t.Errorf("printing the loaded SDL again: got\n%s\nwant\n%s", again, sdl)
	}

	// The schema gqlgen executes is shared: printing must not strip its
	// directives.
	if got := directiveUses(current); got != uses {
		t.Errorf("got %d directive uses after PublicSDL, want %d: the schema was modified", got, uses)
	}
}

// directiveUses counts the directives applied to s's types, fields and
// arguments.
func directiveUses(s *ast.Schema) int {
	n := 0
	for _, def := range s.Types {
		n += len(def.Directives)
		for _, f := range def.Fields {
			n += len(f.Directives)
			for _, a := range f.Arguments {
				n += len(a.Directives)
			}
		}
	}
	return n
}
