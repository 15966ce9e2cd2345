package cost

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/internal/upstream"
)

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
			n = SatAdd(n, p-1)
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
	fc          Fields
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
	e.work = SatAdd(e.work, n)
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
		out.keys[k] = SatAdd(out.keys[k], SatMul(n, mult))
	}
	out.items = SatAdd(out.items, SatMul(sum.items, mult))
	out.introItems = SatAdd(out.introItems, SatMul(sum.introItems, mult))
	// Aliases count once per place they appear in the collected query,
	// not per object: they are a property of the query's shape.
	out.aliases = SatAdd(out.aliases, sum.aliases)
	if sum.depth > 0 || depth > 0 {
		out.depth = max(out.depth, SatAdd(sum.depth, depth))
	}
	if sum.introDepth > 0 || introDepth > 0 {
		out.introDepth = max(out.introDepth, SatAdd(sum.introDepth, introDepth))
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

// field summarises one collected field: its own alias, depth, look-up and
// items, and its selections times the objects it returns.
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
	label := e.lookup(out, f, info, size, intro)
	if n, ok := sizedLookup(sized, f.Name); ok {
		size, hasSize = n, true
	}
	childSized := ""
	if len(info.Size.SizedFields) > 0 {
		childSized = sizedChildren(info.Size.SizedFields, size)
		hasSize = false // the size applies to the named children
	}
	var sets []ast.SelectionSet
	for _, x := range g.fields {
		if len(x.SelectionSet) > 0 {
			sets = append(sets, x.SelectionSet)
		}
	}
	childMult := int64(1)
	if f.Definition.Type.Elem != nil { // a list
		if !hasSize {
			size = e.defaultList
		}
		childMult = size
		if len(sets) > 0 {
			if intro {
				out.introItems = childMult
			} else {
				out.items = childMult
			}
		}
	} else if len(sets) > 0 && childSized == "" && !intro {
		out.items = 1
	}
	if len(sets) > 0 {
		e.add(out, e.selections(sets, childSized, intro), childMult, e.child(0, label), depth, introDepth)
	}
	return out
}

// lookup adds to out the keys f asks of its service's look-up (one, or
// size for a list of ids), and returns the origin label of f's children:
// this field's place. Fields at different places get their parents at
// different moments (prefetches, other calls), so only siblings share a
// look-up.
func (e *estimator) lookup(out *summary, f *ast.Field, info FieldInfo, size int64, intro bool) string {
	if info.Service == "" || intro {
		return "F\x00" + responseKey(f)
	}
	batch := e.batchID(f, info)
	if l := int64(info.BatchLimit); l > 0 {
		if old, ok := e.limits[info.Service]; !ok || l < old {
			e.limits[info.Service] = l
		}
	}
	if info.Unbatched {
		// Each occurrence is a call of its own, answered on its own.
		batch += "\x00" + responseKey(f)
	}
	keys := int64(1)
	if e.sliceIsList(f, info) {
		keys = size // ids: each is a key of the look-up
	}
	out.keys[callKey{service: info.Service, batch: batch}] = keys
	return "S\x00" + info.Service + "\x00" + batch + "\x01" + responseKey(f)
}

// sizedChildren is the "name=size,…" list a connection passes down to its
// sized fields.
func sizedChildren(names []string, size int64) string {
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + "=" + strconv.FormatInt(size, 10)
	}
	return strings.Join(parts, ",")
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
			if n, _, ok := Measure(f, ad, e.vars); ok {
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
