// Package registry describes the graph's services and fields as the schema
// declares them (@source, @connect, @computed and the policy directives).
// internal/compose generates its data (registry.gen.go) from the schema, so
// the configuration, the cost limit, the degradation rules and the
// authorizer read what a directive means from this one place.
package registry

import (
	"slices"
	"time"
)

// Source is a backend service declared with @source.
type Source struct {
	// Name is the service's name: its configuration key, and the service
	// of its errors, metrics and traces.
	Name string
	// Contract is the service's OpenAPI document, relative to the module root.
	Contract string
	// BatchLimit is the most ids one batch call may carry.
	BatchLimit int
}

// Criticality says what a failure of a field does to its root field.
type Criticality int

const (
	// ByService leaves it to the service's `critical` setting.
	ByService Criticality = iota
	// Critical (@critical) fails the root field.
	Critical
	// Optional (@optional) nulls only the field.
	Optional
)

// ListSize is a list field's size for the cost limit (@listSize).
type ListSize struct {
	Assumed         int
	SlicingArgument string
	SizedFields     []string
}

// Range is an argument's declared bounds (@range): for an integer its
// value, for a list its length.
type Range struct {
	Min, Max int64
	HasMin   bool
	List     bool
}

// Field is what the schema declares about one field.
type Field struct {
	// Service serves the field (its connector's source, or the source of
	// the connector a computed field reads); empty when no backend does.
	Service string
	// Endpoint names the connector's endpoint (metrics and report label).
	Endpoint string
	// Loader names the per-request loader the field's look-ups join:
	// fields with the same Loader (and the same BatchArgs values) at one
	// level of a query share their batch calls. Empty for a hand-written
	// field.
	Loader string
	// BatchArgs are the arguments whose values travel as parameters of the
	// call (a currency): each distinct value is a call of its own.
	BatchArgs []string
	// Unbatched is set when every look-up is a call of its own (a listing
	// page, a single-item path).
	Unbatched bool
	// Criticality is @critical / @optional.
	Criticality Criticality
	// StaleFor is @fallback(staleFor); zero without a fallback.
	StaleFor time.Duration
	// Auth is @auth(requires); empty for a public field.
	Auth string
	// ListSize is @listSize; nil without.
	ListSize *ListSize
	// Args are the bounds of the field's arguments: declared with @range,
	// or the contract's minimum/maximum of the parameter an argument feeds.
	Args map[string]Range
	// Batch is set when gqlgen resolves the field once for all its parents.
	Batch bool
	// Planned is set when the fetch plan starts the field's look-up as soon
	// as its parent's key property is known: before its resolver runs.
	Planned bool
	// PlansResult is set when the field's resolver runs the fetch plan of
	// the objects it fetched, for all its parents at once.
	PlansResult bool
	// Write is set for a @write (a mutation sent to Service), Method its
	// HTTP method. Writes count against limits.max_writes and cost more
	// than reads.
	Write  bool
	Method string
	// OwnerRead is set when the write's @auth owner rule is decided by its
	// resolver, on a read of the item made before anything is written: the
	// authorizer checks only that the caller is signed in.
	OwnerRead bool
}

// WriteArgBytes is the longest string, in bytes, a write's argument may be
// under its contract (a review body of 2000 characters: 8000 bytes of
// UTF-8): limits.max_argument_length is raised to it for mutations, whose
// writes check their own bounds before anything is sent.
func WriteArgBytes() int { return writeArgBytes }

// Lookup returns the description of typeName.field, or nil for a field
// the schema declares nothing about.
func Lookup(typeName, field string) *Field {
	if m := fields[typeName]; m != nil {
		return m[field]
	}
	return nil
}

// Resolved reports whether gqlgen runs typeName.field through a resolver,
// in a goroutine of its own. Every other field runs inline in its parent's
// goroutine and never waits on a backend (resolvers/ tests that property).
func Resolved(typeName, field string) bool { return resolved[typeName][field] }

// Sources returns the declared services, in declaration order.
func Sources() []Source { return slices.Clone(sources) }

// Contract returns the OpenAPI document of the named service as it was
// checked in when the code was generated (nil for an undeclared service).
func Contract(name string) []byte {
	c, ok := contracts[name]
	if !ok {
		return nil
	}
	return []byte(c)
}

// Services returns the names of the declared services, in declaration order.
func Services() []string {
	out := make([]string, len(sources))
	for i, s := range sources {
		out[i] = s.Name
	}
	return out
}

// Fields calls f for every described field.
func Fields(f func(typeName, field string, d *Field)) {
	for t, m := range fields {
		for n, d := range m {
			f(t, n, d)
		}
	}
}
