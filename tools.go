//go:build tools

// Package main pins code generators in go.mod so `go generate ./...` runs
// the same versions everywhere.
package main

import (
	_ "github.com/99designs/gqlgen"
)
