package engine

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
)

// run is one execution of a plan.
type run struct {
	e    *Engine
	pl   *plan
	oc   *graphql.OperationContext
	ctx  context.Context // the response's context (errors go there)
	base context.Context // ctx carrying the root type's field context
	// args holds, per node whose arguments read variables, their values
	// for this request (filled before the rounds start).
	args map[*node]map[string]any
	// dispatch flushes the request's loaders, but for the endpoints hold
	// reports (nil: every one); see Runtime.Manual.
	dispatch func(hold func(service, endpoint string) bool)
	// last is the last round of the plan being run (the root's span, or
	// the whole plan's in a deferred phase): holds stay within it.
	last int
	// active counts the calls that can run (see launch); rounds counts
	// the dispatches, calls the resolver calls.
	active atomic.Int64
	rounds atomic.Int64
	calls  int
	// roots are the root fields' critical states.
	roots map[*node]rootState
	// baseFC is the root type's field context (base carries it).
	baseFC *graphql.FieldContext
	// rs tells which calls wait on keys sent and which on keys pending,
	// for the rounds (rounds.go).
	rs rounds
	// deferred is what @defer delivers later (defer.go).
	deferred deferred
}

// rootState is a root field's context (carrying its critical state) and
// that state.
type rootState struct {
	ctx context.Context
	err func() error
}

// group is a set of sibling objects of one node: the elements of one list
// value, or one object. gqlgen hands a batch resolver the elements of one
// list at a time (their errors and stale answers are reported by index in
// it), so a group is what a batch call covers.
type group struct {
	node  *node
	list  bool
	objs  []reflect.Value  // the objects; invalid (zero) Values are nulls
	one   [1]reflect.Value // objs of a group of one object
	slice reflect.Value    // the list as the resolver returned it (list groups)
	// single is the one object as a list, for batch resolvers (made when
	// first needed).
	single reflect.Value
	// fc is the field context of the group's field, its Parent chain the
	// path above it (nil for the root group); elemFC caches, for list
	// groups, the context of each element asked for. Resolver calls share
	// this chain instead of each building its path again.
	fc     *graphql.FieldContext
	elemFC []*elemContext
	fcv    graphql.FieldContext // what fc points to (one allocation with the group)
	// root is the context of the root field the group is under (it carries
	// the root field's critical state).
	root context.Context
	res  []fieldRes // per exec child of node, by slot
	// round is the fetch round the objects came in, byID whether they
	// were fetched by a key known before (see rounds.go).
	round int
	byID  bool
	top   bool // the operation's root object
	// nested holds, for a list of lists, the group of each element (nil
	// for a null one); the group itself holds no objects (see lists.go).
	nested []*group
	// variants holds, for the values of an abstract field, the group of
	// each variant's objects (see abstract.go).
	variants []*group
}

// fieldRes is one field's values over a group's objects.
type fieldRes struct {
	vals []reflect.Value
	errs []error
	// batchErr marks errors a batch resolver returned: gqlgen reports them
	// at the parent's path without a location.
	batchErr []bool
	subs     []*group // the objects each value holds, for object fields
}

// frame is one step of a response path: a field (idx < 0) or a list
// element.
type frame struct {
	n   *node
	idx int
}

// call is one resolver call of a round.
type call struct {
	g   *group
	n   *node
	i   int // the parent's index; -1 for a batch call over the group
	ctx context.Context
	in  []reflect.Value
	// ctxSlot is set when in[0] is left for the context (see params).
	ctxSlot bool
	out     reflect.Value
	err     error
	pan     any
	// The rounds' bookkeeping (rounds.go): the run; the call's round; its
	// waits less its wakes, and the dispatch it started waiting after;
	// released once a hold has stopped waiting for it.
	r        *run
	round    int
	waits    int
	waitGen  int64
	released bool

	// parent and args are a typed call's (see typed.go); in is unused.
	parent any
	args   []any
}

// panicked is a resolver's panic, reported as gqlgen reports it.
type panicked struct{ v any }

func (p panicked) Error() string { return fmt.Sprint(p.v) }

// execute runs the fields under root (the plan's root, or one root field
// of a mutation) round by round.
func (r *run) execute(root *node) *group {
	r.last = root.span
	rootGroup := &group{node: root, root: r.base, top: true}
	rootGroup.one[0] = reflect.ValueOf(struct{}{})
	rootGroup.objs = rootGroup.one[:]
	var start []*call
	r.expand(rootGroup, &start)
	r.drive(start)
	return rootGroup
}

