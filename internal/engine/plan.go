package engine

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph/registry"
)

// A plan is an operation made ready to run: the response's shape (a tree
// of nodes, one per response key and object type, fragments merged) and,
// on every node served by a resolver, how to call it. It depends on the
// document, the operation and the values of the variables its directives
// read, and is kept across requests (see cache.go).
type plan struct {
	root  *node // the operation's root fields, as children of the root type
	nodes int   // nodes in the tree
	// argVars is set when some field's arguments read variables: those
	// arguments are worked out per request.
	argVars bool
	// deferred is set when some field is delivered later (@defer).
	deferred bool
	work     int // selections seen while normalizing
	size     int // estimated bytes held, for the cache's bound
	// shared holds the children planned per type and merged selections
	// (see children); only while planning.
	shared map[string]*node
	// serial is set for a mutation: one root per root field, run one
	// after another (see mutation.go).
	serial []*node
	// spanAll is the last round of the plan's steps, deferred ones
	// included (the roots' span leaves them out); see rounds.go.
	spanAll int
	// inline is set for a mutation: @defer is ignored, its fields are in
	// the only payload (see mutation.go).
	inline bool
}

// selectionsKey names a merged selection set by the document's nodes in it.
func selectionsKey(typeName string, sel ast.SelectionSet) string {
	var b strings.Builder
	b.WriteString(typeName)
	for _, s := range sel {
		fmt.Fprintf(&b, ",%p", s)
	}
	return b.String()
}

// How a node's value is obtained.
type source int

const (
	fromTypename source = iota // __typename
	fromField                  // a property of the parent's Go struct
	fromMethod                 // a method of the parent (a computed field)
	fromResolver               // a resolver of the graph
)

// leaf says how a scalar or enum is written.
type leaf int

const (
	notLeaf leaf = iota
	leafString
	leafInt
	leafFloat
	leafBool
	leafTime
	leafEnum
	leafMarshal // a custom scalar whose Go type marshals itself
)

// node is one response key of an object type in the plan.
type node struct {
	key    string // response key (alias or name)
	quoted []byte // `"key":`
	field  graphql.CollectedField
	def    *ast.FieldDefinition
	object string // the type the field is of
	reg    *registry.Field

	src      source
	index    []int         // fromField: struct field index
	method   string        // fromMethod: method name
	methodFn reflect.Value // fromMethod: the method's function (receiver first)
	res      *binding
	// inline is set for a resolver that calls no backend (the schema
	// declares no service for it): it runs at once, not in a round.
	inline bool

	// The value's GraphQL type: list, nullability. inner is, for a list
	// of lists, whether each list below the outer one is non-null (see
	// lists.go).
	nonNull     bool
	list        bool
	inner       []bool
	elemNonNull bool
	leaf        leaf
	elemType    string // the named type (object or scalar)
	declared    string // the field's declared type, for invalid-null errors

	// args are the field's arguments; nil when they read variables (then
	// they are worked out per request).
	args     map[string]any
	argsVars bool
	// fixedArgs are args converted for the resolver (see argValues).
	fixedArgs   argSet
	fixedFailed bool

	children []*node // an object's fields, in response order
	// exec is set when the node's subtree has a resolver: the executor
	// walks it round by round; other subtrees are only written.
	exec bool
	slot int // index among the parent's exec children
	// execChildren are the children with exec set.
	execChildren []*node
	// views are the @defer labels under which some of the children are
	// delivered later, in gqlgen's order; deferIn is, for a deferred child,
	// the indices of the parent's views it is delivered in (see defer.go).
	views   []string
	deferIn []int
	goType  reflect.Type // the Go type of one value (pointer to struct for objects)
	// variants are, for a field of interface or union type, its node as
	// of each possible type; deep is set when one of them runs a
	// resolver (see abstract.go).
	variants []variant
	deep     bool
	// rounds is set on a resolver that calls a service (see rounds.go).
	rounds *roundInfo
	// span is, on an execution root (the query's, a mutation's serial
	// ones), the last round of its steps, deferred ones left out.
	span int
}

