// Command refgen writes the configuration reference (config.Reference,
// which names the declared services) into docs/configuration.md: run by
// go generate after internal/compose has regenerated the registry, so a
// new backend's files are its contract and its schema file.
package main

import (
	"fmt"
	"os"

	"github.com/tributary-gw/tributary/internal/config"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: refgen docs/configuration.md")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "refgen:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc, err := config.WithReference(string(b))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if doc == string(b) {
		return nil
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
