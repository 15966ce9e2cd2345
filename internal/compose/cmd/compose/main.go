// Command compose runs gqlgen with Tributary's composition plugin: it is
// what `go generate ./...` runs (see server.go). Run it from the module root.
package main

import (
	"fmt"
	"os"
	"slices"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/internal/compose"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		return err
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	// Check the declarations before gqlgen removes the generated files, so
	// a mistake leaves the tree as it was.
	schema, err := gqlparser.LoadSchema(slices.Concat(cfg.Sources, []*ast.Source{compose.Vocabulary()})...)
	if err != nil {
		return err
	}
	if _, err := compose.Analyze(schema, root); err != nil {
		return err
	}
	p, err := compose.New(root)
	if err != nil {
		return err
	}
	// The plugin takes modelgen's place (it runs it with its hooks) and
	// wraps resolvergen; the engine's typed calls come last, over the
	// bindings gqlgen made.
	return api.Generate(cfg, api.NoPlugins(), api.AddPlugin(p), api.AddPlugin(compose.Resolvers(p)), api.AddPlugin(compose.Invokers()))
}