// drive runs calls and the calls their answers allow, round by round,
// until none is left.
func (r *run) drive(start []*call) {
	done := make(chan *call)
	inflight := 0
	// The coordinator holds a unit while it starts calls, so the loaders
	// are not dispatched before all of them have queued their keys.
	r.active.Add(1)
	for _, c := range start {
		r.launch(c, done)
		inflight++
	}
	r.idle()
	for inflight > 0 {
		c := <-done
		inflight--
		// The call keeps its unit until what its answer allows has
		// started: the look-ups of its objects join the same dispatch.
		var next []*call
		r.settle(c, &next)
		for _, n := range next {
			r.launch(n, done)
			inflight++
		}
		r.idle()
	}
	// Keys asked ahead for fields that never ran (their parents were null)
	// go out now, before the run ends.
	r.stopRounds()
	r.dispatch(nil)
}

// launch starts a resolver call. A call holds a unit of r.active while it
// can run: it gives it up while it waits on a loader, and gets it back when
// the answer is in. When no call can run, every key the running calls will
// ask for is queued: the loaders are dispatched then (a round), so each
// endpoint gets one call per batch limit, with no timer.
func (r *run) launch(c *call, done chan<- *call) {
	r.calls++
	r.active.Add(1)
	c.r, c.round = r, roundOf(c.g, c.n)
	ctx := r.e.cfg.Runtime.OnWait(c.ctx, c)
	r.e.cfg.Workers.Go(func() {
		r.invoke(c, ctx)
		done <- c
	})
}

// expand prepares the exec fields of a group's objects: resolver calls go
// to the round, properties whose subtrees need resolvers are read now and
// their objects expanded in turn.
func (r *run) expand(g *group, calls *[]*call) {
	if len(g.node.execChildren) == 0 {
		return
	}
	g.res = make([]fieldRes, len(g.node.execChildren))
	present := 0
	for _, o := range g.objs {
		if o.IsValid() {
			present++
		}
	}
	if present == 0 {
		return
	}
	// One backing array per kind for all the fields of the group: a group
	// is often one object or a short list, and each slice its own
	// allocation was most of what a group cost.
	no, nc := len(g.objs), len(g.node.execChildren)
	vals, errs := make([]reflect.Value, no*nc), make([]error, no*nc)
	var subs []*group
	var batchErr []bool
	for _, c := range g.node.execChildren {
		fr := &g.res[c.slot]
		fr.vals, vals = vals[:no:no], vals[no:]
		fr.errs, errs = errs[:no:no], errs[no:]
		if c.leaf == notLeaf {
			if subs == nil {
				subs = make([]*group, no*nc)
			}
			fr.subs, subs = subs[:no:no], subs[no:]
		}
		if c.src == fromResolver && c.res.batch {
			if batchErr == nil {
				batchErr = make([]bool, no*nc)
			}
			fr.batchErr, batchErr = batchErr[:no:no], batchErr[no:]
		}
		if len(c.deferIn) > 0 {
			continue // runs in a later phase (defer.go)
		}
		r.expandField(g, c, fr, calls)
	}
}

// expandField prepares field c of a group's objects, its results going
// to fr.
func (r *run) expandField(g *group, c *node, fr *fieldRes, calls *[]*call) {
	if c.src != fromResolver {
		for i, o := range g.objs {
			if !o.IsValid() {
				continue
			}
			if err := r.authorize(g.root, c, argSet{}, o); err != nil {
				fr.errs[i] = err
				continue
			}
			v, err := r.property(o, c)
			if err != nil {
				fr.errs[i] = err
				continue
			}
			r.setValue(g, i, c, v, calls)
		}
		return
	}
	args, argErr := r.argValues(c)
	b := c.res
	switch {
	case b.root:
		ctx, rootErr := r.e.cfg.Runtime.WithRoot(r.base)
		r.roots[c] = rootState{ctx, rootErr}
		if err := r.authorize(ctx, c, args, reflect.Value{}); err != nil {
			fr.errs[0] = err
			return
		}
		cl := &call{g: g, n: c, i: 0, ctx: r.fieldCtx(ctx, r.baseFC, c, args)}
		cl.err = argErr
		r.params(cl, reflect.Value{}, args)
		r.queue(cl, calls)
	case b.batch:
		if g = r.allowed(g, c, args, fr); g == nil {
			return
		}
		var parents reflect.Value
		if g.list {
			parents = g.slice
		} else {
			// One slice of the one parent for all the group's batch fields
			// (resolvers read their parents, never write them).
			if !g.single.IsValid() {
				g.single = reflect.MakeSlice(reflect.SliceOf(g.node.goType), 1, 1)
				g.single.Index(0).Set(g.objs[0])
			}
			parents = g.single
		}
		first := 0
		for first < len(g.objs) && !g.objs[first].IsValid() {
			first++
		}
		cl := &call{g: g, n: c, i: -1, ctx: r.fieldCtx(g.root, r.objFC(g, first), c, args)}
		cl.err = argErr
		r.params(cl, parents, args)
		r.queue(cl, calls)
	default:
		for i, o := range g.objs {
			if !o.IsValid() {
				continue
			}
			if err := r.authorize(g.root, c, args, o); err != nil {
				fr.errs[i] = err
				continue
			}
			cl := &call{g: g, n: c, i: i, ctx: r.fieldCtx(g.root, r.objFC(g, i), c, args)}
			cl.err = argErr
			r.params(cl, o, args)
			r.queue(cl, calls)
		}
	}
}