// binding is how the engine calls a resolver of the graph: the method of
// the type's resolver, found by gqlgen's naming, with its parameters.
type binding struct {
	fn    reflect.Value
	batch bool // takes all sibling parents at once ([]*T → []R)
	root  bool // a root field: no parent parameter
	// argConv converts each GraphQL argument (in definition order) to the
	// parameter's Go type, as gqlgen's generated argument code does.
	argNames []string
	argConv  []func(any) (reflect.Value, error)
	out      reflect.Type // the result type of one parent
	// call is the method's typed call (see typed.go), nil when it is
	// called by reflection; ret is the method's result type.
	call func(context.Context, any, []any) (any, error)
	ret  reflect.Type
}

// unsupported says why an operation falls back to gqlgen's executor.
type unsupported struct{ why string }

func (u unsupported) Error() string { return u.why }

func fallback(format string, a ...any) error { return unsupported{fmt.Sprintf(format, a...)} }

// planner builds plans for one schema and resolver root.
type planner struct {
	schema    *ast.Schema
	resolvers reflect.Value
	invokers  Invokers
	fields    Fields
	// bindings memoizes resolver bindings per "Type.field".
	bindings map[string]*binding
	// satisfied memoizes the types each object type satisfies; goTypes
	// the Go type of each object type (see goTypeOf).
	satisfied map[string][]string
	goTypes   map[string]reflect.Type
	rootType  reflect.Type
}

// build plans the operation of oc; an error of type unsupported names
// what the engine does not run.
func (p *planner) build(oc *graphql.OperationContext) (*plan, error) {
	op := oc.Operation
	if op == nil {
		return nil, fallback("no operation")
	}
	rootName, err := p.rootName(op.Operation)
	if err != nil {
		return nil, err
	}
	pl := &plan{shared: map[string]*node{}, inline: op.Operation == ast.Mutation}
	defer func() { pl.shared = nil }()
	root := &node{elemType: rootName, goType: p.rootType, exec: true}
	if err := p.children(oc, pl, root, op.SelectionSet, 0); err != nil {
		return nil, err
	}
	pl.root = root
	if op.Operation == ast.Mutation {
		pl.serial = serialRoots(root)
	}
	planRounds(pl)
	return pl, nil
}

// maxPlanDepth bounds the recursion; the limits extension refuses deeper
// queries long before.
const maxPlanDepth = 64

// enter starts planning parent's children for sel, for plans and shapes
// alike: it applies the depth and work bounds, and gives parent the
// children already planned for the same merged selections (shared). Fields
// whose merged selections are the same selections of the document (a
// fragment spread under two aliases) share their children: planning stays
// linear in the document even where the response, which the limits bound,
// is not. Otherwise save keeps parent's children once they are planned.
func (pl *plan) enter(parent *node, sel ast.SelectionSet, depth int) (shared bool, save func(), err error) {
	if depth > maxPlanDepth {
		return false, nil, fallback("deeper than %d", maxPlanDepth)
	}
	key := selectionsKey(parent.elemType, sel)
	pl.work += len(sel)
	if pl.work > maxPlanWork {
		return false, nil, errTooComplex
	}
	if s, ok := pl.shared[key]; ok {
		parent.children, parent.execChildren, parent.exec, parent.views = s.children, s.execChildren, s.exec, s.views
		return true, nil, nil
	}
	return false, func() {
		pl.shared[key] = &node{children: parent.children, execChildren: parent.execChildren, exec: parent.exec, views: parent.views}
	}, nil
}

