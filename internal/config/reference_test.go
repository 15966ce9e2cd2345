package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
)

// The README's configuration reference must be the generated one, so no
// option goes undocumented. Regenerate with:
//
//	go run . -print-config-reference
func TestReadmeHasCurrentConfigReference(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const start, end = "<!-- config-reference:start", "<!-- config-reference:end -->"
	s := string(readme)
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal("README.md has no config-reference markers")
	}
	got := s[strings.Index(s[i:], "\n")+i+1 : j]
	if want := config.Reference(); got != want {
		t.Errorf("README.md configuration reference is stale; replace it with the output of `go run . -print-config-reference`")
	}
	for _, o := range config.Options() {
		if o.Doc == "" {
			t.Errorf("option %s has no doc tag", o.Key)
		}
	}
}
