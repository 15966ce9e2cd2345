package schemadiff

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Operation is one operation a client registered: from a trusted-documents
// manifest or a .graphql file.
type Operation struct {
	// Name is the operation's name; "(anonymous)" when it has none.
	Name string
	// Source says where it came from: a file, or a manifest and the first
	// characters of the document's hash.
	Source string
	// Document is the whole document the operation is in, fragments
	// included.
	Document string
}

// ReadOperations reads the operations clients use from path: a
// trusted-documents manifest (a .json file: an object of sha256 hash →
// document, as persisted.manifest), a .graphql file, or a directory whose
// .graphql and .gql files (recursively) each hold one or more operations.
// Operations come out sorted by name, then source.
func ReadOperations(path string) ([]Operation, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("operations: %w", err)
	}
	var ops []Operation
	switch {
	case fi.IsDir():
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !(strings.HasSuffix(p, ".graphql") || strings.HasSuffix(p, ".gql")) {
				return nil
			}
			more, err := readGraphQLFile(p)
			ops = append(ops, more...)
			return err
		})
	case strings.HasSuffix(path, ".json"):
		ops, err = readManifest(path)
	default:
		ops, err = readGraphQLFile(path)
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ops, func(a, b Operation) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Source, b.Source))
	})
	return ops, nil
}

func readGraphQLFile(path string) ([]Operation, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("operations: %w", err)
	}
	return SplitOperations(path, string(b))
}

func readManifest(path string) ([]Operation, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("operations: %w", err)
	}
	var docs map[string]string
	if err := json.Unmarshal(b, &docs); err != nil {
		return nil, fmt.Errorf("operations: %s: not a JSON object of hash → document: %w", path, err)
	}
	var ops []Operation
	for hash, doc := range docs {
		more, err := SplitOperations(fmt.Sprintf("%s %.12s", path, hash), doc)
		if err != nil {
			return nil, err
		}
		ops = append(ops, more...)
	}
	return ops, nil
}

// SplitOperations parses a document (without a schema) and returns one
// Operation per operation in it; source names where it came from.
func SplitOperations(source, doc string) ([]Operation, error) {
	qd, err := parser.ParseQuery(&ast.Source{Name: source, Input: doc})
	if err != nil {
		return nil, fmt.Errorf("operations: %s: %w", source, err)
	}
	if len(qd.Operations) == 0 {
		return nil, fmt.Errorf("operations: %s: no operation in the document", source)
	}
	ops := make([]Operation, 0, len(qd.Operations))
	for _, op := range qd.Operations {
		name := op.Name
		if name == "" {
			name = "(anonymous)"
		}
		ops = append(ops, Operation{Name: name, Source: source, Document: doc})
	}
	return ops, nil
}

// Impact is a breaking change that hits a registered operation.
type Impact struct {
	Operation Operation
	// Field is where in the operation: the response path of the field
	// ("product.price"), or the type, argument or variable it uses.
	Field string
	// Change is the change; for an operation that no longer validates,
	// Kind is "OPERATION_INVALID" and Message the validation error.
	Change Change
}

// Usage is what a set of registered operations makes of a schema change.
type Usage struct {
	Operations int
	// Broken lists, per operation, the breaking changes it hits, sorted by
	// operation, then field.
	Broken []Impact
	// Unused lists the breaking changes that no registered operation
	// touches: breaking in theory only.
	Unused []Change
	// InvalidBefore lists operations that did not validate against the
	// old schema either (a stale manifest, usually); they are checked
	// against the new one all the same.
	InvalidBefore []Impact
}

// Fails reports whether a registered operation breaks.
func (u Usage) Fails() bool { return len(u.Broken) > 0 }

