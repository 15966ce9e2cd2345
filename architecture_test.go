package main

import (
	"flag"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var updateArchitecture = flag.Bool("update-architecture", false, "rewrite the import graph drawn in docs/architecture.md from the code")

const (
	architectureDoc = "docs/architecture.md"
	importsBegin    = "<!-- imports: written by go test . -run TestArchitectureDoc -update-architecture; do not edit -->"
	importsEnd      = "<!-- end of imports -->"
	// rootName stands for the module's root package (server.go) in the
	// drawing.
	rootName = "tributary"
)

// docs/architecture.md draws the packages as they are: its layout names
// every package of the module and nothing that is gone, and its import
// graph is the code's, edge for edge. The layering rules hold.
func TestArchitectureDoc(t *testing.T) {
	graph := importGraph(t)
	raw, err := os.ReadFile(architectureDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)

	want := drawImports(graph)
	begin, end := strings.Index(doc, importsBegin), strings.Index(doc, importsEnd)
	if begin < 0 || end < begin {
		t.Fatalf("%s: no import graph between %q and %q", architectureDoc, importsBegin, importsEnd)
	}
	drawn := doc[begin+len(importsBegin) : end]
	if *updateArchitecture {
		doc = doc[:begin+len(importsBegin)] + want + doc[end:]
		if err := os.WriteFile(architectureDoc, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		drawn = want
	}
	got := parseImports(drawn)
	for _, p := range sortedKeys(graph) {
		if _, ok := got[p]; !ok {
			t.Errorf("package %s is not in the import graph drawn in %s", p, architectureDoc)
			continue
		}
		for _, d := range graph[p] {
			if !slices.Contains(got[p], d) {
				t.Errorf("%s imports %s; the drawing does not show it", p, d)
			}
		}
	}
	for _, p := range sortedKeys(got) {
		deps, ok := graph[p]
		if !ok {
			t.Errorf("%s draws package %s, which does not exist", architectureDoc, p)
			continue
		}
		for _, d := range got[p] {
			if !slices.Contains(deps, d) {
				t.Errorf("%s draws %s → %s; the code has no such import", architectureDoc, p, d)
			}
		}
	}
	if drawn != want && !t.Failed() {
		t.Errorf("the import graph in %s is not laid out as generated; run go test . -run TestArchitectureDoc -update-architecture", architectureDoc)
	}

	checkLayout(t, doc, graph)
	checkLayering(t, graph)
}

// checkLayout requires the layout (the document's first code block) to
// name every package, and every directory it names to exist. A segment
// in angle brackets (services/<backend>/) stands for any one segment.
func checkLayout(t *testing.T, doc string, graph map[string][]string) {
	t.Helper()
	m := regexp.MustCompile("(?s)```\n(.*?)```").FindStringSubmatch(doc)
	if m == nil {
		t.Fatalf("%s: no layout block", architectureDoc)
	}
	var dirs []string
	root := false
	for line := range strings.SplitSeq(m[1], "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(line, " ") {
			continue
		}
		switch {
		case f[0] == "server.go":
			root = true
		case strings.HasSuffix(f[0], "/"):
			dirs = append(dirs, strings.TrimSuffix(f[0], "/"))
		}
	}
	drawn := func(p string) bool {
		if p == rootName {
			return root
		}
		for _, d := range dirs {
			if ok, _ := path.Match(regexp.MustCompile(`<[^>/]+>`).ReplaceAllString(d, "*"), p); ok {
				return true
			}
		}
		return false
	}
	for _, p := range sortedKeys(graph) {
		if !drawn(p) {
			t.Errorf("package %s is missing from the layout in %s", p, architectureDoc)
		}
	}
	for _, d := range dirs {
		matches, _ := filepath.Glob(filepath.FromSlash(regexp.MustCompile(`<[^>/]+>`).ReplaceAllString(d, "*")))
		if len(matches) == 0 {
			t.Errorf("the layout in %s names %s/, which does not exist", architectureDoc, d)
		}
	}
}

// checkLayering: no package under internal/ depends, directly or not, on
// services/, resolvers/ or the generated executor (graph): internal/ is
// the machinery of any schema, built without this one's code (STYLE.md,
// issue 19). graph/registry and graph/model are plain data and allowed.
// What is specific to the schema reaches the gateway as a gateway.Graph,
// assembled outside internal/ (graph/served).
func checkLayering(t *testing.T, graph map[string][]string) {
	t.Helper()
	forbidden := func(p string) bool {
		return p == "graph" || p == "resolvers" || strings.HasPrefix(p, "services/") || strings.HasPrefix(p, "resolvers/")
	}
	for _, p := range sortedKeys(graph) {
		if !strings.HasPrefix(p, "internal/") {
			continue
		}
		// Walk p's dependencies, remembering how each was reached.
		via := map[string]string{p: ""}
		queue := []string{p}
		for len(queue) > 0 {
			q := queue[0]
			queue = queue[1:]
			for _, d := range graph[q] {
				if _, seen := via[d]; seen {
					continue
				}
				via[d] = q
				if forbidden(d) {
					chain := []string{d}
					for x := q; x != ""; x = via[x] {
						chain = append([]string{x}, chain...)
					}
					t.Errorf("%s depends on %s (%s): nothing under internal/ may; take what is specific to the schema from the caller (gateway.Graph)", p, d, strings.Join(chain, " → "))
					continue
				}
				queue = append(queue, d)
			}
		}
	}
}

// importGraph reads every package of the module (as `go list ./...` sees
// them, build constraints applied, tests left out) and the module's
// packages each imports, by path relative to the module root.
func importGraph(t *testing.T) map[string][]string {
	t.Helper()
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod: no module line")
	}
	module := string(m[1])
	rel := func(importPath string) (string, bool) {
		if importPath == module {
			return rootName, true
		}
		r, ok := strings.CutPrefix(importPath, module+"/")
		return r, ok
	}
	graph := map[string][]string{}
	generated := map[string]bool{}
	err = filepath.WalkDir(".", func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if dir != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		if dir != "." {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		pkg, err := build.ImportDir(dir, 0)
		if err != nil || len(pkg.GoFiles)+len(pkg.CgoFiles) == 0 {
			return nil // no package here, or tests only
		}
		p := rootName
		if dir != "." {
			p = filepath.ToSlash(dir)
		}
		deps := []string{}
		for _, imp := range pkg.Imports {
			if r, ok := rel(imp); ok {
				deps = append(deps, r)
			}
		}
		slices.Sort(deps)
		graph[p] = deps
		if strings.HasPrefix(p, "services/") && allGenerated(pkg.GoFiles) {
			generated[p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return collapseSources(graph, generated)
}

// sourceNode stands for every generated client package of a declared
// source (services/<name>/, only *.gen.go files): they are drawn as one,
// so declaring a backend (docs/adding-a-backend.md) needs no edit here.
const sourceNode = "services/<source>"

func allGenerated(files []string) bool {
	for _, f := range files {
		if !strings.HasSuffix(f, ".gen.go") {
			return false
		}
	}
	return len(files) > 0
}

// collapseSources merges the generated source packages into sourceNode.
func collapseSources(graph map[string][]string, generated map[string]bool) map[string][]string {
	node := func(p string) string {
		if generated[p] {
			return sourceNode
		}
		return p
	}
	out := map[string][]string{}
	for p, deps := range graph {
		n := node(p)
		merged := out[n]
		if merged == nil {
			merged = []string{}
		}
		for _, d := range deps {
			if d = node(d); d != n && !slices.Contains(merged, d) {
				merged = append(merged, d)
			}
		}
		slices.Sort(merged)
		out[n] = merged
	}
	return out
}

// drawImports lays the graph out one package a line, its imports after an
// arrow, wrapped at 100 columns.
func drawImports(graph map[string][]string) string {
	width := 0
	for p := range graph {
		width = max(width, len(p))
	}
	var b strings.Builder
	b.WriteString("\n\n```\n")
	for _, p := range sortedKeys(graph) {
		line := fmt.Sprintf("%-*s →", width, p)
		deps := graph[p]
		if len(deps) == 0 {
			deps = []string{"—"}
		}
		for _, d := range deps {
			if len(line)+1+len(d) > 100 {
				b.WriteString(line + "\n")
				line = strings.Repeat(" ", width+2)
			}
			line += " " + d
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("```\n\n")
	return b.String()
}

// parseImports reads a drawing written by drawImports (or edited by hand).
func parseImports(s string) map[string][]string {
	out := map[string][]string{}
	cur := ""
	for line := range strings.SplitSeq(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(line, "```") {
			continue
		}
		if !strings.HasPrefix(line, " ") {
			cur = f[0]
			out[cur] = []string{}
			f = f[1:]
		}
		for _, d := range f {
			if d != "→" && d != "—" && cur != "" {
				out[cur] = append(out[cur], d)
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
