package schemadiff_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/internal/schemadiff"
)

// change is a Change without its message, which tests do not pin down.
type change struct {
	sev  schemadiff.Severity
	kind string
	path string
}

func (c change) String() string {
	return fmt.Sprintf("%s %s %s", c.sev, c.kind, c.path)
}

// Shorthands for the wanted changes.
func safe(kind, path string) change      { return change{schemadiff.Safe, kind, path} }
func dangerous(kind, path string) change { return change{schemadiff.Dangerous, kind, path} }
func breaking(kind, path string) change  { return change{schemadiff.Breaking, kind, path} }

// query is a root type for tiny schemas whose subject is another type.
const query = "type Query { q: Int }\n"

func mustLoad(t *testing.T, name, sdl string) *ast.Schema {
	t.Helper()
	s, err := schemadiff.Load(name, sdl)
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return s
}

// compareCase is one row of a Compare table: two versions of a tiny schema
// and the changes wanted between them, in Compare's order.
type compareCase struct {
	name    string
	giveOld string
	giveNew string
	want    []change
}

func runCompareCases(t *testing.T, tests []compareCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Changes(schemadiff.Compare(mustLoad(t, "old", tt.giveOld), mustLoad(t, "new", tt.giveNew)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Compare:\ngot  %v\nwant %v", got, tt.want)
			}
		})
	}
}

// Changes drops the messages of changes, checking that each has one.
func Changes(changes []schemadiff.Change) []change {
	got := []change{}
	for _, c := range changes {
		if c.Message == "" {
			panic("change without a message: " + c.Kind + " " + c.Path)
		}
		got = append(got, change{c.Severity, c.Kind, c.Path})
	}
	return got
}

func TestCompareTypes(t *testing.T) {
	runCompareCases(t, []compareCase{
		{
			name:    "type removed",
			giveOld: query + "type T { f: Int }",
			giveNew: query,
			want:    []change{breaking("TYPE_REMOVED", "T")},
		},
		{
			name:    "type added",
			giveOld: query,
			giveNew: query + "enum E { A }",
			want:    []change{safe("TYPE_ADDED", "E")},
		},
		{
			name:    "kind changed",
			giveOld: query + "type T { f: Int }",
			giveNew: query + "interface T { f: Int }",
			want:    []change{breaking("TYPE_KIND_CHANGED", "T")},
		},
		{
			name:    "scalar to enum",
			giveOld: query + "scalar T",
			giveNew: query + "enum T { A }",
			want:    []change{breaking("TYPE_KIND_CHANGED", "T")},
		},
		{
			name:    "unchanged",
			giveOld: query + "type T { f(a: Int = 1): [Int!]! }",
			giveNew: query + "type T { f(a: Int = 1): [Int!]! }",
			want:    []change{},
		},
	})
}

func TestCompareFields(t *testing.T) {
	runCompareCases(t, []compareCase{
		{
			name:    "field removed",
			giveOld: "type Query { a: Int, b: Int }",
			giveNew: "type Query { a: Int }",
			want:    []change{breaking("FIELD_REMOVED", "Query.b")},
		},
		{
			name:    "deprecated field removed is still breaking",
			giveOld: `type Query { a: Int, b: Int @deprecated(reason: "use a") }`,
			giveNew: "type Query { a: Int }",
			want:    []change{breaking("FIELD_REMOVED", "Query.b")},
		},
		{
			name:    "interface field removed",
			giveOld: query + "interface I { a: Int, b: Int }",
			giveNew: query + "interface I { a: Int }",
			want:    []change{breaking("FIELD_REMOVED", "I.b")},
		},
		{
			name:    "field added",
			giveOld: "type Query { a: Int }",
			giveNew: "type Query { a: Int, b(x: Int!): String! }",
			want:    []change{safe("FIELD_ADDED", "Query.b")},
		},
	})
}