// CheckOperations tells which of the breaking changes (from Compare of
// oldSchema and newSchema) hit which operations. An operation is hit by a
// change to something it uses in oldSchema: a field it selects, an
// argument it passes (or any selection of the field, for a required
// argument added), a type it names or reaches (input types as a whole,
// since variables may carry any of their fields), an enum whose values it
// may send or receive, a directive it writes, its root type. An operation
// that validates against oldSchema but not newSchema while no change hits
// it is broken too, with the validator's message.
func CheckOperations(oldSchema, newSchema *ast.Schema, changes []Change, ops []Operation) Usage {
	u := Usage{Operations: len(ops)}
	touched := map[int]bool{}
	for _, op := range ops {
		var hits []Impact
		doc, errs := gqlparser.LoadQuery(oldSchema, op.Document)
		if len(errs) > 0 {
			u.InvalidBefore = append(u.InvalidBefore, Impact{Operation: op, Change: Change{
				Severity: Breaking, Kind: "OPERATION_INVALID", Message: errs[0].Message,
			}})
		} else if o := doc.Operations.ForName(opName(op)); o != nil {
			uses := collectUses(oldSchema, doc, o)
			for i, c := range changes {
				if c.Severity < Breaking {
					continue
				}
				if where, ok := uses.hit(oldSchema, c); ok {
					touched[i] = true
					hits = append(hits, Impact{Operation: op, Field: where, Change: c})
				}
			}
		}
		invalidBefore := len(errs) > 0
		if _, errs := gqlparser.LoadQuery(newSchema, op.Document); len(errs) > 0 && !invalidBefore && len(hits) == 0 {
			// No change explains it (the changes name what they break, so
			// their hits suffice). The validator does not say which of a
			// document's operations an error belongs to: each gets it.
			for _, e := range errs {
				hits = append(hits, Impact{Operation: op, Change: Change{
					Severity: Breaking, Kind: "OPERATION_INVALID", Message: e.Message,
				}})
			}
		}
		slices.SortStableFunc(hits, func(a, b Impact) int { return cmp.Compare(a.Field, b.Field) })
		u.Broken = append(u.Broken, hits...)
	}
	for i, c := range changes {
		if c.Severity >= Breaking && !touched[i] {
			u.Unused = append(u.Unused, c)
		}
	}
	return u
}

// opName is the name to look the operation up by in its document.
func opName(op Operation) string {
	if op.Name == "(anonymous)" {
		return ""
	}
	return op.Name
}

// uses is what one operation uses of a schema, each with where it first
// does so.
type uses struct {
	root       string            // "schema.query" …
	types      map[string]string // named type → where
	fields     map[string]string // "Type.field" → response path
	args       map[string]string // "Type.field(arg)" or "@dir(arg)" → where
	directives map[string]string // "@dir" → where
}

func collectUses(schema *ast.Schema, doc *ast.QueryDocument, op *ast.OperationDefinition) *uses {
	u := &uses{
		root:       "schema." + string(op.Operation),
		types:      map[string]string{},
		fields:     map[string]string{},
		args:       map[string]string{},
		directives: map[string]string{},
	}
	for _, v := range op.VariableDefinitions {
		u.typeRef(schema, v.Type.Name(), "$"+v.Variable)
	}
	u.directiveUses(op.Directives, op.Name)
	u.selections(schema, doc, op.SelectionSet, nil, map[string]bool{})
	return u
}

func (u *uses) typeRef(schema *ast.Schema, name, where string) {
	if _, seen := u.types[name]; seen || name == "" {
		return
	}
	u.types[name] = where
	// An input type brings the types of its fields: a variable may carry
	// any of them.
	if def := schema.Types[name]; def != nil && def.Kind == ast.InputObject {
		for _, f := range def.Fields {
			u.typeRef(schema, f.Type.Name(), where)
		}
	}
}

func (u *uses) directiveUses(dirs ast.DirectiveList, where string) {
	for _, d := range dirs {
		if _, ok := u.directives["@"+d.Name]; !ok {
			u.directives["@"+d.Name] = where
		}
		for _, a := range d.Arguments {
			u.args["@"+d.Name+"("+a.Name+")"] = where
		}
	}
}