func (p *planner) children(oc *graphql.OperationContext, pl *plan, parent *node, sel ast.SelectionSet, depth int) error {
	shared, save, err := pl.enter(parent, sel, depth)
	if err != nil || shared {
		return err
	}
	defer save()
	fields := collect(oc, sel, p.satisfies(parent.elemType), &pl.work)
	for _, f := range fields {
		n, err := p.node(oc, pl, parent, f, depth)
		if err != nil {
			return err
		}
		if f.IsDeferred() && !pl.inline {
			deferField(pl, parent, n, f)
		}
		parent.add(n)
	}
	return nil
}

// add appends child to n's children, and to those run (execChildren)
// when it or something below it runs.
func (n *node) add(child *node) {
	n.children = append(n.children, child)
	if child.exec {
		child.slot = len(n.execChildren)
		n.execChildren = append(n.execChildren, child)
		n.exec = true
	}
}

func (p *planner) node(oc *graphql.OperationContext, pl *plan, parent *node, f graphql.CollectedField, depth int) (*node, error) {
	pl.nodes++
	pl.size += 256
	n := &node{key: f.Alias, field: f, object: parent.elemType}
	n.quoted = append(appendQuoted(nil, f.Alias), ':')
	if f.Name == "__typename" {
		n.src = fromTypename
		n.nonNull, n.leaf = true, leafString
		return n, nil
	}
	if strings.HasPrefix(f.Name, "__") {
		return nil, fallback("introspection")
	}
	def := f.Definition
	if def == nil {
		return nil, fallback("field %s without definition", f.Name)
	}
	n.def, n.reg = def, p.fields.Lookup(parent.elemType, f.Name)
	t := def.Type
	n.declared = t.String()
	n.nonNull = t.NonNull
	if t.Elem != nil {
		n.list = true
		for t = t.Elem; t.Elem != nil; t = t.Elem {
			n.inner = append(n.inner, t.NonNull)
		}
		n.elemNonNull = t.NonNull
	}
	n.elemType = t.NamedType
	td := p.schema.Types[n.elemType]
	if td == nil {
		return nil, fallback("unknown type %s", n.elemType)
	}
	switch td.Kind {
	case ast.Object, ast.Interface, ast.Union:
	case ast.Scalar:
		switch n.elemType {
		case "String", "ID":
			n.leaf = leafString
		case "Int":
			n.leaf = leafInt
		case "Float":
			n.leaf = leafFloat
		case "Boolean":
			n.leaf = leafBool
		case "Time":
			n.leaf = leafTime
		default:
			n.leaf = leafMarshal // see scalars.go
		}
	case ast.Enum:
		n.leaf = leafEnum
	default:
		return nil, fallback("%s types", strings.ToLower(string(td.Kind)))
	}
	abstract := td.Kind == ast.Interface || td.Kind == ast.Union

	// Arguments: fixed ones once, those reading variables per request.
	if len(def.Arguments) > 0 {
		if argsReadVariables(f.Arguments) {
			n.argsVars, pl.argVars = true, true
		} else {
			n.args = f.ArgumentMap(nil)
		}
	}

	// Where the value comes from: a resolver when gqlgen runs the field
	// through one, else the parent's method or struct field.
	var vt reflect.Type
	if p.fields.Resolved(parent.elemType, f.Name) || p.isRoot(parent.elemType) {
		b, err := p.binding(parent, def)
		if err != nil {
			return nil, err
		}
		n.src, n.res, n.exec = fromResolver, b, true
		n.inline = n.reg == nil || n.reg.Service == "" && n.reg.Loader == ""
		vt = b.out
	} else {
		if parent.goType == nil {
			return nil, fallback("%s has no Go type", parent.elemType)
		}
		m, field, err := property(parent.goType, f.Name)
		if err != nil {
			return nil, err
		}
		if m != "" {
			n.src, n.method = fromMethod, m
			mt, _ := parent.goType.MethodByName(m)
			n.methodFn = mt.Func
			vt = mt.Type.Out(0)
			if n.res, err = p.methodBinding(mt, n); err != nil {
				return nil, fallback("%s.%s: %v", parent.elemType, f.Name, err)
			}
		} else {
			n.src, n.index = fromField, field.Index
			vt = field.Type
		}
	}
	if n.res != nil && !n.argsVars {
		set, err := convertArgs(n, n.args)
		n.fixedArgs, n.fixedFailed = set, err != nil
	}
	if n.list {
		for range 1 + len(n.inner) {
			if vt.Kind() != reflect.Slice {
				return nil, fallback("%s.%s is not a slice", parent.elemType, f.Name)
			}
			vt = vt.Elem()
		}
	}
	n.goType = vt
	if abstract {
		if vt.Kind() != reflect.Interface {
			return nil, fallback("%s.%s is not an interface", parent.elemType, f.Name)
		}
		if err := p.abstractNode(oc, pl, n, td, depth); err != nil {
			return nil, err
		}
	} else if n.leaf == notLeaf {
		if vt.Kind() != reflect.Pointer || vt.Elem().Kind() != reflect.Struct {
			return nil, fallback("%s.%s is not a pointer to a struct", parent.elemType, f.Name)
		}
		if err := p.children(oc, pl, n, f.Selections, depth+1); err != nil {
			return nil, err
		}
	} else if err := leafFits(n.leaf, vt); err != nil {
		return nil, fallback("%s.%s: %v", parent.elemType, f.Name, err)
	}
	return n, nil
}

