package compose_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/tributarytest"
)

// loyalty is an independent implementation of testdata/loyalty/loyalty.yaml;
// tributarytest.Backend counts its calls and takes it down.
func loyalty(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/balances" {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":"no such path"}`)
		return
	}
	ids := strings.Split(r.URL.Query().Get("userIds"), ",")
	if len(ids) > 100 {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"at most 100 ids"}`)
		return
	}
	program := r.URL.Query().Get("program")
	if program == "" {
		program = "default"
	}
	var out []map[string]any
	for i := len(ids) - 1; i >= 0; i-- { // any order, per the contract
		out = append(out, map[string]any{"userId": ids[i], "program": program, "points": points(ids[i]), "tier": "extra"})
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"balances": out})
}

func points(userID string) int { return len(userID) * 100 }

// A seventh backend declared only in fixture files — an OpenAPI document
// and a schema file with a connector — is composed by `go generate` in a
// copy of the repository. Without its URL the gateway serves it from a
// stand-in built from its contract, and the suite's gateway-level tests and
// the CI audit pass on the copy; with its URL it is queried through the
// built gateway: batched, in the plan's rounds, failing as partial data. No
// Go is written for it. The copy's contract takes the ids the other accepted
// way (a string documented as comma-separated; the fixture is an array with
// explode: false, as docs/adding-a-backend.md shows).
func TestSeventhBackendFromDeclarationsOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a copy of the gateway")
	}
	t.Parallel()
	dir := t.TempDir()
	copyTree(t, root, dir)
	contract, err := os.ReadFile("testdata/loyalty/loyalty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const arrayIDs = "          style: form\n          explode: false\n          schema:\n            type: array\n            maxItems: 100\n            items:\n              type: string\n"
	if !bytes.Contains(contract, []byte(arrayIDs)) {
		t.Fatal("the fixture's userIds is not the expected array")
	}
	contract = bytes.Replace(contract, []byte(arrayIDs), []byte("          description: Comma-separated user ids, at most 100.\n          schema:\n            type: string\n"), 1)
	if err := os.WriteFile(filepath.Join(dir, "api", "loyalty.yaml"), contract, 0o644); err != nil {
		t.Fatal(err)
	}
	copyFile(t, "testdata/loyalty/loyalty.graphqls", filepath.Join(dir, "graph", "loyalty.graphqls"))

	goCmd(t, dir, "generate", "./...")
	bin := filepath.Join(dir, "tributary-test")
	if err := tributarytest.BuildGateway(dir, bin); err != nil {
		t.Fatal(err)
	}

	// Without its URL the configuration is fine: a stand-in serves it, and
	// the gateway says so at start.
	cmd := exec.Command(bin, "-check-config")
	cmd.Env = append(os.Environ(), "TRIBUTARY_LISTEN_ADDR=127.0.0.1:0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("-check-config without a loyalty URL: %v, %s", err, out)
	}
	gwStandIn := tributarytest.StartProcess(t, bin)
	logged := gwStandIn.Started
	if !slices.ContainsFunc(logged, func(l string) bool { return strings.Contains(l, "stand-in") && strings.Contains(l, `"loyalty"`) }) {
		t.Errorf("the start log does not name loyalty as running on a stand-in:\n%s", strings.Join(logged, "\n"))
	}
	var standIn struct {
		Data struct {
			User struct {
				Loyalty *struct {
					Program string
					Points  *int
				}
			}
			Unknown *struct{ ID string }
		}
		Errors []any
	}
	gwStandIn.QueryInto(`{ user(id: "u7") { loyalty(program: "gold") { program points expiresAt } } unknown: user(id: "nope") { id } }`, nil, &standIn)
	if l := standIn.Data.User.Loyalty; len(standIn.Errors) > 0 || l == nil || l.Program != "gold" || l.Points == nil || standIn.Data.Unknown != nil {
		t.Errorf("loyalty from the stand-in: %+v, errors %v; want program gold (the parameter echoed), points set, the unknown user null", l, standIn.Errors)
	}

	// The suite's gateway-level tests — the packages whose harnesses start
	// the gateway over the backends (from the registry, so loyalty runs on
	// a stand-in there too): internal/gateway, internal/telemetry,
	// internal/playground and the program — and the CI audit, on the copy.
	// Not -race, and not the other packages: the copy only adds
	// declarations, and their time (compiling mostly) would double this
	// test's.
	t.Run("suite", func(t *testing.T) {
		goCmd(t, dir, "test", "-count=1", "./internal/gateway/", "./internal/telemetry/", "./internal/playground/", ".")
	})
	t.Run("audit", func(t *testing.T) {
		if _, err := exec.LookPath("npm"); err != nil {
			t.Skip("the audit needs node and npm (CI has them)")
		}
		cmd := exec.Command("bash", filepath.Join(dir, ".ci", "audit.sh"))
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("the audit on the copy: %v\n%s", err, out)
		}
	})

	lb := tributarytest.StartBackend(t, http.HandlerFunc(loyalty))
	gw := tributarytest.StartProcess(t, bin, "TRIBUTARY_LOYALTY_URL="+lb.URL)

	// Review authors of a whole listing: one loyalty call for all of them.
	var listing struct {
		Data struct {
			Products struct {
				Nodes []struct {
					Reviews []struct {
						Author struct {
							ID      string
							Loyalty *struct {
								Program string
								Points  int
							}
						}
					}
				}
			}
		}
		Errors []any
	}
	gw.QueryInto(`{ products(first: 20) { nodes { reviews(first: 5) { author { id loyalty { program points } } } } } }`, nil, &listing)
	if len(listing.Errors) > 0 {
		t.Fatalf("errors: %v", listing.Errors)
	}
	authors := map[string]bool{}
	for _, n := range listing.Data.Products.Nodes {
		for _, r := range n.Reviews {
			a := r.Author
			authors[a.ID] = true
			if a.Loyalty == nil || a.Loyalty.Points != points(a.ID) || a.Loyalty.Program != "default" {
				t.Errorf("author %s: got loyalty %+v, want %d default points", a.ID, a.Loyalty, points(a.ID))
			}
		}
	}
	calls := lb.Queries()
	if len(authors) == 0 {
		t.Fatal("the listing has no review authors")
	}
	if len(calls) != 1 {
		t.Fatalf("loyalty calls: got %d, want 1 for %d authors", len(calls), len(authors))
	}
	if got := strings.Split(calls[0].Get("userIds"), ","); len(got) != len(authors) {
		t.Errorf("ids in the loyalty call: got %d, want %d (one per distinct author)", len(got), len(authors))
	}

	// A user asked for by id: loyalty goes out with the users call, with
	// the argument as its parameter.
	var one struct {
		Data struct {
			User struct{ Loyalty struct{ Program string } }
		}
	}
	gw.QueryInto(`{ user(id: "u7") { name loyalty(program: "gold") { program } } }`, nil, &one)
	calls = lb.Queries()
	if last := calls[len(calls)-1]; last.Get("program") != "gold" || last.Get("userIds") != "u7" || one.Data.User.Loyalty.Program != "gold" {
		t.Errorf("user loyalty: call %v, answer %+v", last, one)
	}

	// Loyalty down: partial data, an error naming the service.
	lb.SetDown(true)
	var partial struct {
		Data struct {
			User *struct {
				Name    string
				Loyalty *struct{ Points int }
			}
		}
		Errors []struct {
			Path       []any
			Extensions map[string]any
		}
	}
	gw.QueryInto(`{ user(id: "u8") { name loyalty { points } } }`, nil, &partial)
	if partial.Data.User == nil || partial.Data.User.Name == "" || partial.Data.User.Loyalty != nil {
		t.Errorf("with loyalty down: got %+v, want the user with loyalty null", partial.Data.User)
	}
	if len(partial.Errors) != 1 || partial.Errors[0].Extensions["service"] != "loyalty" || fmt.Sprint(partial.Errors[0].Path) != "[user loyalty]" {
		t.Errorf("with loyalty down: errors %+v, want one at [user loyalty] naming loyalty", partial.Errors)
	}

	// Removing the declaration removes what generation wrote for it.
	assertRemovedSourceLeavesNoCode(t, dir, "loyalty")
}

func goCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// copyTree copies the module at src to dst, without version control or
// build output.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "out", "artifacts":
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() || strings.HasSuffix(d.Name(), ".test") || rel == "tributary" {
			return nil
		}
		copyFile(t, path, filepath.Join(dst, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
