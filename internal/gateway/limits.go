package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"maps"
	"math"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/99designs/gqlgen/graphql"
	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/bounds"
	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/memsize"
	"github.com/tributary-gw/tributary/internal/upstream"
)

// Limits rejects an operation before it runs — so before any backend call —
// when it is deeper, more aliased or more costly than configured, or when
// a slicing argument is outside its declared range. The cost is counted in
// what matters to the backends: the batched calls the query will make
// (each @service field is one call per service per level, one more per 100
// keys) and the objects it fans out to (list sizes from the `first`-style
// argument named by @listSize, else its assumed size).
//
// The estimate is safe whatever the document: every figure saturates at
// MaxFigure instead of wrapping, each fragment is analysed once per context
// it is spread in (execution merges repeated spreads; so does the
// estimate), and the work is counted and capped (MaxWork), so a small
// document cannot make the gateway burn CPU before it answers.
type Limits struct {
	MaxDepth        int
	MaxAliases      int
	MaxBackendCalls int
	MaxItems        int
	// MaxIntrospectionItems bounds the objects introspection fields are
	// estimated to return (0: no limit). Introspection calls no backend,
	// but aliases and fragments can make its response huge.
	MaxIntrospectionItems int
	// MaxIntrospectionDepth bounds the nesting of fields below an
	// introspection root (__schema, __type), the root counting as 1 (0: no
	// limit). gqlparser bounds only the nesting of __Type's list fields;
	// an ofType chain is otherwise as deep as the client likes.
	MaxIntrospectionDepth int
	// DefaultListSize is assumed for lists without @listSize.
	DefaultListSize int
	// MaxArgumentLength bounds, in bytes, every string in an argument's
	// value — literal or variable, in lists and input objects too (0: no
	// limit). Such strings become backend URLs and cache keys.
	MaxArgumentLength int
	// MaxWrites bounds the writes (@write mutation fields) of one operation
	// (0: no limit): over it, none is sent.
	MaxWrites int
	// Fields describes the fields to the estimator; nil means the
	// schema's own directives (NewSchemaFieldCost), which New sets.
	Fields FieldCost
	// MaxWork caps the estimator's work units per document; zero means
	// DefaultMaxWork.
	MaxWork int
	// VerdictBytes bounds the memory of the verdicts kept; zero means
	// DefaultVerdictBytes.
	VerdictBytes int64

	once     sync.Once
	verdicts *otter.Cache[verdictKey, verdict]
}

// CodeIntrospectionTooDeep refuses an introspection query nested deeper
// than Limits.MaxIntrospectionDepth.
const CodeIntrospectionTooDeep = "INTROSPECTION_TOO_DEEP"

// DefaultMaxWork is the estimator's work bound when Limits.MaxWork is
// zero: orders of magnitude above what real operations need (GraphiQL's
// introspection query takes a few hundred units), far below what would
// take a noticeable time.
const DefaultMaxWork = 200_000

// MaxFigure is where every figure of a Cost saturates: large enough to be
// over any configured limit, small enough to print as itself in JSON.
const MaxFigure = math.MaxInt32

// maxInt is the largest GraphQL Int (a signed 32-bit integer).
const maxInt = math.MaxInt32

var (
	_ graphql.HandlerExtension        = (*Limits)(nil)
	_ graphql.OperationContextMutator = (*Limits)(nil)
)

// ExtensionName implements graphql.HandlerExtension.
func (*Limits) ExtensionName() string { return "Limits" }

// Validate implements graphql.HandlerExtension: without Fields, the
// schema's own directives describe the fields.
func (l *Limits) Validate(es graphql.ExecutableSchema) error {
	if l.Fields == nil {
		l.Fields = NewSchemaFieldCost(es.Schema())
	}
	return nil
}