// queue adds a call to the round, unless its arguments failed.
// A resolver that calls no backend (it hands over what its parent holds)
// runs at once, so what its objects need joins this round.
func (r *run) queue(c *call, calls *[]*call) {
	if c.err == nil && c.n.inline {
		r.invoke(c, c.ctx)
	}
	if c.err != nil || c.n.inline {
		r.settle(c, calls)
		return
	}
	*calls = append(*calls, c)
}

// invoke calls the resolver, keeping its answer, error or panic in c.
func (r *run) invoke(c *call, ctx context.Context) {
	defer func() {
		if p := recover(); p != nil {
			c.pan = p
		}
	}()
	if call := c.n.res.call; call != nil {
		out, err := call(ctx, c.parent, c.args)
		c.out, c.err = result(out, c.n.res.ret), err
		return
	}
	var in []reflect.Value
	if c.ctxSlot {
		in = c.in
		in[0] = reflect.ValueOf(ctx)
	} else {
		in = make([]reflect.Value, 0, len(c.in)+1)
		in = append(append(in, reflect.ValueOf(ctx)), c.in...)
	}
	out := c.n.res.fn.Call(in)
	c.out = out[0]
	if e := out[1]; !e.IsNil() {
		c.err = e.Interface().(error)
	}
}

// settle stores a call's answer in its group and expands the objects it
// holds, queuing their calls for the next round.
func (r *run) settle(c *call, next *[]*call) {
	g, n := c.g, c.n
	fr := &g.res[n.slot]
	if c.pan != nil {
		c.err = panicked{c.pan}
	}
	if c.i >= 0 {
		if c.err != nil {
			fr.errs[c.i] = c.err
			return
		}
		r.setValue(g, c.i, n, c.out, next)
		return
	}
	// A batch call: one answer per parent, or per-parent errors, or one
	// error for all of them.
	var perParent []error
	if c.err != nil {
		if be, ok := c.err.(graphql.BatchErrors); ok && c.out.IsValid() && c.out.Len() == len(g.objs) && len(be.Errors()) == len(g.objs) {
			perParent = be.Errors()
		} else {
			for i, o := range g.objs {
				if o.IsValid() {
					fr.errs[i], fr.batchErr[i] = c.err, true
				}
			}
			return
		}
	}
	if !c.out.IsValid() || c.out.Len() != len(g.objs) {
		err := fmt.Errorf("batch resolver %s.%s returned %d results for %d parents", n.object, n.field.Name, c.out.Len(), len(g.objs))
		for i, o := range g.objs {
			if o.IsValid() {
				fr.errs[i], fr.batchErr[i] = err, true
			}
		}
		return
	}
	for i, o := range g.objs {
		if !o.IsValid() {
			continue
		}
		if perParent != nil && perParent[i] != nil {
			fr.errs[i], fr.batchErr[i] = perParent[i], true
			continue
		}
		r.setValue(g, i, n, c.out.Index(i), next)
	}
}

// setValue stores field n's value for object i of g, making groups of the
// objects it holds and expanding them.
func (r *run) setValue(g *group, i int, n *node, v reflect.Value, calls *[]*call) {
	fr := &g.res[n.slot]
	fr.vals[i] = v
	if n.leaf != notLeaf || len(n.execChildren) == 0 && !n.deep {
		// Nothing below runs a resolver: the writer reads the value itself.
		return
	}
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Slice || v.Kind() == reflect.Interface) && v.IsNil() {
		return
	}
	sub := &group{node: n, root: g.root, round: roundOf(g, n), byID: childByID(n, g.byID), fcv: graphql.FieldContext{
		Parent: r.objFC(g, i), Object: n.object, Field: n.field, IsMethod: n.src != fromField, IsResolver: n.src == fromResolver,
	}}
	sub.fc = &sub.fcv
	if g.top {
		sub.root = r.roots[n].ctx
	}
	if len(n.inner) > 0 {
		r.nest(sub, n, v, 0, calls)
		fr.subs[i] = sub
		return
	}
	if n.list {
		sub.list, sub.slice = true, v
		sub.objs = make([]reflect.Value, v.Len())
		for j := range sub.objs {
			if e := v.Index(j); !e.IsNil() {
				sub.objs[j] = e
			}
		}
	} else {
		sub.one[0] = v
		sub.objs = sub.one[:]
	}
	fr.subs[i] = sub
	if n.deep {
		r.split(sub, n, calls)
		return
	}
	r.expand(sub, calls)
}