// argsReadVariables reports whether an argument list reads a variable.
func argsReadVariables(args ast.ArgumentList) bool {
	var reads func(v *ast.Value) bool
	reads = func(v *ast.Value) bool {
		if v == nil {
			return false
		}
		if v.Kind == ast.Variable {
			return true
		}
		for _, c := range v.Children {
			if reads(c.Value) {
				return true
			}
		}
		return false
	}
	for _, a := range args {
		if reads(a.Value) {
			return true
		}
	}
	return false
}

var timeType = reflect.TypeFor[time.Time]()

// leafFits checks that a Go type can be written as the scalar.
func leafFits(l leaf, t reflect.Type) error {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	ok := false
	switch l {
	case leafString, leafEnum:
		ok = t.Kind() == reflect.String
	case leafInt:
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			ok = true
		}
	case leafFloat:
		ok = t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32
	case leafBool:
		ok = t.Kind() == reflect.Bool
	case leafTime:
		ok = t == timeType
	case leafMarshal:
		ok = marshals(t)
	}
	if !ok {
		return fmt.Errorf("cannot write %s", t)
	}
	return nil
}

// property finds what gqlgen binds a field to on a model: a method (see
// methodBinding), else a struct field (by Go name or JSON tag).
func property(t reflect.Type, name string) (method string, field reflect.StructField, err error) {
	for i := range t.NumMethod() {
		m := t.Method(i)
		if strings.EqualFold(m.Name, name) {
			return m.Name, field, nil
		}
	}
	st := t.Elem()
	for i := range st.NumField() {
		f := st.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && (strings.EqualFold(f.Name, name) || tag == name) {
			return "", f, nil
		}
	}
	return "", field, fallback("%s has no field %s", st, name)
}

var (
	ctxType   = reflect.TypeFor[context.Context]()
	errorType = reflect.TypeFor[error]()
)