// FieldInfo is everything the cost estimate needs to know about a field.
// The zero value is a field that calls no backend and has no declared size.
type FieldInfo struct {
	// Service is the backend the field calls ("" for none): one batched
	// call per service per level of the query.
	Service string
	// Size tells how many items a list field returns.
	Size ListSize
	// Bounds are the declared ranges of the field's arguments (an Int's
	// value, a list's length), by argument name.
	Bounds map[string]bounds.Range
	// Batch names the batched look-up the field's keys join: fields of a
	// service with the same Batch (and BatchArgs values) at the same level
	// of the query share their calls. Empty means the field's own.
	Batch string
	// BatchArgs are arguments whose values travel in the call (a
	// currency): each distinct value is a batch of its own.
	BatchArgs []string
	// Unbatched is set for a field that costs a call per object reaching
	// it (a list endpoint, with no loader in front).
	Unbatched bool
	// BatchLimit is the most keys one call of Service carries
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

// FieldCost describes fields to the estimator. It is the estimator's only
// view of the schema's meaning, so the directives can move (e.g. into a
// generated registry) without the estimator changing.
type FieldCost interface {
	// Field returns what is known of typeName.fieldName, or false for a
	// field with nothing to say (no service, no size, no bounds).
	Field(typeName, fieldName string) (FieldInfo, bool)
}

// SchemaFieldCost is the FieldCost read from a schema's @service and
// @listSize directives, with argument bounds from package bounds, and
// introspection list sizes taken from the schema itself (the number of
// types, the most fields of any type, …).
type SchemaFieldCost struct {
	fields map[[2]string]FieldInfo
}

var _ FieldCost = (*SchemaFieldCost)(nil)

// NewSchemaFieldCost reads the registry (what go generate compiled from
// the schema's declarations) for s's fields, and sizes introspection from
// s itself; lookups are then a map access.
func NewSchemaFieldCost(s *ast.Schema) *SchemaFieldCost {
	sc := &SchemaFieldCost{fields: map[[2]string]FieldInfo{}}
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

// Field implements FieldCost.
func (sc *SchemaFieldCost) Field(typeName, fieldName string) (FieldInfo, bool) {
	info, ok := sc.fields[[2]string{typeName, fieldName}]
	return info, ok
}

// fieldInfo is what the registry says of typeName.f: its service, list
// size, argument bounds and the loader its look-ups join. A hand-written
// field (no loader) counts as a batch of its own, which can only
// over-estimate.
func fieldInfo(typeName string, f *ast.FieldDefinition) (FieldInfo, bool) {
	d := registry.Lookup(typeName, f.Name)
	if d == nil {
		return FieldInfo{}, false
	}
	info := FieldInfo{Service: d.Service, Batch: d.Loader, BatchArgs: d.BatchArgs, Unbatched: d.Unbatched}
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

// Cost is what an operation is estimated to cost. Every figure is between
// 0 and MaxFigure.
type Cost struct {
	Depth   int
	Aliases int
	Calls   int
	Items   int
	// IntrospectionItems counts the objects of introspection fields,
	// which are not in Items (they cost no backend call).
	IntrospectionItems int
	// IntrospectionDepth is the deepest nesting of fields below an
	// introspection root, the root counting as 1.
	IntrospectionDepth int
	// PerService is the estimated calls per service.
	PerService map[string]int
	// Work is the estimator's work units for this document.
	Work int
	// Exhausted is set when the estimate stopped at the work bound.
	Exhausted bool
}

// MutateOperationContext implements graphql.OperationContextMutator. The
// verdict depends only on the operation and the variables' values, so it
// is worked out once per operation of a cached document and variables,
// and kept (bounded): a client repeating a query pays for its analysis
// once.
func (l *Limits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	l.once.Do(l.init)
	k, ok := verdictKeyOf(oc)
	if ok {
		if v, hit := l.verdicts.GetIfPresent(k); hit {
			return v.copyErr()
		}
	}
	err := l.judge(oc)
	if ok {
		l.verdicts.Set(k, verdict{err: err})
	}
	if err != nil {
		return verdict{err: err}.copyErr()
	}
	return nil
}

// DefaultVerdictBytes bounds the verdicts' memory when
// Limits.VerdictBytes is zero: some 40,000 verdicts.
const DefaultVerdictBytes = 4 << 20

func (l *Limits) init() {
	maxBytes := l.VerdictBytes
	if maxBytes <= 0 {
		maxBytes = DefaultVerdictBytes
	}
	l.verdicts = otter.Must(&otter.Options[verdictKey, verdict]{
		MaximumWeight: uint64(maxBytes),
		Weigher: func(k verdictKey, v verdict) uint32 {
			return connect.Weight(int64(unsafe.Sizeof(k))+int64(len(k.op))+memsize.Of(v.err)+cacheEntryOverhead, 0)
		},
	})
}

// Len is the number of verdicts kept (an estimate).
func (l *Limits) Len() int {
	l.once.Do(l.init)
	return l.verdicts.EstimatedSize()
}

// Bytes is the verdicts' estimated memory.
func (l *Limits) Bytes() int64 {
	l.once.Do(l.init)
	return int64(l.verdicts.WeightedSize())
}

// verdictKey is an operation — keyed hashes of its document's text, and
// its name — and a keyed hash of the variables' values. Hashes, not the
// document: a verdict must not keep a syntax tree alive after the query
// cache let it go.
type verdictKey struct {
	doc  [2]uint64
	op   string
	vars uint64
}

type verdict struct{ err *gqlerror.Error }

// copyErr hands out a copy: presenters may change the error they get.
func (v verdict) copyErr() *gqlerror.Error {
	if v.err == nil {
		return nil
	}
	e := *v.err
	e.Extensions = maps.Clone(v.err.Extensions)
	return &e
}

var varsSeed, docSeed1, docSeed2 = maphash.MakeSeed(), maphash.MakeSeed(), maphash.MakeSeed()

// verdictKeyOf keys oc's operation and variables; false when the variables
// cannot be encoded (the verdict is then not kept).
func verdictKeyOf(oc *graphql.OperationContext) (verdictKey, bool) {
	k := verdictKey{
		doc: [2]uint64{maphash.String(docSeed1, oc.RawQuery), maphash.String(docSeed2, oc.RawQuery)},
		op:  oc.Operation.Name,
	}
	if len(oc.Variables) == 0 {
		return k, true
	}
	b, err := json.Marshal(oc.Variables) // maps encode with sorted keys
	if err != nil {
		return k, false
	}
	k.vars = maphash.Bytes(varsSeed, b)
	return k, true
}

// judge checks oc's arguments and estimate against the limits.
func (l *Limits) judge(oc *graphql.OperationContext) *gqlerror.Error {
	fc := l.Fields // set by Validate when the extension is used
	maxLen := l.MaxArgumentLength
	if oc.Operation.Operation == ast.Mutation && maxLen > 0 {
		// A write's strings are as long as its contract allows; its
		// resolver checks them against the contract before sending.
		maxLen = max(maxLen, registry.WriteArgBytes())
	}
	if err := CheckArguments(oc.Doc, oc.Operation, oc.Variables, fc, maxLen); err != nil {
		return err
	}
	c := EstimateWith(oc.Doc, oc.Operation, oc.Variables, l.DefaultListSize, fc, l.MaxWork)
	writes := countWrites(oc.Doc, oc.Operation)
	// A write costs more than a read: it may be retried, and it drops
	// cache entries on every replica.
	c.Calls = int(min(satAdd(int64(c.Calls), satMul(int64(writes), WriteCost-1)), MaxFigure))
	if l.MaxWrites > 0 && writes > l.MaxWrites {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("the operation has %d writes, the limit is %d; none was sent", writes, l.MaxWrites),
			Extensions: map[string]any{"code": CodeTooManyWrites, "writes": writes, "maxWrites": l.MaxWrites},
		}
	}
	reject := func(code, msg string) *gqlerror.Error {
		return &gqlerror.Error{Message: msg, Extensions: map[string]any{
			"code": code,
			"cost": map[string]any{"depth": c.Depth, "aliases": c.Aliases, "backendCalls": c.Calls, "items": c.Items,
				"introspectionItems": c.IntrospectionItems, "introspectionDepth": c.IntrospectionDepth, "perService": c.PerService},
		}}
	}
	switch {
	case c.Exhausted:
		return reject("QUERY_TOO_COSTLY", "query is too complex to estimate; simplify its fragments")
	case l.MaxDepth > 0 && c.Depth > l.MaxDepth:
		return reject("QUERY_TOO_DEEP", fmt.Sprintf("query depth %d exceeds the limit of %d", c.Depth, l.MaxDepth))
	case l.MaxAliases > 0 && c.Aliases > l.MaxAliases:
		return reject("TOO_MANY_ALIASES", fmt.Sprintf("query uses %d aliases, the limit is %d", c.Aliases, l.MaxAliases))
	case l.MaxBackendCalls > 0 && c.Calls > l.MaxBackendCalls:
		return reject("QUERY_TOO_COSTLY", fmt.Sprintf("query would make about %d backend calls, the limit is %d", c.Calls, l.MaxBackendCalls))
	case l.MaxItems > 0 && c.Items > l.MaxItems:
		return reject("QUERY_TOO_COSTLY", fmt.Sprintf("query would fan out to about %d items, the limit is %d", c.Items, l.MaxItems))
	case l.MaxIntrospectionDepth > 0 && c.IntrospectionDepth > l.MaxIntrospectionDepth:
		return reject(CodeIntrospectionTooDeep, fmt.Sprintf("introspection nests %d fields deep, the limit is %d", c.IntrospectionDepth, l.MaxIntrospectionDepth))
	case l.MaxIntrospectionItems > 0 && c.IntrospectionItems > l.MaxIntrospectionItems:
		return reject("QUERY_TOO_COSTLY", fmt.Sprintf("introspection would return about %d objects, the limit is %d", c.IntrospectionItems, l.MaxIntrospectionItems))
	}
	return nil
}

// CodeTooManyWrites refuses an operation with more writes than
// Limits.MaxWrites, before any is sent.
const CodeTooManyWrites = "TOO_MANY_WRITES"

// WriteCost is what one write counts for in the backend-call estimate.
const WriteCost = 5

// countWrites counts the @write fields among the operation's root fields
// (through fragments; a field under @skip or @include counts, which can
// only refuse more).
func countWrites(doc *ast.QueryDocument, op *ast.OperationDefinition) int {
	if op.Operation != ast.Mutation {
		return 0
	}
	n := 0
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if d := registry.Lookup("Mutation", s.Name); d != nil && d.Write {
					n++
				}
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				// A fragment spread twice at the root runs its writes once:
				// execution merges the fields.
				if f := doc.Fragments.ForName(s.Name); f != nil && !seen[s.Name] {
					seen[s.Name] = true
					walk(f.SelectionSet)
				}
			}
		}
	}
	walk(op.SelectionSet)
	return n
}