func TestCompareOutputFieldType(t *testing.T) {
	field := func(typ string) string { return "type Query { f: " + typ + " }" }
	runCompareCases(t, []compareCase{
		{
			name:    "named type changed",
			giveOld: field("Int"),
			giveNew: field("String"),
			want:    []change{breaking("FIELD_TYPE_CHANGED", "Query.f")},
		},
		{
			name:    "named type changed and made non-null",
			giveOld: field("Int"),
			giveNew: field("String!"),
			want:    []change{breaking("FIELD_TYPE_CHANGED", "Query.f")},
		},
		{
			name:    "made nullable",
			giveOld: field("Int!"),
			giveNew: field("Int"),
			want:    []change{breaking("FIELD_MADE_NULLABLE", "Query.f")},
		},
		{
			name:    "list items made nullable",
			giveOld: field("[Int!]!"),
			giveNew: field("[Int]!"),
			want:    []change{breaking("FIELD_MADE_NULLABLE", "Query.f")},
		},
		{
			name:    "list made non-null but items nullable",
			giveOld: field("[Int!]"),
			giveNew: field("[Int]!"),
			want:    []change{breaking("FIELD_MADE_NULLABLE", "Query.f")},
		},
		{
			name:    "made non-null",
			giveOld: field("Int"),
			giveNew: field("Int!"),
			want:    []change{safe("FIELD_MADE_NON_NULL", "Query.f")},
		},
		{
			name:    "list and items made non-null",
			giveOld: field("[Int]"),
			giveNew: field("[Int!]!"),
			want:    []change{safe("FIELD_MADE_NON_NULL", "Query.f")},
		},
		{
			name:    "made a list",
			giveOld: field("Int"),
			giveNew: field("[Int]"),
			want:    []change{breaking("FIELD_LIST_CHANGED", "Query.f")},
		},
		{
			name:    "no longer a list",
			giveOld: field("[Int!]!"),
			giveNew: field("Int!"),
			want:    []change{breaking("FIELD_LIST_CHANGED", "Query.f")},
		},
		{
			name:    "list nesting deepened",
			giveOld: field("[Int]"),
			giveNew: field("[[Int]]"),
			want:    []change{breaking("FIELD_LIST_CHANGED", "Query.f")},
		},
	})
}

func TestCompareArguments(t *testing.T) {
	args := func(list string) string { return "type Query { f" + list + ": Int }" }
	runCompareCases(t, []compareCase{
		{
			name:    "argument removed",
			giveOld: args("(a: Int, b: Int)"),
			giveNew: args("(a: Int)"),
			want:    []change{breaking("ARG_REMOVED", "Query.f(b)")},
		},
		{
			name:    "required argument added",
			giveOld: args(""),
			giveNew: args("(a: Int!)"),
			want:    []change{breaking("REQUIRED_ARG_ADDED", "Query.f(a)")},
		},
		{
			name:    "nullable argument added",
			giveOld: args(""),
			giveNew: args("(a: Int)"),
			want:    []change{safe("OPTIONAL_ARG_ADDED", "Query.f(a)")},
		},
		{
			name:    "non-null argument with a default added",
			giveOld: args(""),
			giveNew: args("(a: Int! = 5)"),
			want:    []change{safe("OPTIONAL_ARG_ADDED", "Query.f(a)")},
		},
		{
			name:    "made required",
			giveOld: args("(a: Int)"),
			giveNew: args("(a: Int!)"),
			want:    []change{breaking("ARG_MADE_REQUIRED", "Query.f(a)")},
		},
		{
			name:    "made required by dropping the default",
			giveOld: args("(a: Int! = 5)"),
			giveNew: args("(a: Int!)"),
			want:    []change{breaking("ARG_MADE_REQUIRED", "Query.f(a)")},
		},
		{
			name:    "made non-null keeping a default",
			giveOld: args("(a: Int = 5)"),
			giveNew: args("(a: Int! = 5)"),
			want:    []change{breaking("ARG_MADE_NON_NULL", "Query.f(a)")},
		},
		{
			name:    "list items made non-null",
			giveOld: args("(a: [Int]!)"),
			giveNew: args("(a: [Int!]!)"),
			want:    []change{breaking("ARG_MADE_NON_NULL", "Query.f(a)")},
		},
		{
			name:    "made optional",
			giveOld: args("(a: Int!)"),
			giveNew: args("(a: Int)"),
			want:    []change{safe("ARG_MADE_OPTIONAL", "Query.f(a)")},
		},
		{
			name:    "made optional by a default",
			giveOld: args("(a: Int!)"),
			giveNew: args("(a: Int! = 5)"),
			want:    []change{safe("ARG_MADE_OPTIONAL", "Query.f(a)")},
		},
		{
			name:    "made nullable keeping a default",
			giveOld: args("(a: Int! = 5)"),
			giveNew: args("(a: Int = 5)"),
			want:    []change{safe("ARG_MADE_NULLABLE", "Query.f(a)")},
		},
		{
			name:    "list items made nullable",
			giveOld: args("(a: [Int!]!)"),
			giveNew: args("(a: [Int]!)"),
			want:    []change{safe("ARG_MADE_NULLABLE", "Query.f(a)")},
		},
		{
			name:    "named type changed",
			giveOld: args("(a: Int)"),
			giveNew: args("(a: String)"),
			want:    []change{breaking("ARG_TYPE_CHANGED", "Query.f(a)")},
		},
		{
			name:    "made a list",
			giveOld: args("(a: Int)"),
			giveNew: args("(a: [Int])"),
			want:    []change{breaking("ARG_LIST_CHANGED", "Query.f(a)")},
		},
		{
			name:    "default changed",
			giveOld: args("(a: Int = 5)"),
			giveNew: args("(a: Int = 6)"),
			want:    []change{dangerous("ARG_DEFAULT_CHANGED", "Query.f(a)")},
		},
		{
			name:    "default added to a nullable argument",
			giveOld: args("(a: Int)"),
			giveNew: args("(a: Int = 6)"),
			want:    []change{dangerous("ARG_DEFAULT_CHANGED", "Query.f(a)")},
		},
		{
			name:    "default removed from a nullable argument",
			giveOld: args("(a: Int = 5)"),
			giveNew: args("(a: Int)"),
			want:    []change{dangerous("ARG_DEFAULT_CHANGED", "Query.f(a)")},
		},
		{
			name:    "default object reordered is the same default",
			giveOld: "input In { x: Int, y: Int }\n" + args("(a: In = {x: 1, y: 2})"),
			giveNew: "input In { x: Int, y: Int }\n" + args("(a: In = {y: 2, x: 1})"),
			want:    []change{},
		},
		{
			name:    "default as block string is the same default",
			giveOld: args(`(a: String = "x")`),
			giveNew: args(`(a: String = """x""")`),
			want:    []change{},
		},
	})
}

