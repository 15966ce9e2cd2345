package compose_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/compose"
)

// loyaltyWith analyses the loyalty fixture with its contract edited by
// replacing old with new, and its schema file by sdlOld → sdlNew.
func loyaltyWith(t *testing.T, old, new, sdlOld, sdlNew string) error {
	t.Helper()
	b, err := os.ReadFile("testdata/loyalty/loyalty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("the contract has no %q", old)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "loyalty.yaml"), []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(abs, filepath.Join(dir, "loyalty.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sdl := strings.Replace(loyaltySDL(t), "internal/compose/testdata/loyalty/loyalty.yaml", filepath.ToSlash(rel), 1)
	if !strings.Contains(sdl, sdlOld) {
		t.Fatalf("the schema file has no %q", sdlOld)
	}
	sdl = strings.Replace(sdl, sdlOld, sdlNew, 1)
	_, err = compose.Analyze(schemaWith(t, "graph/loyalty.graphqls", sdl), root)
	return err
}

const arrayIDs = `          style: form
          explode: false
          schema:
            type: array
            maxItems: 100
            items:
              type: string
`

// Both ways teams write a comma-separated id list are accepted; an array
// that leaves explode to OpenAPI's default (exploded) is refused with what
// to change.
func TestBatchParameterWaysAndExplode(t *testing.T) {
	for _, tt := range []struct {
		name, new, want string
	}{
		{"string described as comma-separated", "          description: Comma-separated user ids.\n          schema:\n            type: string\n", ""},
		{"string with x-comma-separated", "          x-comma-separated: true\n          schema:\n            type: string\n", ""},
		{"array with explode unset", "          schema:\n            type: array\n            items:\n              type: string\n",
			`graph/loyalty.graphqls:15:6: User.loyalty: @connect batch "userIds": the contract leaves explode unset, and OpenAPI's default for a form parameter is exploded (?userIds=a&userIds=b); batch keys are sent comma-separated: add explode: false to the parameter`},
		{"array exploded", "          explode: true\n          schema:\n            type: array\n            items:\n              type: string\n",
			`make it style: form, explode: false`},
		{"plain string", "          schema:\n            type: string\n",
			`want comma-separated ids: in the contract, make it an array of strings with style: form, explode: false, or a string with x-comma-separated: true`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := loyaltyWith(t, arrayIDs, tt.new, "", "")
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// An argument bound to a parameter must fit the parameter's type: an Int
// sent as a string parameter would fail at run time.
func TestArgumentMustFitItsParameter(t *testing.T) {
	err := loyaltyWith(t, "x", "x", `loyalty(program: String! = "default")`, `loyalty(program: Int! = 1)`)
	want := `graph/loyalty.graphqls:15:6: User.loyalty: @connect param "program": argument program is Int! but GET /balances's program is string`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %q", err, want)
	}
	if err := loyaltyWith(t, "x", "x", "", ""); err != nil {
		t.Errorf("the fixture itself: %v", err)
	}
}
