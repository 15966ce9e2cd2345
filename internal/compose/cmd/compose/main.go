// Command compose runs gqlgen with Tributary's composition plugin: it is
// what `go generate ./...` runs (see server.go). Run it from the module root.
package main

import (
	"fmt"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"

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
	p, err := compose.New(root)
	if err != nil {
		return err
	}
	return api.Generate(cfg, api.ReplacePlugin(p), api.ReplacePlugin(compose.Resolvers(p)))
}