// binding finds the resolver method of parent.field: the resolver root's
// method named after the type returns the type's resolver, whose method
// named after the field (gqlgen's Go naming) resolves it.
func (p *planner) binding(parent *node, def *ast.FieldDefinition) (*binding, error) {
	key := parent.elemType + "." + def.Name
	if b, ok := p.bindings[key]; ok {
		return b, nil
	}
	typeRes := p.resolvers.MethodByName(parent.elemType)
	if !typeRes.IsValid() || typeRes.Type().NumIn() != 0 || typeRes.Type().NumOut() != 1 {
		return nil, fallback("no resolver for %s", parent.elemType)
	}
	r := typeRes.Call(nil)[0]
	var fn reflect.Value
	for i := range r.NumMethod() {
		if strings.EqualFold(r.Type().Method(i).Name, def.Name) {
			fn = r.Method(i)
			break
		}
	}
	if !fn.IsValid() {
		return nil, fallback("no resolver method for %s", key)
	}
	ft := fn.Type()
	b := &binding{fn: fn, root: p.isRoot(parent.elemType)}
	d := p.fields.Lookup(parent.elemType, def.Name)
	b.batch = d != nil && d.Batch
	in := 1 // context
	if ft.NumIn() < 1 || ft.In(0) != ctxType || ft.NumOut() != 2 || ft.Out(1) != errorType {
		return nil, fallback("resolver %s has an unexpected signature", key)
	}
	if !b.root {
		if ft.NumIn() < 2 {
			return nil, fallback("resolver %s takes no parent", key)
		}
		pt := ft.In(1)
		if b.batch {
			if pt.Kind() != reflect.Slice || ft.Out(0).Kind() != reflect.Slice {
				return nil, fallback("batch resolver %s does not take a slice", key)
			}
			pt = pt.Elem()
		}
		if pt != parent.goType {
			return nil, fallback("resolver %s takes %s, the parent is %v", key, pt, parent.goType)
		}
		in = 2
	}
	if ft.NumIn() != in+len(def.Arguments) {
		return nil, fallback("resolver %s does not take the field's arguments", key)
	}
	for i, a := range def.Arguments {
		conv, err := p.argConverter(ft.In(in+i), a.Type)
		if err != nil {
			return nil, fallback("resolver %s: argument %s: %v", key, a.Name, err)
		}
		b.argNames = append(b.argNames, a.Name)
		b.argConv = append(b.argConv, conv)
	}
	b.out, b.ret = ft.Out(0), ft.Out(0)
	b.call = p.typed(key, ft)
	if b.batch {
		b.out = b.out.Elem()
	}
	p.bindings[key] = b
	return b, nil
}

// argConverter converts an argument's coerced value to a parameter, as
// gqlgen's generated unmarshalers do (see also args.go).
func (p *planner) argConverter(t reflect.Type, gt *ast.Type) (func(any) (reflect.Value, error), error) {
	if conv := unmarshalerConv(t); conv != nil {
		return conv, nil
	}
	switch {
	case t.Kind() == reflect.String:
		return func(v any) (reflect.Value, error) {
			s, err := graphql.UnmarshalString(v)
			return reflect.ValueOf(s).Convert(t), err
		}, nil
	case t.Kind() == reflect.Int:
		return func(v any) (reflect.Value, error) {
			n, err := graphql.UnmarshalInt(v)
			return reflect.ValueOf(n), err
		}, nil
	case t.Kind() == reflect.Bool:
		return func(v any) (reflect.Value, error) {
			b, err := graphql.UnmarshalBoolean(v)
			return reflect.ValueOf(b), err
		}, nil
	case t.Kind() == reflect.Float64:
		return func(v any) (reflect.Value, error) {
			f, err := graphql.UnmarshalFloat(v)
			return reflect.ValueOf(f), err
		}, nil
	case t.Kind() == reflect.Pointer && t.Elem().Kind() != reflect.Pointer:
		// An optional argument: nil when absent or null.
		elem, err := p.argConverter(t.Elem(), gt)
		if err != nil {
			return nil, err
		}
		return func(v any) (reflect.Value, error) {
			if v == nil {
				return reflect.Zero(t), nil
			}
			e, err := elem(v)
			if err != nil {
				return reflect.Value{}, err
			}
			p := reflect.New(t.Elem())
			p.Elem().Set(e)
			return p, nil
		}, nil
	case t.Kind() == reflect.Slice && gt.Elem != nil:
		return p.listConv(t, gt)
	case t.Kind() == reflect.Struct:
		return p.inputConv(t, gt)
	}
	return nil, fmt.Errorf("parameter type %s", t)
}
