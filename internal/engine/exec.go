package engine

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"

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
	// baseFC is the root type's field context (base carries it), baseFCv
	// what it points to.
	baseFC  *graphql.FieldContext
	baseFCv graphql.FieldContext
	// rs tells which calls wait on keys sent and which on keys pending,
	// for the rounds (rounds.go).
	rs rounds
	// deferred is what @defer delivers later (defer.go).
	deferred deferred
	// mem is where the run's groups, calls and their slices come from
	// (arena.go; taken under mu once calls run).
	mem arena
	// mu is held while a call is settled (see drive); inflight counts
	// the calls begun and not yet settled; finished is told when none
	// is left.
	mu        sync.Mutex
	inflight  int
	finished  chan any
	nextCalls []*call // a settle's new calls (scratch, under mu)
	// w writes the initial payload.
	w writer
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
	// first needed, on singleHdr; see singleList).
	single     reflect.Value
	singleHdr  sliceHeader
	singleElem unsafe.Pointer
	// parents is the group's list of objects as a typed batch call takes
	// it (see parentOf).
	parents any
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
	// fc is the call's field context, fctx the context carrying it (ctx
	// is &fctx): both allocated with the call.
	fc   graphql.FieldContext
	fctx fieldContext
	// wctx is ctx as the loaders see it (Runtime.OnWait), set at launch.
	wctx context.Context
	in   []reflect.Value
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
	waitAt   int // 1 + its index in r.rs.waiting; 0 when not there
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
	rootGroup := r.mem.groups.one()
	*rootGroup = group{node: root, root: r.base, top: true}
	rootGroup.one[0] = reflect.ValueOf(struct{}{})
	rootGroup.objs = rootGroup.one[:]
	start := r.scratch()
	r.expand(rootGroup, &start)
	r.drive(start)
	return rootGroup
}

// drive runs calls and the calls their answers allow, round by round,
// until none is left.
//
// Whoever finishes a call settles it — stores its answer and expands the
// objects it holds — and starts the calls that allows: r.mu makes one
// settle at a time (the groups and the arena are the run's, not the
// calls'). Of the calls a settle allows, it runs the last itself and
// hands the others to workers; drive runs the last of the first ones. So
// no goroutine only waits to hand calls on, and a call's answer costs no
// hand-off unless it allows several calls. A call that waits on a loader
// holds only its own goroutine: the others still settle and start theirs.
//
// The rounds (rounds.go): drive holds a unit of r.active while it starts
// the first calls, so the loaders are not dispatched before all of them
// have queued their keys; a finished call keeps its unit until what its
// answer allows has started, so the look-ups of its objects join the same
// dispatch.
func (r *run) drive(start []*call) {
	if r.finished == nil {
		r.finished = make(chan any, 1)
	}
	r.active.Add(1)
	r.mu.Lock()
	self := r.start(start)
	r.inflight = len(start)
	clear(start)
	r.nextCalls = start[:0]
	r.mu.Unlock()
	r.idle()
	if self != nil {
		r.follow(self)
		if p := <-r.finished; p != nil {
			panic(p)
		}
	}
	// Keys asked ahead for fields that never ran (their parents were null)
	// go out now, before the run ends.
	r.stopRounds()
	r.dispatch(nil)
}

// start begins calls (r.mu held): all but the last on workers; the last
// is the caller's to run (nil when there is none).
func (r *run) start(calls []*call) *call {
	if len(calls) == 0 {
		return nil
	}
	for _, c := range calls[:len(calls)-1] {
		r.begin(c)
		r.e.cfg.Workers.run(c)
	}
	c := calls[len(calls)-1]
	r.begin(c)
	return c
}

// scratch is an empty slice for the calls a settle (or expand, before
// drive) allows: one per run, as the calls go on elsewhere at once.
func (r *run) scratch() []*call {
	if r.nextCalls == nil {
		r.nextCalls = make([]*call, 0, 16)
	}
	return r.nextCalls[:0]
}

// begin makes c a call that can run: it holds a unit of r.active while it
// can run, gives it up while it waits on a loader, and gets it back when
// the answer is in. When no call can run, every key the running calls
// will ask for is queued: the loaders are dispatched then (a round), so
// each endpoint gets one call per batch limit, with no timer.
func (r *run) begin(c *call) {
	r.calls++
	r.active.Add(1)
	c.r, c.round = r, roundOf(c.g, c.n)
	c.wctx = r.e.cfg.Runtime.OnWait(c.ctx, c)
}