// CheckArguments refuses, with BAD_USER_INPUT, an operation with an Int
// argument outside the 32-bit range GraphQL defines, a slicing argument
// outside its declared bounds, or a string longer than maxLen bytes (0: no
// limit) — in literals, variables and defaults alike. It runs before the
// estimate, so the estimate only ever sees values the resolvers accept.
// Each fragment is checked once.
func CheckArguments(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any, fc FieldCost, maxLen int) *gqlerror.Error {
	for _, v := range op.VariableDefinitions {
		if err := checkIntValue(vars[v.Variable], v.Type, "$"+v.Variable); err != nil {
			return err
		}
		if n, ok := longestString(vars[v.Variable], maxLen); ok {
			return badInput(fmt.Sprintf("variable $%s holds a string of %d bytes, the limit is %d", v.Variable, n, maxLen), v.Position)
		}
		if v.DefaultValue != nil {
			if err := checkStringLiteral(v.DefaultValue, "$"+v.Variable, maxLen); err != nil {
				return err
			}
		}
	}
	ac := argChecker{vars: vars, fc: fc, maxLen: maxLen, seen: map[string]bool{}}
	return ac.selections(op.SelectionSet)
}

type argChecker struct {
	vars   map[string]any
	fc     FieldCost
	maxLen int
	seen   map[string]bool // fragments already checked
}

