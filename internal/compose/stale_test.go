package compose_test

import (
	"os"
	"path/filepath"
	"testing"
)

// assertRemovedSourceLeavesNoCode removes graph/<name>.graphqls from the
// copy of the repository at dir, where generation composed the source
// name, and generates again: the source's client (services/<name>/) is
// gone and the copy builds. (Run by the seventh-backend test, which has
// the copy already generated.)
func assertRemovedSourceLeavesNoCode(t *testing.T, dir, name string) {
	t.Helper()
	client := filepath.Join(dir, "services", name, "connect.gen.go")
	if _, err := os.Stat(client); err != nil {
		t.Fatalf("before removing the source: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "graph", name+".graphqls")); err != nil {
		t.Fatal(err)
	}
	goCmd(t, dir, "run", "./internal/compose/cmd/compose")
	if _, err := os.Stat(client); !os.IsNotExist(err) {
		t.Errorf("after removing the source: stat %s: %v, want it gone", client, err)
	}
	if _, err := os.Stat(filepath.Dir(client)); !os.IsNotExist(err) {
		t.Errorf("after removing the source: services/%s is still there (%v)", name, err)
	}
	goCmd(t, dir, "build", "./...")
}
