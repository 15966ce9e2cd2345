package engine

import (
	"strings"
	"sync"
	"time"

	"github.com/tributary-gw/tributary/graph/registry"
)

// Rounds. A fetch step is a look-up of one service endpoint at one round:
// the plan numbers them as -explain prints them. A look-up the fetch plan
// starts with its parent's own fetch (registry.Field.Planned, the parent
// fetched by a key known before its fetch) is in its parent's round; any
// other in the round after its parent's. Steps of the same endpoint in the
// same round share one call.
//
// Holding. When the request's loaders would be dispatched (every running
// call waits), the keys queued for an endpoint with one parameter set (a
// queue) are held back — that endpoint alone, the others go — while a
// call in flight (or going out in this dispatch) may yet add keys to the
// same queue, and holding does not lengthen the plan: the held keys'
// subtree still fits in the rounds the plan takes anyway. Keys may wait
// for keys due in their own round whatever is below them, and for keys of
// a later round (within the plan's last) when nothing is fetched below
// them: a held subtree that fetches more would have to be renumbered
// round by round, in the run and in -explain alike, and is not held. So
// the user's ordered products wait for the reviewed ones (same round),
// and the product page's price waits for its related products' prices
// (the round after: the price has nothing below it): one call each, as
// the hand-written floor makes them. A hold ends when no such call is left
// — a call that answers, fails or times out adds what it adds and no
// longer holds anything — and at most MaxHold and half the time left
// before the request's deadline after it began: then everything held goes,
// and the calls waited for hold nothing again (a slow call only loses its
// own keys' place in the call). Parameters are not told apart: the
// endpoint's queue is held or sent whole, as its loader dispatches it.

// relStep is a fetch step relative to a resolver's own round.
type relStep struct {
	step string // its queue (queueOf): service, endpoint and parameters
	off  int    // rounds after the resolver's own
	// height is the rounds the step's subtree takes after its own.
	height int
	// deferred is set for a step reached through a deferred field: it
	// runs in a later phase, not in the initial payload's rounds.
	deferred bool
	// unbatched is set for a step whose every parent is a call of its own.
	unbatched bool
}

// roundInfo is what the rounds know of a resolver that calls a service.
type roundInfo struct {
	step string // its queue (queueOf)
	// byID is set when the resolver fetches its objects by a key known
	// before the fetch: the fetch plan starts their planned look-ups with
	// it, in its round.
	byID bool
	// now are the steps that go out with the resolver's own (itself and
	// the planned look-ups under it, off 0); later those its answer leads
	// to.
	now   []relStep
	later []relStep
}

// stepOf names the fetch step a resolver's look-ups join: its service and
// endpoint.
func stepOf(n *node) string { return n.reg.Service + " " + endpointOf(n) }

// queueOf names the keys a resolver's look-ups queue: its step and the
// parameters they travel with (as written: a variable by its name). Keys
// are held per queue, and dispatched per step (its loader's).
func queueOf(n *node) string {
	return stepOf(n) + "\x00" + strings.Join(argsText(n.field.Arguments, n.reg.BatchArgs), ", ")
}

// endpointOf is the endpoint resolver n calls: its connector's, or for a
// hand-written resolver the service's by-id endpoint (byIDEndpoint).
func endpointOf(n *node) string {
	if n.reg.Endpoint != "" {
		return n.reg.Endpoint
	}
	return byIDEndpoint(n.reg.Service)
}

// byIDEndpoint names the endpoint a hand-written resolver of service
// calls: it fetches its object by the key it was given, through the
// service's by-id loader (the first, by name, if it has several), so that
// the plan names the call as the loaders and the fan-out report do.
func byIDEndpoint(service string) string {
	var loader, endpoint string
	registry.Fields(func(_, _ string, d *registry.Field) {
		if d.Service == service && strings.HasSuffix(d.Loader, "ByIds") && (loader == "" || d.Loader < loader) {
			loader, endpoint = d.Loader, d.Endpoint
		}
	})
	if endpoint == "" {
		return "(hand-written resolver)"
	}
	return endpoint
}