func TestCompareInputFields(t *testing.T) {
	input := func(fields string) string { return query + "input In { " + fields + " }" }
	runCompareCases(t, []compareCase{
		{
			name:    "required input field added",
			giveOld: input("a: Int"),
			giveNew: input("a: Int, b: Int!"),
			want:    []change{breaking("REQUIRED_INPUT_FIELD_ADDED", "In.b")},
		},
		{
			name:    "optional input field added",
			giveOld: input("a: Int"),
			giveNew: input("a: Int, b: Int"),
			want:    []change{safe("OPTIONAL_INPUT_FIELD_ADDED", "In.b")},
		},
		{
			name:    "non-null input field with a default added",
			giveOld: input("a: Int"),
			giveNew: input("a: Int, b: Int! = 1"),
			want:    []change{safe("OPTIONAL_INPUT_FIELD_ADDED", "In.b")},
		},
		{
			name:    "input field removed",
			giveOld: input("a: Int, b: Int"),
			giveNew: input("a: Int"),
			want:    []change{breaking("INPUT_FIELD_REMOVED", "In.b")},
		},
		{
			name:    "made nullable",
			giveOld: input("a: Int!"),
			giveNew: input("a: Int"),
			want:    []change{safe("INPUT_FIELD_MADE_OPTIONAL", "In.a")},
		},
		{
			name:    "list items made nullable",
			giveOld: input("a: [Int!]"),
			giveNew: input("a: [Int]"),
			want:    []change{safe("INPUT_FIELD_MADE_NULLABLE", "In.a")},
		},
		{
			name:    "made required",
			giveOld: input("a: Int"),
			giveNew: input("a: Int!"),
			want:    []change{breaking("INPUT_FIELD_MADE_REQUIRED", "In.a")},
		},
		{
			name:    "type changed",
			giveOld: input("a: Int"),
			giveNew: input("a: Float"),
			want:    []change{breaking("INPUT_FIELD_TYPE_CHANGED", "In.a")},
		},
		{
			name:    "default changed",
			giveOld: input("a: Int = 1"),
			giveNew: input("a: Int = 2"),
			want:    []change{dangerous("INPUT_FIELD_DEFAULT_CHANGED", "In.a")},
		},
	})
}