// longestString reports the length of a string in v (a variable's value:
// strings, lists, input objects) longer than maxLen, if any.
func longestString(v any, maxLen int) (int, bool) {
	if maxLen <= 0 {
		return 0, false
	}
	switch x := v.(type) {
	case string:
		return len(x), len(x) > maxLen
	case []any:
		for _, e := range x {
			if n, ok := longestString(e, maxLen); ok {
				return n, true
			}
		}
	case map[string]any:
		for k, e := range x {
			if len(k) > maxLen {
				return len(k), true
			}
			if n, ok := longestString(e, maxLen); ok {
				return n, true
			}
		}
	}
	return 0, false
}

// checkStringLiteral refuses string literals longer than maxLen bytes in v
// and in any list or object inside it.
func checkStringLiteral(v *ast.Value, name string, maxLen int) *gqlerror.Error {
	if maxLen <= 0 || v == nil {
		return nil
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		if len(v.Raw) > maxLen {
			return badInput(fmt.Sprintf("argument %q holds a string of %d bytes, the limit is %d", name, len(v.Raw), maxLen), v.Position)
		}
	case ast.ListValue, ast.ObjectValue:
		for _, c := range v.Children {
			if err := checkStringLiteral(c.Value, name, maxLen); err != nil {
				return err
			}
		}
	}
	return nil
}

func (ac *argChecker) selections(sel ast.SelectionSet) *gqlerror.Error {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if err := ac.field(s); err != nil {
				return err
			}
			if err := ac.selections(s.SelectionSet); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := ac.selections(s.SelectionSet); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || ac.seen[s.Name] {
				continue
			}
			ac.seen[s.Name] = true
			if err := ac.selections(s.Definition.SelectionSet); err != nil {
				return err
			}
		}
	}
	return nil
}

func (ac *argChecker) field(f *ast.Field) *gqlerror.Error {
	if f.Definition == nil {
		return nil
	}
	for _, a := range f.Arguments {
		if a.Value == nil || a.Value.Kind == ast.Variable {
			continue // variables were checked against their own type
		}
		if err := checkIntLiteral(a.Value, a.Name); err != nil {
			return err
		}
		if err := checkStringLiteral(a.Value, a.Name, ac.maxLen); err != nil {
			return err
		}
	}
	if f.ObjectDefinition == nil {
		return nil
	}
	info, ok := ac.fc.Field(f.ObjectDefinition.Name, f.Name)
	if !ok || len(info.Bounds) == 0 {
		return nil
	}
	for _, ad := range f.Definition.Arguments {
		r, ok := info.Bounds[ad.Name]
		if !ok {
			continue
		}
		n, _, ok := argMeasure(f, ad, ac.vars)
		if !ok {
			continue
		}
		// The one @range rule and message (registry.Range.Check).
		bad := r.Check(n)
		if bad == "" {
			continue
		}
		msg := fmt.Sprintf("argument %q of %s.%s %s", ad.Name, f.ObjectDefinition.Name, f.Name, bad)
		return badInput(msg, f.Position)
	}
	return nil
}