// fetches reports whether n is a resolver that calls a service (a fetch
// step); other resolvers run at once, in their parent's round.
func fetches(n *node) bool {
	return n.src == fromResolver && n.reg != nil && n.reg.Service != ""
}

// byIDOf reports whether resolver n fetches by keys known before the
// fetch (a ...ByIds loader — one id or a list of them, whose fetched
// objects' look-ups the generated resolver starts before the fetch — or a
// hand-written resolver given its key).
func byIDOf(n *node) bool {
	// A write's answer is what it wrote: nothing under it was started
	// with it.
	return !n.reg.Write && (n.reg.Loader == "" && !n.list || strings.HasSuffix(n.reg.Loader, "ByIds"))
}

// stepOffset is the round of fetch step n relative to its parent's, whose
// objects are fetched by id (parentByID) or not.
func stepOffset(n *node, parentByID bool) int {
	if n.reg.Planned && parentByID {
		return 0
	}
	return 1
}

// childByID is whether the objects under n are fetched by id, given its
// parent's: a fetch step's own, an inline resolver's never, a property's
// its parent's.
func childByID(n *node, parentByID bool) bool {
	switch {
	case fetches(n):
		return byIDOf(n)
	case n.src == fromResolver:
		return false
	}
	return parentByID
}

// planRounds works out every fetch step's roundInfo and every execution
// root's span (the query's root, a mutation's serial roots), once per node
// (nodes shared by fields with the same selections included): linear in
// the plan.
func planRounds(pl *plan) {
	type key struct {
		n    *node
		byID bool
	}
	type seenKey struct {
		step     string
		off      int
		deferred bool
	}
	memo := map[key][]relStep{}
	var below func(n *node, byID bool) []relStep
	below = func(n *node, byID bool) []relStep {
		k := key{n, byID}
		if s, ok := memo[k]; ok {
			return s
		}
		memo[k] = nil // a cycle cannot happen; this only guards it
		at := map[seenKey]int{}
		var out []relStep
		add := func(s relStep) {
			sk := seenKey{s.step, s.off, s.deferred}
			if i, ok := at[sk]; ok {
				out[i].height = max(out[i].height, s.height)
				return
			}
			at[sk] = len(out)
			out = append(out, s)
		}
		for _, c := range n.execChildren {
			deferred := len(c.deferIn) > 0
			off := 0
			if fetches(c) {
				off = stepOffset(c, byID)
				if c.rounds == nil {
					ri := &roundInfo{step: queueOf(c), byID: byIDOf(c)}
					var sub []relStep
					for _, b := range bodies(c) {
						sub = append(sub, below(b, ri.byID)...)
					}
					ri.now = append(ri.now, relStep{step: ri.step, height: spanOf(sub, true), unbatched: c.reg.Unbatched})
					for _, s := range sub {
						if s.off == 0 {
							ri.now = append(ri.now, s)
						} else {
							ri.later = append(ri.later, s)
						}
					}
					c.rounds = ri
				}
				add(relStep{step: c.rounds.step, off: off, height: c.rounds.now[0].height, deferred: deferred, unbatched: c.reg.Unbatched})
			}
			for _, b := range bodies(c) {
				for _, s := range below(b, childByID(c, byID)) {
					s.off += off
					s.deferred = s.deferred || deferred
					add(s)
				}
			}
		}
		memo[k] = out
		return out
	}
	steps := below(pl.root, false)
	pl.root.span, pl.spanAll = spanOf(steps, false), spanOf(steps, true)
	for _, r := range pl.serial {
		r.span = spanOf(below(r, false), false)
	}
}

// bodies are the nodes whose children are n's fields: n itself, or for a
// field of interface or union type its variants (abstract.go).
func bodies(n *node) []*node {
	if len(n.variants) == 0 {
		return []*node{n}
	}
	out := make([]*node, len(n.variants))
	for i, v := range n.variants {
		out[i] = v.node
	}
	return out
}

// spanOf is the last round of steps (zero for none), with or without
// the deferred ones.
func spanOf(steps []relStep, deferred bool) int {
	last := 0
	for _, s := range steps {
		if deferred || !s.deferred {
			last = max(last, s.off+s.height)
		}
	}
	return last
}

