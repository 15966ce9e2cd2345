// Package resolvers implements the graph: resolvers take loaders from the
// context, map backend DTOs to graph models and return errors as they come;
// the error presenter turns them into GraphQL errors.
package resolvers

// Resolver holds long-lived dependencies. Everything the resolvers call
// travels per request in the context (services/loaders), so it is empty.
type Resolver struct{}