// work runs c on a worker (see drive).
func (c *call) work() { c.r.follow(c) }

// follow runs c, settles it and runs what it allows, until a settle
// allows nothing; the settle that leaves nothing in flight tells drive.
// A panic while settling (resolvers' are caught by invoke) is passed to
// drive, which panics with it where the run started.
func (r *run) follow(c *call) {
	defer func() {
		if p := recover(); p != nil {
			r.finish(p)
		}
	}()
	for c != nil {
		r.invoke(c, c.wctx)
		var last bool
		c, last = r.settleNext(c)
		r.idle() // the finished call's unit
		if last {
			r.finish(nil)
		}
	}
}

// finish tells drive the calls are done, or a settle's panic. It never
// waits: drive takes one value per run of calls, and when one is there
// already (a panic, which drive passes on) another changes nothing.
func (r *run) finish(p any) {
	select {
	case r.finished <- p:
	default:
	}
}

// settleNext settles c and begins the calls its answer allows, returning
// the one for the caller to run, and whether none is left in flight.
func (r *run) settleNext(c *call) (*call, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := r.scratch()
	r.settle(c, &next)
	r.nextCalls = next
	self := r.start(next)
	clear(next) // the calls are kept elsewhere, not in the scratch
	r.inflight += len(next) - 1
	return self, r.inflight == 0
}

// expand prepares the exec fields of a group's objects: resolver calls go
// to the round, properties whose subtrees need resolvers are read now and
// their objects expanded in turn.
func (r *run) expand(g *group, calls *[]*call) {
	if len(g.node.execChildren) == 0 {
		return
	}
	g.res = r.mem.res.take(len(g.node.execChildren))
	present := 0
	for _, o := range g.objs {
		if o.IsValid() {
			present++
		}
	}
	if present == 0 {
		return
	}
	// A group is often one object or a short list: its slices come from
	// the run's arena, each its own allocation was most of what a group
	// cost.
	no := len(g.objs)
	for _, c := range g.node.execChildren {
		fr := &g.res[c.slot]
		fr.vals, fr.errs = r.mem.vals.take(no), r.mem.errs.take(no)
		if c.leaf == notLeaf {
			fr.subs = r.mem.subs.take(no)
		}
		if c.src == fromResolver && c.res.batch {
			fr.batchErr = r.mem.bools.take(no)
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
		cl := r.newCall(ctx, g, c, 0, r.baseFC, args)
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
			parents = g.singleList()
		}
		first := 0
		for first < len(g.objs) && !g.objs[first].IsValid() {
			first++
		}
		cl := r.newCall(g.root, g, c, -1, r.objFC(g, first), args)
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
			cl := r.newCall(g.root, g, c, i, r.objFC(g, i), args)
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
	sub := r.mem.groups.one()
	*sub = group{node: n, root: g.root, round: roundOf(g, n), byID: childByID(n, g.byID), fcv: graphql.FieldContext{
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
		sub.objs = r.mem.vals.take(v.Len())
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

// parentOf is parent, the parent (or parents) of call c of g, as a typed
// call takes it: a batch call's parents boxed once for all the group's
// batch fields (boxing a slice allocates).
func (g *group) parentOf(c *call, parent reflect.Value) any {
	if c.i >= 0 {
		return parent.Interface()
	}
	if g.parents == nil {
		g.parents = parent.Interface()
	}
	return g.parents
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
		g.elemFC = r.mem.elemFC.take(len(g.objs))
	}
	if g.elemFC[i] == nil {
		e := r.mem.elems.one()
		e.idx = i
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

// newCall is a call of resolver n over object i of g (-1: all of them),
// in ctx, with the field context gqlgen would have for it under parent
// (the object's context): resolvers read their arguments and path there.
func (r *run) newCall(ctx context.Context, g *group, n *node, i int, parent *graphql.FieldContext, args argSet) *call {
	c := r.mem.calls.one()
	c.g, c.n, c.i = g, n, i
	c.fc = graphql.FieldContext{
		Parent: parent, Object: n.object, Field: n.field, Args: args.m, IsMethod: n.src != fromField, IsResolver: n.src == fromResolver,
	}
	// The path is the object's, whatever ctx carried.
	c.ctx = withField(ctx, &c.fc, &c.fctx)
	return c
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
