package config

// The reference in docs/configuration.md names the declared services, so it
// is regenerated with the code (after the registry: go generate runs the
// module root's directives first).
//go:generate go run ./refgen ../../docs/configuration.md