func (u *uses) selections(schema *ast.Schema, doc *ast.QueryDocument, set ast.SelectionSet, path []string, walked map[string]bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Definition == nil || s.ObjectDefinition == nil || strings.HasPrefix(s.Name, "__") {
				continue
			}
			p := append(slices.Clone(path), s.Alias)
			where := strings.Join(p, ".")
			coord := s.ObjectDefinition.Name + "." + s.Name
			if _, ok := u.fields[coord]; !ok {
				u.fields[coord] = where
			}
			u.typeRef(schema, s.Definition.Type.Name(), where)
			for _, a := range s.Arguments {
				if _, ok := u.args[coord+"("+a.Name+")"]; !ok {
					u.args[coord+"("+a.Name+")"] = where
				}
				if ad := s.Definition.Arguments.ForName(a.Name); ad != nil {
					u.typeRef(schema, ad.Type.Name(), where)
				}
			}
			u.directiveUses(s.Directives, where)
			u.selections(schema, doc, s.SelectionSet, p, walked)
		case *ast.InlineFragment:
			u.typeRef(schema, s.TypeCondition, strings.Join(path, "."))
			u.directiveUses(s.Directives, strings.Join(path, "."))
			u.selections(schema, doc, s.SelectionSet, path, walked)
		case *ast.FragmentSpread:
			u.directiveUses(s.Directives, strings.Join(path, "."))
			// Each fragment is walked once per operation, where it is
			// first spread: a chain whose fragments spread the next one
			// twice would otherwise take 2^n walks.
			if walked[s.Name] {
				continue
			}
			if f := doc.Fragments.ForName(s.Name); f != nil {
				walked[s.Name] = true
				u.typeRef(schema, f.TypeCondition, strings.Join(path, "."))
				u.selections(schema, doc, f.SelectionSet, path, walked)
			}
		}
	}
}

// hit reports whether c touches something the operation uses, and where.
func (u *uses) hit(schema *ast.Schema, c Change) (string, bool) {
	p := c.Path
	requiredAdded := strings.HasPrefix(c.Kind, "REQUIRED_") && strings.HasSuffix(c.Kind, "_ADDED")
	lookup := func(m map[string]string, key string) (string, bool) {
		w, ok := m[key]
		return w, ok
	}
	switch {
	case strings.HasPrefix(p, "schema."):
		return p, p == u.root
	case strings.HasPrefix(p, "@"):
		name, _, hasArg := strings.Cut(p, "(")
		if hasArg && !requiredAdded {
			return lookup(u.args, p)
		}
		return lookup(u.directives, name)
	case strings.Contains(p, "("):
		field, _, _ := strings.Cut(p, "(")
		if requiredAdded {
			return lookup(u.fields, field)
		}
		return lookup(u.args, p)
	case strings.Contains(p, "."):
		typ, _, _ := strings.Cut(p, ".")
		if def := schema.Types[typ]; def != nil && (def.Kind == ast.InputObject || def.Kind == ast.Enum) {
			return lookup(u.types, typ)
		}
		return lookup(u.fields, p)
	default:
		return lookup(u.types, p)
	}
}

// UsageReport renders u for humans, after Report's list of changes:
// the operations that break, then the breaking changes no operation
// touches. It has no trailing newline.
func UsageReport(u Usage, from string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Registered operations: %d, from %s.\n", u.Operations, from)
	if len(u.InvalidBefore) > 0 {
		b.WriteString("\nNot valid against the baseline either (checked against the new schema all the same):\n")
		for _, i := range u.InvalidBefore {
			fmt.Fprintf(&b, "  - %s (%s): %s\n", i.Operation.Name, i.Operation.Source, i.Change.Message)
		}
	}
	if len(u.Broken) > 0 {
		b.WriteString("\nBreaking for registered operations:\n")
		for _, i := range u.Broken {
			field := ""
			if i.Field != "" {
				field = " at " + i.Field
			}
			fmt.Fprintf(&b, "  - %s (%s)%s: [%s] %s\n", i.Operation.Name, i.Operation.Source, field, i.Change.Kind, i.Change.Message)
		}
	}
	if len(u.Unused) > 0 {
		b.WriteString("\nBreaking in theory, but no registered operation uses what they change (not failing the check):\n")
		for _, c := range u.Unused {
			fmt.Fprintf(&b, "  - [%s] %s\n", c.Kind, c.Message)
		}
	}
	broken := map[string]bool{}
	for _, i := range u.Broken {
		broken[i.Operation.Name+"\x00"+i.Operation.Source] = true
	}
	fmt.Fprintf(&b, "\nOperations: %d broken of %d; %d breaking changes touch none.", len(broken), u.Operations, len(u.Unused))
	return b.String()
}
