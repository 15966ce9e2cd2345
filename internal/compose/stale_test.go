package compose_test

import (
	"os"
	"path/filepath"
	"testing"
)

// Generation removes what it generated for a source that is no longer
// declared: add the loyalty service to a copy of the repository, generate,
// remove its schema file, generate again — its client is gone and the
// copy builds.
func TestRemovedSourceLeavesNoGeneratedCode(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a copy of the gateway twice")
	}
	t.Parallel()
	dir := t.TempDir()
	copyTree(t, root, dir)
	copyFile(t, "testdata/loyalty/loyalty.yaml", filepath.Join(dir, "api", "loyalty.yaml"))
	copyFile(t, "testdata/loyalty/loyalty.graphqls", filepath.Join(dir, "graph", "loyalty.graphqls"))
	client := filepath.Join(dir, "services", "loyalty", "connect.gen.go")

	goCmd(t, dir, "run", "./internal/compose/cmd/compose")
	if _, err := os.Stat(client); err != nil {
		t.Fatalf("after adding the source: %v", err)
	}

	if err := os.Remove(filepath.Join(dir, "graph", "loyalty.graphqls")); err != nil {
		t.Fatal(err)
	}
	goCmd(t, dir, "run", "./internal/compose/cmd/compose")
	if _, err := os.Stat(client); !os.IsNotExist(err) {
		t.Errorf("after removing the source: stat %s: %v, want it gone", client, err)
	}
	if _, err := os.Stat(filepath.Dir(client)); !os.IsNotExist(err) {
		t.Errorf("after removing the source: services/loyalty is still there (%v)", err)
	}
	goCmd(t, dir, "build", "./...")
}