func TestCompareEnumValues(t *testing.T) {
	enum := func(values string) string { return query + "enum E { " + values + " }" }
	runCompareCases(t, []compareCase{
		{
			name:    "value removed",
			giveOld: enum("A B"),
			giveNew: enum("A"),
			want:    []change{breaking("ENUM_VALUE_REMOVED", "E.B")},
		},
		{
			name:    "value added",
			giveOld: enum("A"),
			giveNew: enum("A B"),
			want:    []change{dangerous("ENUM_VALUE_ADDED", "E.B")},
		},
		{
			name:    "values reordered",
			giveOld: enum("A B"),
			giveNew: enum("B A"),
			want:    []change{},
		},
	})
}

func TestCompareUnionMembers(t *testing.T) {
	const types = query + "type A { a: Int }\ntype B { b: Int }\n"
	runCompareCases(t, []compareCase{
		{
			name:    "member removed",
			giveOld: types + "union U = A | B",
			giveNew: types + "union U = A",
			want:    []change{breaking("UNION_MEMBER_REMOVED", "U")},
		},
		{
			name:    "member added",
			giveOld: types + "union U = A",
			giveNew: types + "union U = A | B",
			want:    []change{dangerous("UNION_MEMBER_ADDED", "U")},
		},
	})
}

func TestCompareInterfaces(t *testing.T) {
	const types = query + "interface I { id: ID }\ninterface J { id: ID }\n"
	runCompareCases(t, []compareCase{
		{
			name:    "interface removed from object",
			giveOld: types + "type T implements I & J { id: ID }",
			giveNew: types + "type T implements J { id: ID }",
			want:    []change{breaking("IMPLEMENTED_INTERFACE_REMOVED", "T")},
		},
		{
			name:    "interface added to object",
			giveOld: types + "type T { id: ID }",
			giveNew: types + "type T implements I { id: ID }",
			want:    []change{dangerous("IMPLEMENTED_INTERFACE_ADDED", "T")},
		},
	})
}

func TestCompareDeprecation(t *testing.T) {
	runCompareCases(t, []compareCase{
		{
			name:    "field deprecated",
			giveOld: "type Query { a: Int }",
			giveNew: `type Query { a: Int @deprecated(reason: "use b") }`,
			want:    []change{safe("DEPRECATION_ADDED", "Query.a")},
		},
		{
			name:    "field undeprecated",
			giveOld: "type Query { a: Int @deprecated }",
			giveNew: "type Query { a: Int }",
			want:    []change{safe("DEPRECATION_REMOVED", "Query.a")},
		},
		{
			name:    "reason changed",
			giveOld: "type Query { a: Int @deprecated }",
			giveNew: `type Query { a: Int @deprecated(reason: "use b") }`,
			want:    []change{safe("DEPRECATION_REASON_CHANGED", "Query.a")},
		},
		{
			name:    "default reason spelled out",
			giveOld: "type Query { a: Int @deprecated }",
			giveNew: `type Query { a: Int @deprecated(reason: "No longer supported") }`,
			want:    []change{},
		},
		{
			name:    "enum value deprecated",
			giveOld: query + "enum E { A B }",
			giveNew: query + "enum E { A B @deprecated }",
			want:    []change{safe("DEPRECATION_ADDED", "E.B")},
		},
		{
			name:    "argument deprecated",
			giveOld: "type Query { f(a: Int): Int }",
			giveNew: "type Query { f(a: Int @deprecated): Int }",
			want:    []change{safe("DEPRECATION_ADDED", "Query.f(a)")},
		},
		{
			name:    "input field undeprecated",
			giveOld: query + "input In { a: Int @deprecated }",
			giveNew: query + "input In { a: Int }",
			want:    []change{safe("DEPRECATION_REMOVED", "In.a")},
		},
	})
}

func TestCompareDescriptions(t *testing.T) {
	runCompareCases(t, []compareCase{
		{
			name:    "type description changed",
			giveOld: query + `"old" type T { a: Int }`,
			giveNew: query + `"new" type T { a: Int }`,
			want:    []change{safe("DESCRIPTION_CHANGED", "T")},
		},
		{
			name:    "field description added",
			giveOld: "type Query { a: Int }",
			giveNew: `type Query { "A." a: Int }`,
			want:    []change{safe("DESCRIPTION_CHANGED", "Query.a")},
		},
		{
			name:    "argument description removed",
			giveOld: `type Query { f("A." a: Int): Int }`,
			giveNew: "type Query { f(a: Int): Int }",
			want:    []change{safe("DESCRIPTION_CHANGED", "Query.f(a)")},
		},
		{
			name:    "enum value description changed",
			giveOld: query + `enum E { "old" A }`,
			giveNew: query + `enum E { "new" A }`,
			want:    []change{safe("DESCRIPTION_CHANGED", "E.A")},
		},
		{
			name:    "same text as block string",
			giveOld: query + `"same" type T { a: Int }`,
			giveNew: query + `"""same""" type T { a: Int }`,
			want:    []change{},
		},
	})
}

