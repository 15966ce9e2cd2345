package compose_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/internal/compose"
)

// schemaEdited loads the graph's schema with one replacement in
// graph/schema.graphqls, and returns the file:line of the first line that
// contains at (after the edit).
func schemaEdited(t *testing.T, old, new, at string) (*ast.Schema, string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "graph", "*.graphqls"))
	if err != nil || len(files) == 0 {
		t.Fatalf("schema files: %v", err)
	}
	sources := []*ast.Source{compose.Vocabulary()}
	loc, edited := "", false
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := "graph/" + filepath.Base(f)
		s := string(b)
		if !edited && strings.Contains(s, old) {
			edited = true
			s = strings.Replace(s, old, new, 1)
			for i, line := range strings.Split(s, "\n") {
				if strings.Contains(line, at) {
					loc = fmt.Sprintf("%s:%d:", name, i+1)
					break
				}
			}
		}
		sources = append(sources, &ast.Source{Name: name, Input: s})
	}
	if !edited {
		t.Fatalf("no schema file has %q", old)
	}
	sch, gerr := gqlparser.LoadSchema(sources...)
	if gerr != nil {
		t.Fatalf("schema: %v", gerr)
	}
	return sch, loc
}

// Each broken write mapping stops generation with one message, at the
// @write, with a suggestion where one helps.
func TestBrokenWritesFailWithAPreciseMessage(t *testing.T) {
	const review = `@write(source: "reviews"`
	const order = `@write(source: "orders"`
	tests := []struct {
		name       string
		old, new   string
		at         string
		wantSubstr string
	}{
		{"missing required property", `"authorId: $caller", `, ``, review,
			`Mutation.addReview: @write body: NewReview requires property "authorId", which the write does not give`},
		{"property the contract forbids", `"body: $args.body"]`, `"body: $args.body", "title: $args.body"]`, review,
			`Mutation.addReview: @write body "title": NewReview (the body of POST /reviews) has no property "title"; it allows no other property (additionalProperties: false)`},
		{"misspelt property", `"rating: $args.rating"`, `"ratings: $args.rating"`, review,
			`@write body "ratings": NewReview (the body of POST /reviews) has no property "ratings" (did you mean "rating"?)`},
		{"type mismatch", `"rating: $args.rating"`, `"rating: $args.body"`, review,
			`Mutation.addReview: @write body "rating": argument body is String! but NewReview.rating is integer`},
		{"literal of the wrong type", `"rating: $args.rating"`, `"rating: \"five\""`, review,
			`@write body "rating": literal "five" is a string but the property is integer`},
		{"unknown argument", `"body: $args.body"]`, `"body: $args.bdy"]`, review,
			`@write body "body": Mutation.addReview has no argument "bdy" (did you mean "body"?)`},
		{"wrong method", `method: "POST", path: "/reviews"`, `method: "PUT", path: "/reviews"`, review,
			`Mutation.addReview: @write: /reviews has no PUT operation (it has GET, POST)`},
		{"unknown path", `path: "/reviews"`, `path: "/review"`, review,
			`@write path "/review": api/reviews.yaml has no path "/review" (did you mean "/reviews"?)`},
		{"invalidates a key nothing is cached by", `invalidates: ["orders: $result.userId"]`, `invalidates: ["orders: $result.id"]`, order,
			`@write invalidates "orders: $result.id": no connector of orders keys its answers by id, so nothing cached is named by it (they are keyed by userId)`},
		{"invalidates nothing of its own service", `invalidates: ["orders: $result.userId"]`, `invalidates: ["users: $caller"]`, order,
			`Mutation.cancelOrder: @write changes orders, whose answers are cached; say which in invalidates`},
		{"owner rule without a read", `read: "/orders/{id}", `, ``, `owner: "$read.userId"`,
			`Mutation.cancelOrder: @auth(requires: OWNER_OR_STAFF) on a write needs @write(read:)`},
		{"owner property missing", `owner: "$read.userId"`, `owner: "$read.user"`, `owner: "$read.user"`,
			`@auth(owner: "$read.user"): the answer of GET /orders/{id} (Order) has no property "user" (did you mean "userId"?)`},
		{"owner not of the read", `owner: "$read.userId"`, `owner: "$this.userId"`, `owner: "$this.userId"`,
			`Mutation.cancelOrder: @auth(owner: "$this.userId"): a write's owner is "$read.<property>"`},
		{"missing path parameter", `params: ["id: $args.id"],`, ``, order,
			`@write: POST /orders/{id}/cancel takes path parameter "id"; give it in params`},
		{"caller without auth", `"authorId: $caller", "rating: $args.rating", "body: $args.body"],
           invalidates: ["reviews: $result.productId", "reviews: $result.authorId"])
    @auth(requires: AUTHENTICATED)`, `"authorId: $caller", "rating: $args.rating", "body: $args.body"],
           invalidates: ["reviews: $result.productId", "reviews: $result.authorId"])`, review,
			`@write body "authorId": $caller needs a signed-in caller; add @auth(requires: AUTHENTICATED)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireOneLocatedError(t, tt.old, tt.new, tt.at, tt.wantSubstr)
		})
	}
}

// The committed writes compose into what the gateway enforces.
func TestWritesCompose(t *testing.T) {
	s, _ := schemaEdited(t, "", "", "@write")
	g, err := compose.Analyze(s, root)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, w := range g.Writes {
		var checks []string
		for _, c := range w.Checks {
			checks = append(checks, fmt.Sprintf("%s %s %d..%d", c.Arg, c.Kind, c.Lo, c.Hi))
		}
		got[w.Field] = fmt.Sprintf("%s %s %s %v read=%q", w.Name, w.Method, w.Path, checks, w.Read)
	}
	want := map[string]string{
		"addReview":     `reviews.createReview POST /reviews [rating range 1..5 body length 1..2000] read=""`,
		"cancelOrder":   `orders.cancelOrder POST /orders/{id}/cancel [] read="/orders/{id}"`,
		"updateProfile": `users.updateUser PATCH /users/{id} [name length 1..100] read=""`,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %s, want %s", k, got[k], v)
		}
	}
}

// requireOneLocatedError edits the schema (old → new, in the declaration
// at) and requires generation to stop with one message, located at the
// edit, that contains want.
func requireOneLocatedError(t *testing.T, old, new, at, want string) {
	t.Helper()
	s, loc := schemaEdited(t, old, new, at)
	_, err := compose.Analyze(s, root)
	if err == nil {
		t.Fatal("generation was not stopped")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 1 {
		t.Errorf("got %d messages for one mistake, want 1:\n%v", len(lines), err)
	}
	if !strings.Contains(lines[0], want) {
		t.Errorf("got:\n%v\nwant a line with %q", err, want)
	}
	if !strings.HasPrefix(lines[0], loc) {
		t.Errorf("got %q, want it located at %s", lines[0], loc)
	}
}
