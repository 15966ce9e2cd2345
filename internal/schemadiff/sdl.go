package schemadiff

import (
	"maps"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// PublicSDL prints s as SDL for clients: without built-in scalars and
// directives, introspection types, comments, and gqlgen's code-generation
// directives (goField, goModel, goTag, goExtraField, goEnum) and composition
// directives (source, connect, computed, map): neither their definitions nor
// their uses. Descriptions are kept. The output is
// deterministic: a schema block only when needed (non-default root names, a
// schema description or directives), then directive definitions by name, then
// the Query, Mutation and Subscription types, then all other types by name;
// fields, arguments and enum values keep their definition order. Definitions
// are separated by a blank line and the output ends with a newline. It returns
// "" for a nil schema. s is not modified.
func PublicSDL(s *ast.Schema) string {
	if s == nil {
		return ""
	}
	var parts []string
	format := func(doc *ast.SchemaDocument) {
		var b strings.Builder
		formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchemaDocument(doc)
		parts = append(parts, strings.TrimRight(b.String(), "\n")+"\n")
	}

	if def := schemaDefinition(s); def != nil {
		format(&ast.SchemaDocument{Schema: ast.SchemaDefinitionList{def}})
	}

	dirs := publicDirectives(s)
	for _, name := range slices.Sorted(maps.Keys(dirs)) {
		format(&ast.SchemaDocument{Directives: ast.DirectiveDefinitionList{publicDirective(dirs[name])}})
	}

	types := publicTypes(s)
	names := slices.Sorted(maps.Keys(types))
	var roots []string
	for _, root := range []*ast.Definition{s.Query, s.Mutation, s.Subscription} {
		if root != nil && types[root.Name] != nil && !slices.Contains(roots, root.Name) {
			roots = append(roots, root.Name)
		}
	}
	names = slices.DeleteFunc(names, func(name string) bool { return slices.Contains(roots, name) })
	for _, name := range append(roots, names...) {
		format(&ast.SchemaDocument{Definitions: ast.DefinitionList{publicDefinition(types[name])}})
	}
	return strings.Join(parts, "\n")
}

// schemaDefinition returns the schema block PublicSDL prints, or nil when
// the default root type names make it redundant.
func schemaDefinition(s *ast.Schema) *ast.SchemaDefinition {
	dirs := publicDirectiveUses(s.SchemaDirectives)
	needed := s.Description != "" || len(dirs) > 0
	var ops ast.OperationTypeDefinitionList
	for _, root := range []struct {
		op      ast.Operation
		def     *ast.Definition
		defName string
	}{
		{ast.Query, s.Query, "Query"},
		{ast.Mutation, s.Mutation, "Mutation"},
		{ast.Subscription, s.Subscription, "Subscription"},
	} {
		if root.def == nil {
			continue
		}
		needed = needed || root.def.Name != root.defName
		ops = append(ops, &ast.OperationTypeDefinition{Operation: root.op, Type: root.def.Name})
	}
	if !needed {
		return nil
	}
	return &ast.SchemaDefinition{Description: s.Description, Directives: dirs, OperationTypes: ops}
}

// publicTypes returns the named types of s that belong to its public
// contract: all but the built-in and introspection types. It returns an empty
// map for a nil schema.
func publicTypes(s *ast.Schema) map[string]*ast.Definition {
	types := make(map[string]*ast.Definition)
	if s == nil {
		return types
	}
	for name, def := range s.Types {
		if def.BuiltIn || isIntrospection(name) {
			continue
		}
		types[name] = def
	}
	return types
}

// publicDirectives returns the directive definitions of s that belong to its
// public contract: all but the built-in and code-generation ones. It returns
// an empty map for a nil schema.
func publicDirectives(s *ast.Schema) map[string]*ast.DirectiveDefinition {
	dirs := make(map[string]*ast.DirectiveDefinition)
	if s == nil {
		return dirs
	}
	for name, def := range s.Directives {
		builtIn := def.Position != nil && def.Position.Src != nil && def.Position.Src.BuiltIn
		if builtIn || isCodegenDirective(name) {
			continue
		}
		dirs[name] = def
	}
	return dirs
}

// isCodegenDirective reports whether name is one of gqlgen's code-generation
// directives or of the composition directives (internal/compose), which
// steer Go code generation and mean nothing to clients (a connector's
// backend paths are the gateway's business).
func isCodegenDirective(name string) bool {
	switch name {
	case "goField", "goModel", "goTag", "goExtraField", "goEnum",
		"source", "connect", "computed", "map":
		return true
	}
	return false
}

func isIntrospection(name string) bool {
	return strings.HasPrefix(name, "__")
}

// publicDirectiveUses returns dirs without uses of code-generation
// directives, as a new list.
func publicDirectiveUses(dirs ast.DirectiveList) ast.DirectiveList {
	var public ast.DirectiveList
	for _, dir := range dirs {
		if !isCodegenDirective(dir.Name) {
			public = append(public, dir)
		}
	}
	return public
}

// publicDefinition returns a copy of def without uses of code-generation
// directives, on the type or any of its fields, arguments or enum values.
func publicDefinition(def *ast.Definition) *ast.Definition {
	c := *def
	c.Directives = publicDirectiveUses(def.Directives)
	c.Fields = make(ast.FieldList, 0, len(def.Fields))
	for _, f := range def.Fields {
		fc := *f
		fc.Directives = publicDirectiveUses(f.Directives)
		fc.Arguments = publicArguments(f.Arguments)
		c.Fields = append(c.Fields, &fc)
	}
	c.EnumValues = make(ast.EnumValueList, 0, len(def.EnumValues))
	for _, v := range def.EnumValues {
		vc := *v
		vc.Directives = publicDirectiveUses(v.Directives)
		c.EnumValues = append(c.EnumValues, &vc)
	}
	return &c
}

// publicDirective returns a copy of def without uses of code-generation
// directives on it or its arguments.
func publicDirective(def *ast.DirectiveDefinition) *ast.DirectiveDefinition {
	c := *def
	c.Directives = publicDirectiveUses(def.Directives)
	c.Arguments = publicArguments(def.Arguments)
	return &c
}

func publicArguments(args ast.ArgumentDefinitionList) ast.ArgumentDefinitionList {
	if args == nil {
		return nil
	}
	public := make(ast.ArgumentDefinitionList, 0, len(args))
	for _, a := range args {
		ac := *a
		ac.Directives = publicDirectiveUses(a.Directives)
		public = append(public, &ac)
	}
	return public
}