func TestCompareDirectiveDefinitions(t *testing.T) {
	runCompareCases(t, []compareCase{
		{
			name:    "type-system directive removed",
			giveOld: query + "directive @d on FIELD_DEFINITION",
			giveNew: query,
			want:    []change{dangerous("DIRECTIVE_REMOVED", "@d")},
		},
		{
			name:    "executable directive removed",
			giveOld: query + "directive @d on FIELD | FIELD_DEFINITION",
			giveNew: query,
			want:    []change{breaking("DIRECTIVE_REMOVED", "@d")},
		},
		{
			name:    "directive added",
			giveOld: query,
			giveNew: query + "directive @d on FIELD",
			want:    []change{safe("DIRECTIVE_ADDED", "@d")},
		},
		{
			name:    "executable location removed",
			giveOld: query + "directive @d on FIELD | FRAGMENT_SPREAD",
			giveNew: query + "directive @d on FIELD",
			want:    []change{breaking("DIRECTIVE_LOCATION_REMOVED", "@d")},
		},
		{
			name:    "type-system location removed",
			giveOld: query + "directive @d on OBJECT | FIELD_DEFINITION",
			giveNew: query + "directive @d on FIELD_DEFINITION",
			want:    []change{dangerous("DIRECTIVE_LOCATION_REMOVED", "@d")},
		},
		{
			name:    "location added",
			giveOld: query + "directive @d on FIELD",
			giveNew: query + "directive @d on FIELD | QUERY",
			want:    []change{safe("DIRECTIVE_LOCATION_ADDED", "@d")},
		},
		{
			name:    "required argument added to an executable directive",
			giveOld: query + "directive @d on FIELD",
			giveNew: query + "directive @d(a: Int!) on FIELD",
			want:    []change{breaking("REQUIRED_DIRECTIVE_ARG_ADDED", "@d(a)")},
		},
		{
			name:    "required argument added to a type-system directive",
			giveOld: query + "directive @d on FIELD_DEFINITION",
			giveNew: query + "directive @d(a: Int!) on FIELD_DEFINITION",
			want:    []change{dangerous("REQUIRED_DIRECTIVE_ARG_ADDED", "@d(a)")},
		},
		{
			name:    "argument removed from an executable directive",
			giveOld: query + "directive @d(a: Int) on FIELD",
			giveNew: query + "directive @d on FIELD",
			want:    []change{breaking("DIRECTIVE_ARG_REMOVED", "@d(a)")},
		},
		{
			name:    "no longer repeatable",
			giveOld: query + "directive @d repeatable on FIELD",
			giveNew: query + "directive @d on FIELD",
			want:    []change{breaking("DIRECTIVE_REPEATABLE_REMOVED", "@d")},
		},
	})
}

func TestCompareDirectiveUsages(t *testing.T) {
	const dirs = "directive @service(name: String!) on FIELD_DEFINITION | OBJECT\ndirective @critical on FIELD_DEFINITION\n"
	runCompareCases(t, []compareCase{
		{
			name:    "usage added",
			giveOld: dirs + "type Query { a: Int }",
			giveNew: dirs + "type Query { a: Int @critical }",
			want:    []change{dangerous("DIRECTIVE_USAGE_ADDED", "Query.a")},
		},
		{
			name:    "usage removed",
			giveOld: dirs + `type Query @service(name: "x") { a: Int }`,
			giveNew: dirs + "type Query { a: Int }",
			want:    []change{dangerous("DIRECTIVE_USAGE_REMOVED", "Query")},
		},
		{
			name:    "usage argument changed",
			giveOld: dirs + `type Query { a: Int @service(name: "x") }`,
			giveNew: dirs + `type Query { a: Int @service(name: "y") }`,
			want:    []change{dangerous("DIRECTIVE_USAGE_CHANGED", "Query.a")},
		},
		{
			name:    "usages reordered",
			giveOld: dirs + `type Query { a: Int @service(name: "x") @critical }`,
			giveNew: dirs + `type Query { a: Int @critical @service(name: "x") }`,
			want:    []change{},
		},
	})
}