// argMeasure returns an argument's Int value or list length (saturated to
// the int64 range), whether it is a list, and whether it had a value.
func argMeasure(f *ast.Field, ad *ast.ArgumentDefinition, vars map[string]any) (int64, bool, bool) {
	var v any
	if a := f.Arguments.ForName(ad.Name); a != nil && a.Value != nil {
		if a.Value.Kind == ast.Variable {
			x, ok := vars[a.Value.Raw]
			if !ok {
				return measureLiteral(variableDefault(a.Value))
			}
			v = x
		} else {
			return measureLiteral(a.Value)
		}
	} else if ad.DefaultValue != nil {
		return measureLiteral(ad.DefaultValue)
	} else {
		return 0, false, false
	}
	switch x := v.(type) {
	case []any:
		return int64(len(x)), true, true
	case nil:
		return 0, false, false
	}
	if n, ok := intOf(v); ok {
		return n, false, true
	}
	return 0, false, false
}

func variableDefault(v *ast.Value) *ast.Value {
	if v.VariableDefinition != nil {
		return v.VariableDefinition.DefaultValue
	}
	return nil
}

func measureLiteral(v *ast.Value) (int64, bool, bool) {
	if v == nil {
		return 0, false, false
	}
	switch v.Kind {
	case ast.ListValue:
		return int64(len(v.Children)), true, true
	case ast.IntValue:
		n, err := strconv.ParseInt(v.Raw, 10, 64)
		if err != nil {
			if strings.HasPrefix(v.Raw, "-") {
				return math.MinInt64, false, true
			}
			return math.MaxInt64, false, true
		}
		return n, false, true
	}
	return 0, false, false
}

// intOf reads an integer variable as gqlgen may hold it.
func intOf(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		if x > math.MaxInt64 || x < math.MinInt64 || x != math.Trunc(x) {
			return 0, false
		}
		return int64(x), true
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) {
			if f > 0 {
				return math.MaxInt64, true
			}
			return math.MinInt64, true
		}
	}
	return 0, false
}

