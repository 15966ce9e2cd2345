package compose

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// genContracts copies each service's checked-in contract into the registry,
// so that the binary carries them: the demo backends publish them, a
// declared service without a demo implementation is served by a stand-in
// built from its own, and -check-contracts compares the published ones with
// them, wherever the binary runs.
func (g *Graph) genContracts(root string) error {
	w := &writer{}
	w.p("%spackage registry\n", header)
	w.p("// contracts are the services' OpenAPI documents as checked in, by service.")
	w.p("var contracts = map[string]string{")
	for _, s := range g.Sources {
		b, err := os.ReadFile(filepath.Join(root, s.Contract))
		if err != nil {
			return fmt.Errorf("compose: %s: %w", s.Name, err)
		}
		w.p("\t// %s", s.Contract)
		w.p("\t%q: \"\" +", s.Name)
		lines := strings.SplitAfter(string(b), "\n")
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		for i, l := range lines {
			sep := " +"
			if i == len(lines)-1 {
				sep = ","
			}
			w.p("\t\t%s%s", strconv.Quote(l), sep)
		}
		if len(lines) == 0 {
			w.p("\t\t\"\",")
		}
	}
	w.p("}")
	return w.write(filepath.Join(root, "graph", "registry", "contracts.gen.go"))
}