func TestCompareRootOperations(t *testing.T) {
	runCompareCases(t, []compareCase{
		{
			name:    "mutation added",
			giveOld: query,
			giveNew: query + "type Mutation { m: Int }",
			want:    []change{safe("TYPE_ADDED", "Mutation"), safe("ROOT_OPERATION_ADDED", "schema.mutation")},
		},
		{
			name:    "mutation removed",
			giveOld: query + "type Mutation { m: Int }",
			giveNew: query,
			want:    []change{breaking("TYPE_REMOVED", "Mutation"), breaking("ROOT_OPERATION_REMOVED", "schema.mutation")},
		},
		{
			name:    "query root renamed",
			giveOld: "schema { query: Q1 }\ntype Q1 { q: Int }\ntype Q2 { q: Int }",
			giveNew: "schema { query: Q2 }\ntype Q1 { q: Int }\ntype Q2 { q: Int }",
			want:    []change{breaking("ROOT_OPERATION_TYPE_CHANGED", "schema.query")},
		},
	})
}

func TestCompareIgnoresCodegenAndBuiltins(t *testing.T) {
	const goField = "directive @goField(forceResolver: Boolean, name: String, batch: Boolean) on INPUT_FIELD_DEFINITION | FIELD_DEFINITION\n"
	runCompareCases(t, []compareCase{
		{
			name:    "goField defined and used",
			giveOld: "type Query { a: Int }",
			giveNew: goField + "type Query { a: Int @goField(forceResolver: true) }",
			want:    []change{},
		},
		{
			name:    "goField arguments changed",
			giveOld: goField + "type Query { a: Int @goField(batch: true) }",
			giveNew: goField + "type Query { a: Int @goField(forceResolver: true) }",
			want:    []change{},
		},
	})
}

func TestCompareNilAndOrder(t *testing.T) {
	s := mustLoad(t, "s", `
		directive @d on FIELD
		type Query { b: Int, a(x: Int): Int }
		enum E { Z A }
	`)
	tests := []struct {
		name    string
		giveOld *ast.Schema
		giveNew *ast.Schema
		want    []change
	}{
		{
			name:    "both nil",
			giveOld: nil,
			giveNew: nil,
			want:    []change{},
		},
		{
			name:    "from nil, sorted by path then kind",
			giveOld: nil,
			giveNew: s,
			want: []change{
				safe("DIRECTIVE_ADDED", "@d"),
				safe("TYPE_ADDED", "E"),
				safe("TYPE_ADDED", "Query"),
				safe("ROOT_OPERATION_ADDED", "schema.query"),
			},
		},
		{
			name:    "to nil",
			giveOld: s,
			giveNew: nil,
			want: []change{
				breaking("DIRECTIVE_REMOVED", "@d"),
				breaking("TYPE_REMOVED", "E"),
				breaking("TYPE_REMOVED", "Query"),
				breaking("ROOT_OPERATION_REMOVED", "schema.query"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Changes(schemadiff.Compare(tt.giveOld, tt.giveNew))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Compare:\ngot  %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestCompareIsDeterministic(t *testing.T) {
	old := mustLoad(t, "old", `
		type Query { a: Int, b: Int, c(x: Int, y: Int): Int }
		enum E { A B C D }
		union U = X | Y
		type X { x: Int }
		type Y { y: Int }
	`)
	updated := mustLoad(t, "new", `
		type Query { c(z: Int!): Int! }
		enum E { A }
		union U = X
		type X { x: Int }
		type Y { y: Int }
	`)
	first := schemadiff.Compare(old, updated)
	for i := range 20 {
		if got := schemadiff.Compare(old, updated); !slices.Equal(got, first) {
			t.Fatalf("run %d: got %v, want %v", i, got, first)
		}
	}
	sorted := slices.IsSortedFunc(first, func(a, b schemadiff.Change) int {
		return strings.Compare(a.Path+"\x00"+a.Kind+"\x00"+a.Message, b.Path+"\x00"+b.Kind+"\x00"+b.Message)
	})
	if !sorted {
		t.Errorf("got unsorted changes %v, want them sorted by path, kind and message", first)
	}
}
