// Package schemadiff finds the changes between two versions of the public
// GraphQL schema and classifies each one by what it does to existing clients:
// safe, dangerous (valid queries keep validating but may behave differently)
// or breaking (some valid queries stop validating or get data of a shape they
// did not expect).
//
// The rules follow graphql-js findBreakingChanges and graphql-inspector, with
// these deliberate differences:
//   - an output field made nullable is breaking: clients may rely on the value
//     never being null;
//   - an optional argument or input field added is safe, not dangerous;
//   - a directive that clients cannot write in a query (one with type-system
//     locations only) is at most dangerous to remove or change: that affects
//     tools reading the SDL, not queries;
//   - directives applied in the schema are compared, and a use added, removed
//     or changed is dangerous: the gateway's own directives (@critical,
//     @fallback, ...) change what clients receive. @deprecated has its own,
//     safe, kinds.
//
// Only the public contract is compared: built-in scalars and directives,
// introspection types and gqlgen's code-generation directives (goField,
// goModel, goTag, goExtraField, goEnum; their definitions and uses) are
// ignored.
package schemadiff

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Severity says how a change affects existing clients. The zero value is Safe;
// a larger value is more severe.
type Severity int

// Severities, in increasing order.
const (
	// Safe changes cannot affect existing clients.
	Safe Severity = iota
	// Dangerous changes keep every valid query valid but may change what a
	// client receives or how it should handle it (e.g. a new enum value).
	Dangerous
	// Breaking changes make some valid queries invalid or return data of a
	// shape clients did not expect.
	Breaking
)

// String returns "safe", "dangerous" or "breaking".
func (s Severity) String() string {
	switch s {
	case Safe:
		return "safe"
	case Dangerous:
		return "dangerous"
	case Breaking:
		return "breaking"
	default:
		return fmt.Sprintf("Severity(%d)", int(s))
	}
}

// MarshalText encodes s as its String form, so that JSON carries "breaking"
// rather than a number.
func (s Severity) MarshalText() ([]byte, error) {
	return []byte(s.String()), nil
}

// Change is one difference between two schemas.
type Change struct {
	// Severity is the change's effect on existing clients.
	Severity Severity `json:"severity"`
	// Kind is a stable identifier of the rule that found the change, e.g.
	// "FIELD_REMOVED"; tooling may switch on it.
	Kind string `json:"kind"`
	// Path is the schema coordinate the change is about: "Type",
	// "Type.field", "Type.field(arg)", "Enum.VALUE", "@directive",
	// "@directive(arg)" or "schema.query".
	Path string `json:"path"`
	// Message is a sentence for humans that names the element and the change.
	Message string `json:"message"`
}

// HasBreaking reports whether any of changes is Breaking.
func HasBreaking(changes []Change) bool {
	for _, c := range changes {
		if c.Severity >= Breaking {
			return true
		}
	}
	return false
}

// Report renders changes for humans: one section per severity present,
// breaking first, each change on its own line in the order given, then a
// summary line. It returns "No changes." when changes is empty. The report has
// no trailing newline.
func Report(changes []Change) string {
	if len(changes) == 0 {
		return "No changes."
	}
	var b strings.Builder
	counts := make(map[Severity]int)
	for _, sev := range []Severity{Breaking, Dangerous, Safe} {
		for _, c := range changes {
			if c.Severity != sev {
				continue
			}
			if counts[sev] == 0 {
				if b.Len() > 0 {
					b.WriteString("\n")
				}
				fmt.Fprintf(&b, "%s changes:\n", upperFirst(sev.String()))
			}
			counts[sev]++
			fmt.Fprintf(&b, "  - [%s] %s\n", c.Kind, c.Message)
		}
	}
	fmt.Fprintf(&b, "\nSummary: %d breaking, %d dangerous, %d safe.",
		counts[Breaking], counts[Dangerous], counts[Safe])
	return b.String()
}

// Load parses and validates the SDL in sdl, with the GraphQL prelude (built-in
// scalars, directives and introspection types) added as gqlgen does. name
// appears in error positions, e.g. the file name.
func Load(name, sdl string) (*ast.Schema, error) {
	s, err := gqlparser.LoadSchema(&ast.Source{Name: name, Input: sdl})
	if err != nil {
		return nil, fmt.Errorf("schemadiff: load schema: %w", err)
	}
	return s, nil
}
