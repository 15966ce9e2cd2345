package cost

import (
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/bounds"
)

// FieldInfo is what the cost estimate reads of a field besides the plan
// (which knows its service, endpoint and round): its list size, its
// arguments' bounds and its service's batch limit. The zero value is a
// field with no declared size, no bounds and the default batch limit.
type FieldInfo struct {
	// Size tells how many items a list field returns.
	Size ListSize
	// Bounds are the declared ranges of the field's arguments (an Int's
	// value, a list's length), by argument name.
	Bounds map[string]bounds.Range
	// BatchLimit is the most keys one call of the field's service carries
	// (@source(batchLimit:), from the registry); zero means
	// upstream.MaxBatch.
	BatchLimit int
}

// ListSize is the @listSize rule of a field.
type ListSize struct {
	// SlicingArgument names the argument whose value (or, for a list, its
	// length) is the size.
	SlicingArgument string
	// Assumed is the size when there is no slicing argument; HasAssumed
	// says it is set.
	Assumed    int
	HasAssumed bool
	// SizedFields names the list fields of the returned object that the
	// size applies to (connections), instead of the field itself.
	SizedFields []string
}

// Fields describes fields to the estimator. It is the estimator's only
// view of the schema's meaning, so the directives can move (e.g. into a
// generated registry) without the estimator changing.
type Fields interface {
	// Field returns what is known of typeName.fieldName, or false for a
	// field with nothing to say (no service, no size, no bounds).
	Field(typeName, fieldName string) (FieldInfo, bool)
}

// SchemaFields is the Fields read from a schema's @service and
// @listSize directives, with argument bounds from package bounds, and
// introspection list sizes taken from the schema itself (the number of
// types, the most fields of any type, …).
type SchemaFields struct {
	fields map[[2]string]FieldInfo
}

var _ Fields = (*SchemaFields)(nil)

// NewSchemaFields reads the registry (what go generate compiled from
// the schema's declarations) for s's fields, and sizes introspection from
// s itself; lookups are then a map access.
func NewSchemaFields(s *ast.Schema) *SchemaFields {
	sc := &SchemaFields{fields: map[[2]string]FieldInfo{}}
	var maxFields, maxArgs, maxInputFields, maxEnumValues, maxInterfaces, maxPossible, maxLocations int
	for name, def := range s.Types {
		maxFields = max(maxFields, len(def.Fields))
		maxInterfaces = max(maxInterfaces, len(def.Interfaces))
		maxPossible = max(maxPossible, len(s.GetPossibleTypes(def)))
		maxEnumValues = max(maxEnumValues, len(def.EnumValues))
		if def.Kind == ast.InputObject {
			maxInputFields = max(maxInputFields, len(def.Fields))
		}
		for _, f := range def.Fields {
			maxArgs = max(maxArgs, len(f.Arguments))
			info, ok := fieldInfo(name, f)
			if ok {
				sc.fields[[2]string{name, f.Name}] = info
			}
		}
	}
	for _, d := range s.Directives {
		maxArgs = max(maxArgs, len(d.Arguments))
		maxLocations = max(maxLocations, len(d.Locations))
	}
	assumed := func(n int) FieldInfo { return FieldInfo{Size: ListSize{Assumed: n, HasAssumed: true}} }
	for k, n := range map[[2]string]int{
		{"__Schema", "types"}:           len(s.Types),
		{"__Schema", "directives"}:      len(s.Directives),
		{"__Type", "fields"}:            maxFields,
		{"__Type", "interfaces"}:        maxInterfaces,
		{"__Type", "possibleTypes"}:     maxPossible,
		{"__Type", "enumValues"}:        maxEnumValues,
		{"__Type", "inputFields"}:       maxInputFields,
		{"__Field", "args"}:             maxArgs,
		{"__Directive", "args"}:         maxArgs,
		{"__Directive", "locations"}:    maxLocations,
		{"__Type", "specifiedByURL"}:    0,
		{"__Schema", "description"}:     0,
		{"__Type", "isOneOf"}:           0,
		{"__Directive", "isRepeatable"}: 0,
	} {
		if n > 0 {
			sc.fields[k] = assumed(n)
		}
	}
	return sc
}

// Field implements Fields.
func (sc *SchemaFields) Field(typeName, fieldName string) (FieldInfo, bool) {
	info, ok := sc.fields[[2]string{typeName, fieldName}]
	return info, ok
}

// fieldInfo is what the registry says of typeName.f: its list size,
// argument bounds and its service's batch limit.
func fieldInfo(typeName string, f *ast.FieldDefinition) (FieldInfo, bool) {
	d := registry.Lookup(typeName, f.Name)
	if d == nil {
		return FieldInfo{}, false
	}
	var info FieldInfo
	if src, ok := registry.LookupSource(d.Service); ok {
		info.BatchLimit = src.BatchLimit
	}
	if ls := d.ListSize; ls != nil {
		info.Size = ListSize{SlicingArgument: ls.SlicingArgument, SizedFields: ls.SizedFields}
		if ls.SlicingArgument == "" && len(ls.SizedFields) == 0 || ls.Assumed > 0 {
			info.Size.Assumed, info.Size.HasAssumed = ls.Assumed, true
		}
	}
	for _, a := range f.Arguments {
		if r, ok := bounds.Lookup(typeName, f.Name, a.Name); ok {
			if info.Bounds == nil {
				info.Bounds = map[string]bounds.Range{}
			}
			info.Bounds[a.Name] = r
		}
	}
	return info, true
}
