package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/config"
)

// docs/configuration.md's reference must be the generated one, so no
// option goes undocumented. go generate ./... regenerates it.
func TestDocsHaveCurrentConfigReference(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := config.WithReference(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != want {
		t.Errorf("docs/configuration.md configuration reference is stale; run go generate ./... (or replace it with the output of `go run . -print-config-reference`)")
	}
	for _, o := range config.Options() {
		if o.Doc == "" {
			t.Errorf("option %s has no doc tag", o.Key)
		}
	}
}

// The reference lists each per-service key once, as <service>.<key>, and
// names every service.
func TestReferenceListsServiceKeysOnce(t *testing.T) {
	ref := config.Reference()
	for _, svc := range config.Services {
		if strings.Contains(ref, "| `"+svc+".") {
			t.Errorf("reference has a row for %s.*; want <service>.* only", svc)
		}
		if !strings.Contains(ref, "`"+svc+"`") {
			t.Errorf("reference does not name the service %s", svc)
		}
	}
	for _, key := range []string{"url", "timeout", "critical", "forward_headers"} {
		row := "| `<service>." + key + "` | `TRIBUTARY_<SERVICE>_" + strings.ToUpper(key) + "` |"
		if n := strings.Count(ref, row); n != 1 {
			t.Errorf("reference has %d rows starting %q, want 1", n, row)
		}
	}
}