// checkIntLiteral refuses Int literals outside the 32-bit range, in v and
// in any list or object inside it.
func checkIntLiteral(v *ast.Value, name string) *gqlerror.Error {
	switch v.Kind {
	case ast.IntValue:
		if n, err := strconv.ParseInt(v.Raw, 10, 32); err != nil || n < math.MinInt32 || n > maxInt {
			return badInput(fmt.Sprintf("argument %q: %s is not a 32-bit integer (GraphQL Int)", name, clip(v.Raw, 24)), v.Position)
		}
	case ast.ListValue, ast.ObjectValue:
		for _, c := range v.Children {
			if c.Value != nil {
				if err := checkIntLiteral(c.Value, name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkIntValue refuses variable values of Int type (or lists of Int)
// outside the 32-bit range.
func checkIntValue(v any, t *ast.Type, name string) *gqlerror.Error {
	if v == nil || t == nil {
		return nil
	}
	if t.Elem != nil {
		if l, ok := v.([]any); ok {
			for _, x := range l {
				if err := checkIntValue(x, t.Elem, name); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if t.NamedType != "Int" {
		return nil
	}
	n, ok := intOf(v)
	if !ok {
		return nil // not an integer at all: gqlgen's coercion reports it
	}
	if n < math.MinInt32 || n > maxInt {
		return badInput(fmt.Sprintf("variable %s: %d is not a 32-bit integer (GraphQL Int)", name, n), nil)
	}
	return nil
}

func badInput(msg string, pos *ast.Position) *gqlerror.Error {
	e := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": "BAD_USER_INPUT"}}
	if pos != nil {
		e.Locations = []gqlerror.Location{{Line: pos.Line, Column: pos.Column}}
	}
	return e
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Estimate computes the cost of op, with fields described by fc, within
// DefaultMaxWork work units. vars must hold the coerced variables; the
// arguments should have passed CheckArguments (out-of-range values are
// clamped to their bounds, never trusted).
func Estimate(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any, defaultList int, fc FieldCost) Cost {
	return EstimateWith(doc, op, vars, defaultList, fc, 0)
}

// EstimateWith computes the cost of op within maxWork work units (zero:
// DefaultMaxWork). Introspection fields count for aliases and
// IntrospectionItems but not for depth or Items (GraphiQL's own
// introspection query is deep). A work unit is one selection visited or
// one look-up entry merged into its parent's; the work never exceeds
// maxWork by more than one merge.
func EstimateWith(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any, defaultList int, fc FieldCost, maxWork int) Cost {
	if defaultList <= 0 {
		defaultList = 10
	}
	if maxWork <= 0 {
		maxWork = DefaultMaxWork
	}
	e := &estimator{vars: vars, defaultList: int64(defaultList), fc: fc, maxWork: int64(maxWork), memo: map[memoKey]*summary{}, ids: map[ast.Selection]int{}, limits: map[string]int64{},
		originIDs: map[originNode]int{}, grafts: map[[2]int]int{}}
	s := e.selections([]ast.SelectionSet{op.SelectionSet}, "", false)
	c := Cost{
		Depth:              int(s.depth),
		Aliases:            int(s.aliases),
		Items:              int(s.items),
		IntrospectionItems: int(s.introItems),
		IntrospectionDepth: int(s.introDepth),
		PerService:         map[string]int{},
		Work:               int(min(e.work, MaxFigure)),
		Exhausted:          e.exhausted,
	}
	var calls int64
	memo := map[callKey]int64{}
	for k := range s.keys {
		per := e.calls(s.keys, k, memo)
		calls = satAdd(calls, per)
		c.PerService[k.service] = int(satAdd(int64(c.PerService[k.service]), per))
	}
	c.Calls = int(calls)
	return c
}

// calls is the most calls look-up k can take: its keys in batches of its
// service's batch limit L (upstream.MaxBatch when none is known), plus
// one per extra answer its parents arrived in (the parents of a look-up
// split over P calls arrive at P moments, and each moment's keys are
// dispatched on their own: Σ⌈gᵢ/L⌉ ≤ ⌈Σgᵢ/L⌉ + P − 1).
func (e *estimator) calls(keys map[callKey]int64, k callKey, memo map[callKey]int64) int64 {
	if n, ok := memo[k]; ok {
		return n
	}
	n := keys[k]
	if !strings.HasPrefix(k.batch, unbatchedCalls) {
		limit := e.limits[k.service]
		if limit <= 0 {
			limit = upstream.MaxBatch
		}
		n = (n + limit - 1) / limit
	}
	memo[k] = n // a look-up is never its own ancestor; this only guards
	if parent, ok := e.parentCall(k.origin); ok {
		if p := e.calls(keys, parent, memo); p > 1 {
			n = satAdd(n, p-1)
		}
	}
	memo[k] = n
	return n
}

// parentCall finds the look-up that produced the objects at origin: the
// nearest backend field above it.
func (e *estimator) parentCall(origin int) (callKey, bool) {
	for n := origin; n != 0; {
		node := e.origins[n-1]
		if rest, ok := strings.CutPrefix(node.label, "S\x00"); ok {
			service, rest, _ := strings.Cut(rest, "\x00")
			batch, _, _ := strings.Cut(rest, "\x01")
			return callKey{service: service, batch: batch, origin: node.parent}, true
		}
		n = node.parent
	}
	return callKey{}, false
}

// callKey is one batched look-up: the keys asked of one batch (service,
// look-up, arguments) by fields whose parents came from the same call
// (origin). Those keys are sent together, the batch limit per call. Parents from
// different calls arrive at different times, so their children's keys
// may be dispatched apart: they never share a callKey.
type callKey struct {
	service string
	batch   string // unbatchedCalls…: each key is a call
	origin  int    // a node of the estimator's origin trie; 0 is "here"
}

// unbatchedCalls starts the batch of a field whose every key is a call.
const unbatchedCalls = "\x00unbatched"

// summary is the cost of a selection set reached by one object at fan-out
// level 0 and depth 0. A parent reached by n objects adds n times it,
// shifted to its own level and depth: costs are linear in the objects, so
// a selection set's summary is computed once and reused wherever it
// appears again (a fragment spread in many places).
type summary struct {
	keys       map[callKey]int64 // keys asked per look-up, origins relative to this set
	items      int64
	introItems int64
	depth      int64
	introDepth int64 // depth counted below introspection roots only
	aliases    int64
}

// memoKey names the merged selection sets of one collected field (usually
// one set) in the context that changes their cost.
type memoKey struct {
	sets  string // the sets' identities
	sized string // the sizes a connection passed down ("" for none)
	intro bool
}

type estimator struct {
	vars        map[string]any
	defaultList int64
	fc          FieldCost
	memo        map[memoKey]*summary
	origins     []originNode          // node i+1
	originIDs   map[originNode]int    // interned nodes
	grafts      map[[2]int]int        // graft results
	ids         map[ast.Selection]int // stable identities for memo keys
	work        int64
	maxWork     int64
	exhausted   bool
	// limits are the services' batch limits met so far (the smallest, if
	// fields disagree).
	limits map[string]int64
}

// spend counts n work units and reports whether the bound still holds.
func (e *estimator) spend(n int64) bool {
	e.work = satAdd(e.work, n)
	if e.work > e.maxWork {
		e.exhausted = true
	}
	return !e.exhausted
}

// group is one response key of a collected selection set: the fields
// execution merges into one (same alias or name), in document order.
type group struct {
	fields []*ast.Field
}

// collect does what execution does before resolving a selection set: it
// gathers the fields of sets through inline fragments and fragment
// spreads, each fragment once, and merges fields by response key. The
// estimate over collected fields is exact where execution merges (a
// fragment spread twice, a field repeated) and linear in the document.
func (e *estimator) collect(sets []ast.SelectionSet) []*group {
	var order []*group
	byKey := map[string]*group{}
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(sel ast.SelectionSet) {
		for _, s := range sel {
			if !e.spend(1) {
				return
			}
			switch s := s.(type) {
			case *ast.Field:
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				g, ok := byKey[key]
				if !ok {
					g = &group{}
					byKey[key] = g
					order = append(order, g)
				}
				g.fields = append(g.fields, s)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if s.Definition == nil || seen[s.Name] {
					continue
				}
				seen[s.Name] = true
				walk(s.Definition.SelectionSet)
			}
		}
	}
	for _, sel := range sets {
		walk(sel)
	}
	return order
}

// selections summarises the merge of sets. sized is the list size a
// connection gives its sized child fields, as "name=size,…"; intro is set
// below an introspection field.
func (e *estimator) selections(sets []ast.SelectionSet, sized string, intro bool) *summary {
	var id strings.Builder
	for _, sel := range sets {
		if len(sel) == 0 {
			continue
		}
		// A selection set of the document is identified by its first
		// selection (a pointer): distinct sets never share one.
		n, ok := e.ids[sel[0]]
		if !ok {
			n = len(e.ids)
			e.ids[sel[0]] = n
		}
		id.WriteString(strconv.Itoa(n))
		id.WriteByte(',')
	}
	k := memoKey{id.String(), sized, intro}
	if s, ok := e.memo[k]; ok {
		return s
	}
	out := &summary{keys: map[callKey]int64{}}
	for _, g := range e.collect(sets) {
		if e.exhausted {
			break
		}
		e.add(out, e.field(g, sized, intro), 1, 0, 0, 0)
	}
	e.memo[k] = out
	return out
}

// add adds mult times sum, its origins grafted under the origin node
// prefix and its depths shifted by depth and introDepth, to out.
func (e *estimator) add(out, sum *summary, mult int64, prefix int, depth, introDepth int64) {
	if !e.spend(int64(len(sum.keys))) {
		return
	}
	for k, n := range sum.keys {
		k.origin = e.graft(prefix, k.origin)
		out.keys[k] = satAdd(out.keys[k], satMul(n, mult))
	}
	out.items = satAdd(out.items, satMul(sum.items, mult))
	out.introItems = satAdd(out.introItems, satMul(sum.introItems, mult))
	// Aliases count once per place they appear in the collected query,
	// not per object: they are a property of the query's shape.
	out.aliases = satAdd(out.aliases, sum.aliases)
	if sum.depth > 0 || depth > 0 {
		out.depth = max(out.depth, satAdd(sum.depth, depth))
	}
	if sum.introDepth > 0 || introDepth > 0 {
		out.introDepth = max(out.introDepth, satAdd(sum.introDepth, introDepth))
	}
}

// originNode is a node of the origin trie: the chain of calls (labels)
// that produced a field's parents, relative to some selection set (node 0).
type originNode struct {
	parent int
	label  string
}

// child returns the node under parent for the call label, interned.
func (e *estimator) child(parent int, label string) int {
	k := originNode{parent, label}
	if id, ok := e.originIDs[k]; ok {
		return id
	}
	e.origins = append(e.origins, k)
	id := len(e.origins) // ids start at 1; 0 is the root
	e.originIDs[k] = id
	return id
}

// graft returns node n (relative to some set) re-rooted under prefix:
// the same chain of calls, preceded by prefix's.
func (e *estimator) graft(prefix, n int) int {
	if prefix == 0 || n == 0 {
		if n == 0 {
			return prefix
		}
		return n
	}
	k := [2]int{prefix, n}
	if id, ok := e.grafts[k]; ok {
		return id
	}
	node := e.origins[n-1]
	id := e.child(e.graft(prefix, node.parent), node.label)
	e.grafts[k] = id
	return id
}

func (e *estimator) field(g *group, sized string, intro bool) *summary {
	f := g.fields[0] // validation guarantees merged fields agree on name and arguments
	out := &summary{keys: map[callKey]int64{}}
	if f.Alias != "" && f.Alias != f.Name {
		out.aliases = 1
	}
	if f.Name == "__typename" {
		return out
	}
	if strings.HasPrefix(f.Name, "__") {
		intro = true // __schema, __type: no backend calls, not counted for depth
	}
	var depth, introDepth int64
	if !intro {
		depth = 1
		out.depth = 1
	} else {
		introDepth = 1
		out.introDepth = 1
	}
	if f.Definition == nil {
		return out
	}
	var info FieldInfo
	if f.ObjectDefinition != nil {
		info, _ = e.fc.Field(f.ObjectDefinition.Name, f.Name)
	}
	size, hasSize := e.listSize(f, info)
	// The children's origin: this field's place. Fields at different
	// places get their parents at different moments (prefetches, other
	// calls), so only siblings share a look-up.
	label := "F\x00" + responseKey(f)
	if info.Service != "" && !intro {
		batch := e.batchID(f, info)
		if info.Unbatched {
			// Each occurrence is a call of its own, answered on its own.
			batch += "\x00" + responseKey(f)
		}
		k := callKey{service: info.Service, batch: batch}
		if l := int64(info.BatchLimit); l > 0 {
			if old, ok := e.limits[info.Service]; !ok || l < old {
				e.limits[info.Service] = l
			}
		}
		label = "S\x00" + info.Service + "\x00" + batch + "\x01" + responseKey(f)
		keys := int64(1)
		if e.sliceIsList(f, info) {
			keys = size // ids: each is a key of the look-up
		}
		out.keys[k] = keys
	}
	if n, ok := sizedLookup(sized, f.Name); ok {
		size, hasSize = n, true
	}
	childMult := int64(1)
	childSized := ""
	if len(info.Size.SizedFields) > 0 {
		parts := make([]string, len(info.Size.SizedFields))
		for i, name := range info.Size.SizedFields {
			parts[i] = name + "=" + strconv.FormatInt(size, 10)
		}
		childSized = strings.Join(parts, ",")
		hasSize = false // the size applies to the named children
	}
	hasSelection := false
	sets := make([]ast.SelectionSet, 0, len(g.fields))
	for _, x := range g.fields {
		if len(x.SelectionSet) > 0 {
			hasSelection = true
			sets = append(sets, x.SelectionSet)
		}
	}
	if f.Definition.Type.Elem != nil { // a list
		if !hasSize {
			size = e.defaultList
		}
		childMult = size
		if hasSelection {
			if intro {
				out.introItems = childMult
			} else {
				out.items = childMult
			}
		}
	} else if hasSelection && childSized == "" && !intro {
		out.items = 1
	}
	if hasSelection {
		e.add(out, e.selections(sets, childSized, intro), childMult, e.child(0, label), depth, introDepth)
	}
	return out
}

// batchID names the look-up f's keys join (see FieldInfo.Batch).
func (e *estimator) batchID(f *ast.Field, info FieldInfo) string {
	if info.Unbatched {
		return unbatchedCalls
	}
	id := info.Batch
	if id == "" && f.ObjectDefinition != nil {
		id = f.ObjectDefinition.Name + "." + f.Name
	}
	if f.Definition == nil {
		return id
	}
	for _, name := range info.BatchArgs {
		v := ""
		if a := f.Arguments.ForName(name); a != nil && a.Value != nil {
			if a.Value.Kind == ast.Variable {
				if x, ok := e.vars[a.Value.Raw]; ok {
					v = fmt.Sprint(x)
				} else if d := variableDefault(a.Value); d != nil {
					v = d.Raw
				}
			} else {
				v = a.Value.Raw
			}
		} else if ad := f.Definition.Arguments.ForName(name); ad != nil && ad.DefaultValue != nil {
			v = ad.DefaultValue.Raw
		}
		id += "\x00" + strconv.Quote(v) // quoted: no control byte can end it early
	}
	return id
}

func responseKey(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// sliceIsList reports whether f's size comes from a list argument (ids),
// whose items are keys of the look-up.
func (e *estimator) sliceIsList(f *ast.Field, info FieldInfo) bool {
	if info.Size.SlicingArgument == "" || f.Definition == nil {
		return false
	}
	ad := f.Definition.Arguments.ForName(info.Size.SlicingArgument)
	return ad != nil && ad.Type.Elem != nil
}

// sizedLookup finds name in a "name=size,…" list.
func sizedLookup(sized, name string) (int64, bool) {
	for sized != "" {
		var part string
		part, sized, _ = strings.Cut(sized, ",")
		if k, v, ok := strings.Cut(part, "="); ok && k == name {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// listSize reads the field's size rule: the slicing argument's value (or
// length), clamped to its declared bounds and to [0, MaxInt32], else the
// assumed size.
func (e *estimator) listSize(f *ast.Field, info FieldInfo) (int64, bool) {
	if arg := info.Size.SlicingArgument; arg != "" && f.Definition != nil {
		if ad := f.Definition.Arguments.ForName(arg); ad != nil {
			if n, _, ok := argMeasure(f, ad, e.vars); ok {
				if r, ok := info.Bounds[arg]; ok {
					n = min(max(n, int64(r.Min)), int64(r.Max))
				}
				return min(max(n, 0), maxInt), true
			}
		}
	}
	if info.Size.HasAssumed {
		return int64(info.Size.Assumed), true
	}
	return 0, false
}

// satAdd and satMul are + and × on non-negative figures, saturating at
// MaxFigure instead of overflowing.
func satAdd(a, b int64) int64 {
	if a >= MaxFigure-b {
		return MaxFigure
	}
	return a + b
}

func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > MaxFigure/b {
		return MaxFigure
	}
	return min(a*b, MaxFigure)
}
