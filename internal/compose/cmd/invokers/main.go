// Command invokers runs gqlgen (its own plugins) and the plugin that
// writes the plan engine's typed calls (compose.Invokers), for a schema
// outside the composition: the engine's test schema (enginetest). Run it
// where its gqlgen.yml is.
package main

import (
	"fmt"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"

	"github.com/tributary-gw/tributary/internal/compose"
)

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err == nil {
		err = api.Generate(cfg, api.AddPlugin(compose.Invokers()))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
