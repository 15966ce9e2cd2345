//go:generate go run github.com/99designs/gqlgen generate

// Command tributary is a GraphQL gateway over six backend REST services.
package main

func main() {}