// roundOf is the round of a call to resolver c over the objects of g.
func roundOf(g *group, c *node) int {
	if fetches(c) {
		return g.round + stepOffset(c, g.byID)
	}
	return g.round
}

// rounds is a run's bookkeeping of which calls wait, and since when.
type rounds struct {
	mu sync.Mutex
	// gen counts dispatches: a call that started waiting before the
	// latest one, or on keys the loaders had sent, waits on a call in
	// flight; another on keys not sent yet (pending).
	gen int64
	// waiting are the calls that wait (each at its waitAt-1): a slice, not
	// a map, as a run's calls are few and added and removed often.
	waiting []*call
	// held are the steps whose queued keys are held back (see the top of
	// this file), with the round and height of what they hold; timer ends
	// the hold.
	held  map[string]heldStep
	timer *time.Timer
	// holdID names the latest hold, so a timer that fires late for an
	// earlier one does nothing.
	holdID int64
}

// heldStep is what a queue holds: the latest round its keys are due in,
// and the round of those whose subtrees fetch more (-1: none do, -2: they
// are due in different rounds).
type heldStep struct{ round, deep int }

// with is h with keys due in round whose subtrees take height more rounds.
func (h heldStep) with(round, height int) heldStep {
	h.round = max(h.round, round)
	switch {
	case height == 0:
	case h.deep == -1:
		h.deep = round
	case h.deep != round:
		h.deep = -2
	}
	return h
}

// waitsFor reports whether keys held as h may wait for keys due in round
// at: keys whose subtrees fetch nothing may wait for a later round (the
// plan's rounds do not move: nothing below them is renumbered), others
// only for keys of their own round.
func (h heldStep) waitsFor(at, last int) bool {
	return at >= h.round && at <= last && (h.deep == -1 || h.deep == at)
}

var _ Waiter = (*call)(nil)

// Wait and Wake are the loaders' hooks for call c (Runtime.OnWait).
// An answer may come before the hook that announces the wait: c.waits
// then goes +1 before -1, and c never counts as waiting.
func (c *call) Wait(sent bool) {
	r := c.r
	rs := &r.rs
	rs.mu.Lock()
	if c.waits--; c.waits < 0 {
		c.waitGen = rs.gen
		if sent {
			c.waitGen-- // in flight already
		}
		if c.waitAt == 0 {
			if rs.waiting == nil {
				rs.waiting = make([]*call, 0, 16)
			}
			rs.waiting = append(rs.waiting, c)
			c.waitAt = len(rs.waiting)
		}
	}
	rs.mu.Unlock()
	r.idle()
}

func (c *call) Wake() {
	r := c.r
	r.active.Add(1)
	rs := &r.rs
	rs.mu.Lock()
	if c.waits++; c.waits >= 0 {
		rs.unwait(c)
	}
	rs.mu.Unlock()
}

// unwait removes c from the waiting calls (rs.mu held).
func (rs *rounds) unwait(c *call) {
	i := c.waitAt - 1
	if i < 0 {
		return
	}
	last := rs.waiting[len(rs.waiting)-1]
	rs.waiting[i], last.waitAt = last, i+1
	rs.waiting[len(rs.waiting)-1] = nil
	rs.waiting = rs.waiting[:len(rs.waiting)-1]
	c.waitAt = 0
}

// idle gives up a unit; the last one dispatches the loaders, but for the
// steps held for keys still to come (see the top of this file).
func (r *run) idle() {
	if r.active.Add(-1) != 0 {
		return
	}
	rs := &r.rs
	rs.mu.Lock()
	held := r.hold()
	r.dispatchLocked(held)
	rs.mu.Unlock()
	r.rounds.Add(1)
	if held == nil {
		r.dispatch(nil)
		return
	}
	// held is not changed once made (a later hold is another map); it
	// holds a queue or two: looked through, not indexed by step.
	r.dispatch(func(service, endpoint string) bool {
		for q := range held {
			if isStep(q, service, endpoint) {
				return true
			}
		}
		return false
	})
}

// isStep reports whether queue q (queueOf) is of service's endpoint.
func isStep(q, service, endpoint string) bool {
	step, _, _ := strings.Cut(q, "\x00")
	return len(step) == len(service)+1+len(endpoint) && strings.HasPrefix(step, service) &&
		step[len(service)] == ' ' && strings.HasSuffix(step, endpoint)
}

