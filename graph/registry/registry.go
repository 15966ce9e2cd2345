// Package registry describes the graph's services and fields as the schema
// declares them (@source, @connect, @computed and the policy directives).
// internal/compose generates its data (registry.gen.go) from the schema, so
// the configuration, the cost limit, the degradation rules and the
// authorizer read what a directive means from this one place.
package registry

import (
	"fmt"
	"reflect"
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
	// CallerIndependent is set when the service's answers do not depend on
	// who asks (@source(callerIndependent: true)): its calls carry no
	// caller headers, so they and its entity-cache entries are shared by
	// every caller.
	CallerIndependent bool
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

// GoString renders c as the generated registry spells it.
func (c Criticality) GoString() string {
	switch c {
	case Critical:
		return "Critical"
	case Optional:
		return "Optional"
	}
	return "ByService"
}

// ListSize is a list field's size for the cost limit (@listSize).
type ListSize struct {
	Assumed         int
	SlicingArgument string
	SizedFields     []string
}

// Range is an argument's declared bounds (@range, or the contract's
// minimum/maximum of the parameter the argument feeds): for an integer
// its value, for a list its length. A bound is set only with its Has….
type Range struct {
	Min, Max       int64
	HasMin, HasMax bool
	List           bool
}

// Check is the @range rule, the one place its message is written: "" when
// n (an integer's value, a list's length) is within r, else what is
// wrong, to follow the argument's name.
func (r Range) Check(n int64) string {
	low, high := r.HasMin && n < r.Min, r.HasMax && n > r.Max
	if !low && !high {
		return ""
	}
	switch {
	case r.HasMin && r.HasMax && r.List:
		return fmt.Sprintf("must hold %d to %d items, got %d", r.Min, r.Max, n)
	case r.HasMin && r.HasMax:
		return fmt.Sprintf("must be between %d and %d, got %d", r.Min, r.Max, n)
	case low && r.List:
		return fmt.Sprintf("must hold at least %d items, got %d", r.Min, n)
	case low:
		return fmt.Sprintf("must be at least %d, got %d", r.Min, n)
	case r.List:
		return fmt.Sprintf("must hold at most %d items, got %d", r.Max, n)
	}
	return fmt.Sprintf("must be at most %d, got %d", r.Max, n)
}

// Auth rules (@auth(requires:)).
const (
	// Authenticated admits any signed-in caller.
	Authenticated = "AUTHENTICATED"
	// OwnerOrStaff admits the user the data belongs to (the field's
	// Owner) and callers with the staff role.
	OwnerOrStaff = "OWNER_OR_STAFF"
)

// Allows is the @auth rule, the one place it is written: whether a caller
// (subject, "" when not signed in; staff when they hold the staff role)
// may read data of rule owned by owner ("" when unknown). The fetch plan,
// the authorizer and the plan engine all decide with it.
func Allows(rule, subject string, staff bool, owner string) bool {
	switch {
	case subject == "":
		return false
	case rule == Authenticated:
		return true
	case rule == OwnerOrStaff:
		return staff || owner != "" && owner == subject
	}
	return false
}

// Owner is where an @auth(requires: OWNER_OR_STAFF) field finds the user
// its data belongs to, as @auth(owner:) declares it and go generate
// checked against the type: an argument, or a property of the object the
// field belongs to. The zero value names no owner (only staff pass).
type Owner struct {
	// Arg is the argument holding the owner's id ($args.<argument>).
	Arg string
	// Prop is the parent's property holding it ($this.<property>), and
	// Field its Go field in the parent's model.
	Prop  string
	Field string
}

// Of returns the owner's id: from args, or from the parent object (a
// pointer to the model, or the model; invalid for a root field).
func (o Owner) Of(args map[string]any, parent reflect.Value) string {
	if o.Arg != "" {
		v, _ := args[o.Arg].(string)
		return v
	}
	if o.Field == "" {
		return ""
	}
	for parent.IsValid() && (parent.Kind() == reflect.Pointer || parent.Kind() == reflect.Interface) {
		if parent.IsNil() {
			return ""
		}
		parent = parent.Elem()
	}
	if parent.Kind() != reflect.Struct {
		return ""
	}
	if f := parent.FieldByName(o.Field); f.IsValid() && f.Kind() == reflect.String {
		return f.String()
	}
	return ""
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
	// Owner is @auth(owner:): where the user the data belongs to is found,
	// for OWNER_OR_STAFF. A write's owner is read by its resolver instead
	// (OwnerRead).
	Owner Owner
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

// LookupSource returns the declared service name.
func LookupSource(name string) (Source, bool) {
	for _, s := range sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

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