// objFC is the field context of object i of g: the path resolver calls
// on it hang under. List elements' contexts are made when first asked for.
func (r *run) objFC(g *group, i int) *graphql.FieldContext {
	if g.fc == nil {
		return r.baseFC
	}
	if !g.list {
		return g.fc
	}
	if g.elemFC == nil {
		g.elemFC = make([]*elemContext, len(g.objs))
	}
	if g.elemFC[i] == nil {
		e := &elemContext{idx: i}
		e.fc = graphql.FieldContext{Parent: g.fc, Index: &e.idx}
		g.elemFC[i] = e
	}
	return &g.elemFC[i].fc
}

// elemContext is a list element's field context and the index it points
// to, allocated together.
type elemContext struct {
	fc  graphql.FieldContext
	idx int
}

// read reads a property of an object: a struct field or a method (its
// function found when planning: a method looked up by name on the value
// costs reflect a new func type per call).
func (r *run) read(o reflect.Value, n *node) reflect.Value {
	if n.src == fromMethod {
		return n.methodFn.Call([]reflect.Value{o})[0]
	}
	return o.Elem().FieldByIndex(n.index)
}

// argSet is a field's arguments for one request: as gqlgen's field context
// carries them, and as the resolver's parameters.
type argSet struct {
	m  map[string]any
	in []reflect.Value
	// vals are the parameters for a typed call (see typed.go).
	vals []any
}

// argValues converts a field's arguments as gqlgen's generated code does.
// Arguments that read no variable were converted when planning (the map
// is shared by the plan's runs: resolvers only read their arguments); a
// failed conversion is done again, so each request gets its own error.
func (r *run) argValues(n *node) (argSet, error) {
	if !n.argsVars {
		if !n.fixedFailed {
			return n.fixedArgs, nil
		}
		return convertArgs(n, n.args)
	}
	return convertArgs(n, n.field.ArgumentMap(r.oc.Variables))
}

// convertArgs converts raw argument values to the resolver's parameters.
// A field without arguments gets none (gqlgen's field context has no map
// for it either).
func convertArgs(n *node, raw map[string]any) (argSet, error) {
	b := n.res
	if len(b.argNames) == 0 {
		return argSet{}, nil
	}
	set := argSet{m: make(map[string]any, len(b.argNames)), in: make([]reflect.Value, len(b.argNames))}
	if b.call != nil {
		set.vals = make([]any, len(b.argNames))
	}
	for i, name := range b.argNames {
		v, present := raw[name]
		var pv reflect.Value
		if present {
			var err error
			if pv, err = b.argConv[i](v); err != nil {
				return set, err
			}
		} else {
			pv = reflect.Zero(b.fn.Type().In(b.fn.Type().NumIn() - len(b.argNames) + i))
		}
		set.in[i] = pv
		set.m[name] = pv.Interface()
		if set.vals != nil {
			set.vals[i] = set.m[name]
		}
	}
	return set, nil
}

// fieldCtx is ctx with the field context gqlgen would have for field n of
// the object whose context is parent: resolvers read their arguments and
// path there.
func (r *run) fieldCtx(ctx context.Context, parent *graphql.FieldContext, n *node, args argSet) context.Context {
	fc := &graphql.FieldContext{
		Object: n.object, Field: n.field, Args: args.m, IsMethod: n.src != fromField, IsResolver: n.src == fromResolver,
	}
	ctx = graphql.WithFieldContext(ctx, fc)
	fc.Parent = parent // the path is the object's, whatever ctx carried
	return ctx
}

// framesCtx builds the field contexts of a path.
func (r *run) framesCtx(ctx context.Context, frames []frame) context.Context {
	for _, f := range frames {
		if f.idx >= 0 {
			idx := f.idx
			ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &idx})
			continue
		}
		ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{
			Object: f.n.object, Field: f.n.field, IsMethod: f.n.src != fromField, IsResolver: f.n.src == fromResolver,
		})
	}
	return ctx
}

// authorize enforces the field's @auth rule for the object o (invalid for
// a root field), before anything is fetched for it.
func (r *run) authorize(ctx context.Context, n *node, args argSet, o reflect.Value) error {
	if n.reg == nil || n.reg.Auth == "" || r.e.cfg.Authorize == nil {
		return nil
	}
	return r.e.cfg.Authorize(ctx, n.object, n.field.Name, n.reg.Auth, n.reg.Owner.Of(args.m, o))
}