// dispatchLocked records a dispatch of every step but held (rs.mu held);
// the caller dispatches. Calls waiting on keys of a held step still wait
// on keys not sent. A hold that begins arms its timer; one that ends
// stops it.
func (r *run) dispatchLocked(held map[string]heldStep) {
	rs := &r.rs
	rs.gen++
	for _, c := range rs.waiting {
		if c.waitGen == rs.gen-1 && c.n.rounds != nil {
			if _, ok := held[c.n.rounds.step]; ok {
				c.waitGen = rs.gen
			}
		}
	}
	rs.held = held
	switch {
	case held == nil && rs.timer != nil:
		rs.timer.Stop()
		rs.timer = nil
	case held != nil && rs.timer == nil:
		r.armHold()
	}
}

// hold works out which queues to hold at a dispatch (rs.mu held): those
// whose queued keys (announced by the calls waiting on them, or held
// already) a call in flight or going out now may add to at a round they
// may wait for (heldStep.waitsFor).
func (r *run) hold() map[string]heldStep {
	rs := &r.rs
	pending := map[string]heldStep{}
	for s, h := range rs.held {
		pending[s] = h
	}
	for _, c := range rs.waiting {
		if c.waitGen != rs.gen || c.n.rounds == nil {
			continue
		}
		for _, s := range c.n.rounds.now {
			if s.unbatched {
				continue // each parent is a call of its own: nothing to share
			}
			h, ok := pending[s.step]
			if !ok {
				h = heldStep{round: c.round, deep: -1}
			}
			pending[s.step] = h.with(c.round, s.height)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	// adds reports whether c may add keys to pending step s that its keys
	// may wait for.
	adds := func(c *call, s string) bool {
		h := pending[s]
		for _, l := range c.n.rounds.later {
			if l.step == s && h.waitsFor(c.round+l.off, r.last) {
				return true
			}
		}
		return false
	}
	// Candidates first: a call whose own step is a candidate is not
	// counted on to go out (two steps never hold for each other).
	cand := map[string]bool{}
	for _, c := range rs.waiting {
		if c.released || c.n.rounds == nil {
			continue
		}
		for s := range pending {
			if !cand[s] && adds(c, s) {
				cand[s] = true
			}
		}
	}
	var held map[string]heldStep
	for _, c := range rs.waiting {
		if c.released || c.n.rounds == nil || c.waitGen == rs.gen && cand[c.n.rounds.step] {
			continue
		}
		for s := range cand {
			if _, ok := held[s]; !ok && adds(c, s) {
				if held == nil {
					held = map[string]heldStep{}
				}
				held[s] = pending[s]
			}
		}
	}
	return held
}

// armHold bounds a hold (rs.mu held): at most MaxHold, and half the time
// left before the request's deadline, so the held step still has the
// other half. When it ends, the calls it waited for are released (no
// later hold waits for them) and the loaders are dispatched.
func (r *run) armHold() {
	d := r.e.cfg.MaxHold
	if dl, ok := r.ctx.Deadline(); ok {
		if left := time.Until(dl) / 2; d <= 0 || left < d {
			d = left
		}
	}
	if d <= 0 {
		d = time.Nanosecond
	}
	r.rs.holdID++
	id := r.rs.holdID
	r.rs.timer = time.AfterFunc(d, func() { r.holdExpired(id) })
}

func (r *run) holdExpired(id int64) {
	rs := &r.rs
	rs.mu.Lock()
	if rs.timer == nil || rs.holdID != id {
		rs.mu.Unlock()
		return
	}
	for _, c := range rs.waiting {
		if c.waitGen != rs.gen {
			c.released = true
		}
	}
	rs.timer = nil
	r.dispatchLocked(nil)
	rs.mu.Unlock()
	r.rounds.Add(1)
	r.dispatch(nil)
}

// stopRounds ends a run's hold.
func (r *run) stopRounds() {
	r.rs.mu.Lock()
	r.dispatchLocked(nil)
	r.rs.mu.Unlock()
}
