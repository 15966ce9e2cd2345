package engine

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Rounds. A fetch step is a look-up of one service endpoint (one loader)
// at one round: the plan numbers them as -explain prints them. A look-up
// the fetch plan starts with its parent's own fetch (registry.Field.Planned,
// the parent fetched by a key known before its fetch) is in its parent's
// round; any other in the round after its parent's. Steps of the same
// endpoint in the same round share one call: when the request's loaders
// would be dispatched (every running call waits), keys already asked for
// a step are held while a call still in flight from an earlier round may
// yet add keys to the same step — the user's ordered products wait for the
// reviewed ones, and go to the catalog in one call. A hold lasts until
// those calls have answered (or failed), and at most MaxHold and half the
// time left before the request's deadline: a slow parent only loses its
// own keys' place in the call.

// relStep is a fetch step relative to a resolver's own round.
type relStep struct {
	step string // service and loader (or endpoint)
	off  int    // rounds after the resolver's own
}

// roundInfo is what the rounds know of a resolver that calls a service.
type roundInfo struct {
	step string
	// byID is set when the resolver fetches its objects by a key known
	// before the fetch: the fetch plan starts their planned look-ups with
	// it, in its round.
	byID bool
	// now are the steps that go out with the resolver's own (itself and
	// the planned look-ups under it); later those its answer leads to.
	now   []string
	later []relStep
}

// stepOf names the fetch step a resolver's look-ups join.
func stepOf(n *node) string {
	if n.reg.Loader != "" {
		return n.reg.Service + " " + n.reg.Loader
	}
	return n.reg.Service + " " + n.reg.Endpoint
}

// fetches reports whether n is a resolver that calls a service (a fetch
// step); other resolvers run at once, in their parent's round.
func fetches(n *node) bool {
	return n.src == fromResolver && n.reg != nil && n.reg.Service != ""
}

// byIDOf reports whether resolver n fetches by a key known before the
// fetch (a ...ByIds loader, or a hand-written resolver given its key).
func byIDOf(n *node) bool {
	// A write's answer is what it wrote: nothing under it was started
	// with it.
	return !n.reg.Write && (n.reg.Loader == "" || strings.HasSuffix(n.reg.Loader, "ByIds")) && !n.list
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

// planRounds works out every fetch step's roundInfo, once per node (nodes
// shared by fields with the same selections included): linear in the plan.
func planRounds(root *node) {
	type key struct {
		n    *node
		byID bool
	}
	memo := map[key][]relStep{}
	var below func(n *node, byID bool) []relStep
	below = func(n *node, byID bool) []relStep {
		k := key{n, byID}
		if s, ok := memo[k]; ok {
			return s
		}
		memo[k] = nil // a cycle cannot happen; this only guards it
		seen := map[relStep]bool{}
		var out []relStep
		add := func(s relStep) {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		for _, c := range n.execChildren {
			off := 0
			if fetches(c) {
				off = stepOffset(c, byID)
				add(relStep{stepOf(c), off})
				if c.rounds == nil {
					ri := &roundInfo{step: stepOf(c), byID: byIDOf(c)}
					ri.now = append(ri.now, ri.step)
					for _, s := range below(c, ri.byID) {
						if s.off == 0 {
							if !slices.Contains(ri.now, s.step) {
								ri.now = append(ri.now, s.step)
							}
						} else {
							ri.later = append(ri.later, s)
						}
					}
					c.rounds = ri
				}
			}
			for _, s := range below(c, childByID(c, byID)) {
				add(relStep{s.step, s.off + off})
			}
		}
		memo[k] = out
		return out
	}
	below(root, false)
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
	gen     int64
	waiting map[*call]struct{}
	held    bool
	timer   *time.Timer
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
		if rs.waiting == nil {
			rs.waiting = map[*call]struct{}{}
		}
		rs.waiting[c] = struct{}{}
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
		delete(rs.waiting, c)
	}
	rs.mu.Unlock()
}

// idle gives up a unit; the last one dispatches the loaders, unless a
// round's step is held for keys still to come (see the top of this file).
func (r *run) idle() {
	if r.active.Add(-1) != 0 {
		return
	}
	rs := &r.rs
	rs.mu.Lock()
	if r.holdFor() {
		if !rs.held {
			rs.held = true
			r.armHold()
		}
		rs.mu.Unlock()
		return
	}
	r.dispatchLocked()
	rs.mu.Unlock()
	r.rounds.Add(1)
	r.dispatch()
}

// dispatchLocked records a dispatch (rs.mu held); the caller dispatches.
func (r *run) dispatchLocked() {
	rs := &r.rs
	rs.gen++
	rs.held = false
	if rs.timer != nil {
		rs.timer.Stop()
		rs.timer = nil
	}
}

// holdFor reports whether a call in flight may add keys to a step whose
// keys are pending (rs.mu held).
func (r *run) holdFor() bool {
	rs := &r.rs
	type at struct {
		step  string
		round int
	}
	var pending map[at]bool
	for c := range rs.waiting {
		if c.waitGen != rs.gen || c.n.rounds == nil {
			continue
		}
		if pending == nil {
			pending = map[at]bool{}
		}
		for _, s := range c.n.rounds.now {
			pending[at{s, c.round}] = true
		}
	}
	if pending == nil {
		return false
	}
	for c := range rs.waiting {
		if c.waitGen == rs.gen || c.released || c.n.rounds == nil {
			continue
		}
		for _, s := range c.n.rounds.later {
			if pending[at{s.step, c.round + s.off}] {
				return true
			}
		}
	}
	return false
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
	gen := r.rs.gen
	r.rs.timer = time.AfterFunc(d, func() { r.holdExpired(gen) })
}

func (r *run) holdExpired(gen int64) {
	rs := &r.rs
	rs.mu.Lock()
	if !rs.held || rs.gen != gen {
		rs.mu.Unlock()
		return
	}
	for c := range rs.waiting {
		if c.waitGen != rs.gen {
			c.released = true
		}
	}
	r.dispatchLocked()
	rs.mu.Unlock()
	r.rounds.Add(1)
	r.dispatch()
}

// stopRounds ends a run's hold timer.
func (r *run) stopRounds() {
	r.rs.mu.Lock()
	r.dispatchLocked()
	r.rs.mu.Unlock()
}
