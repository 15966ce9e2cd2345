package connect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// DefaultShareQueue bounds the keys waiting for an endpoint's next shared
// call when ShareConfig.MaxQueued is zero: ten calls at the contract's
// batch limit.
const DefaultShareQueue = 10 * upstream.MaxBatch

// DefaultShareCalls is how many calls of one endpoint and caller may be in
// flight at once when ShareConfig.MaxCalls is zero.
const DefaultShareCalls = 2

// ShareConfig configures the sharing of reads across requests.
type ShareConfig struct {
	// MaxCalls is how many shared calls of one loader (endpoint) and
	// caller may be in flight at once; zero means DefaultShareCalls. A key
	// that is in none of them goes out at once while a slot is free, and
	// otherwise queues for the next slot to free up (group commit). One
	// slot shares the most calls but makes a key wait for up to a whole
	// call before its own is sent; a second slot halves that wait under
	// load and still bounds the calls per endpoint by time, not by load.
	MaxCalls int
	// MaxQueued bounds the keys of one loader (endpoint) and caller
	// waiting for its next call; zero means DefaultShareQueue. Past it, a
	// request's further keys go out in a call of their own, unshared, as
	// if sharing were off: memory stays bounded and the backend sees no
	// more calls than without sharing.
	MaxQueued int
	// Go runs a shared call (the gateway's workers, whose stacks are
	// grown already); nil starts a goroutine per call.
	Go func(func())
}

// Share lets concurrent requests share their backend reads, without a
// timer. Beneath each request's dataloaders, per loader and caller:
//
//   - single flight: a key already in a call being sent is not asked for
//     again; its callers wait for that call's answer;
//   - group commit: while MaxCalls calls are in flight, the keys other
//     requests ask for queue, and go out together in the next call as soon
//     as one of them returns (split at the batch limit by the batch
//     function). While a slot is free, keys go out at once: one request at
//     a time waits for nothing more than before.
//
// Callers whose calls would forward different headers (upstream.Client's
// Caller) never share. A shared call runs detached from any one caller:
// a caller that leaves (cancelled, timed out) does not cancel it for the
// others, and each caller waits only until its own deadline. The call's
// deadline is the latest of its callers' deadlines when it is sent, each
// attempt bounded by the service's timeout as usual; it is cancelled when
// its last caller leaves. A nil *Share shares nothing.
//
// Only reads go through it: it sits beneath the loaders, which only read.
type Share struct {
	maxQueued int
	maxCalls  int
	goFn      func(func())

	mu     sync.Mutex
	groups map[string]any // loader name + caller → *shareGroup[K, V]
}

// NewShare returns a Share for cfg.
func NewShare(cfg ShareConfig) *Share {
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = DefaultShareQueue
	}
	if cfg.MaxCalls <= 0 {
		cfg.MaxCalls = DefaultShareCalls
	}
	if cfg.Go == nil {
		cfg.Go = func(f func()) { go f() }
	}
	return &Share{maxQueued: cfg.MaxQueued, maxCalls: cfg.MaxCalls, goFn: cfg.Go, groups: map[string]any{}}
}

// Groups is the number of loader and caller pairs with a call in flight
// or keys queued: zero when the gateway is idle (nothing is kept).
func (s *Share) Groups() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.groups)
}

// shareGroup is the state of one loader for one caller. Under Share.mu.
type shareGroup[K comparable, V any] struct {
	inflight map[K]*flight[K, V] // keys of the calls in flight
	flying   []*flight[K, V]     // the calls in flight
	next     *flight[K, V]       // keys queued for the next call
}

// alone reports whether the request owner waits on every call in flight
// and nobody else does: its keys then go out at once, since waiting for
// its own earlier call (two parents of one level answering apart) would
// add a round trip without sharing anything.
func (g *shareGroup[K, V]) alone(owner any) bool {
	for _, f := range g.flying {
		if !f.only(owner) {
			return false
		}
	}
	return true
}

// flight is one shared call of a batch function.
type flight[K comparable, V any] struct {
	fn    dataloader.BatchFunc[K, V]
	keys  []K
	index map[K]int
	// values is the context whose values (forwarded headers, request id,
	// trace) the call carries: its first caller's, without its
	// cancellation. The callers of one group forward the same headers.
	values context.Context
	// deadline is the latest of the callers' deadlines; zero when one of
	// them has none.
	deadline   time.Time
	noDeadline bool

	// Under Share.mu.
	owners  []any // the requests waiting, for shareGroup.alone
	waiters int
	sent    bool
	cancel  context.CancelFunc

	done chan struct{}
	// Set before done is closed.
	res []*dataloader.Result[V]
	rec *upstream.Recorder
}

func (f *flight[K, V]) add(k K) {
	f.index[k] = len(f.keys)
	f.keys = append(f.keys, k)
}

// join counts ctx's caller, of request owner, among f's waiters and
// extends f's deadline to its own.
func (f *flight[K, V]) join(ctx context.Context, owner any) {
	f.waiters++
	if !contains(f.owners, owner) {
		f.owners = append(f.owners, owner)
	}
	if f.sent || f.noDeadline {
		return
	}
	d, ok := ctx.Deadline()
	switch {
	case !ok:
		f.noDeadline = true
	case d.After(f.deadline):
		f.deadline = d
	}
}

// Shared returns fn sharing its calls with the same loader's in other
// requests through s (fn itself when s is nil). name identifies the
// loader (its endpoint and the type it decodes), c its service's client,
// owner the request (any comparable value distinct per request). Every
// request's fn for one name must be the same batch function.
func Shared[K comparable, V any](s *Share, name string, c *upstream.Client, owner any, fn dataloader.BatchFunc[K, V]) dataloader.BatchFunc[K, V] {
	if s == nil {
		return fn
	}
	return func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		rec := upstream.RecorderFrom(ctx)
		if len(keys) == 0 || (rec != nil && rec.Spent()) {
			// Over an enforced fan-out budget the call is refused for this
			// request alone, by the client, as without sharing.
			return fn(ctx, keys)
		}
		return share(ctx, s, name+"\x00"+c.Caller(ctx), c, owner, fn, keys, rec)
	}
}

func share[K comparable, V any](ctx context.Context, s *Share, id string, c *upstream.Client, owner any, fn dataloader.BatchFunc[K, V], keys []K, rec *upstream.Recorder) []*dataloader.Result[V] {
	at := make([]*flight[K, V], len(keys))
	var own []int // keys past the queue's bound
	var mine []*flight[K, V]

	s.mu.Lock()
	g, ok := s.groups[id].(*shareGroup[K, V])
	if !ok {
		// Sized for this batch, the usual all of the group's traffic
		// (a group ends when its last call does).
		g = &shareGroup[K, V]{inflight: make(map[K]*flight[K, V], len(keys))}
		s.groups[id] = g
	}
	for i, k := range keys {
		if f := g.inflight[k]; f != nil && !f.only(owner) {
			at[i] = f
		} else if g.next != nil && g.next.has(k) {
			at[i] = g.next
		} else if g.next != nil && len(g.next.keys) >= s.maxQueued {
			own = append(own, i)
			continue
		} else {
			if g.next == nil {
				n := min(len(keys)-i, s.maxQueued) // the keys it may take from this batch
				g.next = &flight[K, V]{fn: fn, keys: make([]K, 0, n), index: make(map[K]int, n),
					values: context.WithoutCancel(ctx), done: make(chan struct{})}
			}
			g.next.add(k)
			at[i] = g.next
		}
		if !contains(mine, at[i]) {
			mine = append(mine, at[i])
			at[i].join(ctx, owner)
		}
	}
	if g.next != nil && (len(g.flying) < s.maxCalls || g.alone(owner)) {
		sendGroup(s, id, g)
	}
	s.mu.Unlock()

	out, res := results[V](len(keys))
	if len(own) > 0 {
		ownKeys := make([]K, len(own))
		for j, i := range own {
			ownKeys[j] = keys[i]
		}
		for j, r := range fn(ctx, ownKeys) {
			res[own[j]] = *r
		}
	}
	for _, f := range mine {
		select {
		case <-f.done:
			if rec != nil {
				rec.Merge(f.rec)
			}
		case <-ctx.Done():
			leave(s, id, f)
		}
	}
	var gone error
	for i, f := range at {
		if f == nil {
			continue // answered by its own call
		}
		select {
		case <-f.done:
			if f.res != nil {
				if r := f.res[f.index[keys[i]]]; r != nil {
					res[i] = *r
					continue
				}
			}
		default:
		}
		if gone == nil {
			gone = left(ctx, c)
		}
		res[i] = dataloader.Result[V]{Error: gone}
	}
	return out
}

// only reports whether owner is the one request waiting on f. A request
// does not join its own call in flight: alone, it makes the calls it made
// without sharing, whatever the timing (the docs and the bench count them).
func (f *flight[K, V]) only(owner any) bool {
	return len(f.owners) == 1 && f.owners[0] == owner
}

func (f *flight[K, V]) has(k K) bool {
	_, ok := f.index[k]
	return ok
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// left is the error of a caller that stopped waiting for a shared call.
func left(ctx context.Context, c *upstream.Client) error {
	err := ctx.Err()
	if err == nil {
		err = errors.New("shared call abandoned")
	}
	code := upstream.CodeUnavailable
	if errors.Is(err, context.DeadlineExceeded) {
		code = upstream.CodeTimeout
	}
	return &upstream.Error{Service: c.Service(), Code: code, Temp: true, Err: err}
}

// leave stops counting a caller among f's waiters; the last one to leave
// cancels the call, whose keys no later caller may then join.
func leave[K comparable, V any](s *Share, id string, f *flight[K, V]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.waiters--
	if f.waiters > 0 || !f.sent {
		return // a queued flight nobody waits for is dropped when its turn comes
	}
	f.cancel()
	if g, ok := s.groups[id].(*shareGroup[K, V]); ok {
		for _, k := range f.keys {
			if g.inflight[k] == f {
				delete(g.inflight, k)
			}
		}
	}
}

// sendGroup sends g's queued keys as its next call. Under s.mu.
func sendGroup[K comparable, V any](s *Share, id string, g *shareGroup[K, V]) {
	for g.next != nil && g.next.waiters == 0 {
		// Every caller of the queued keys has left: nothing to send.
		f := g.next
		g.next = nil
		close(f.done)
	}
	if g.next == nil {
		if len(g.flying) == 0 {
			delete(s.groups, id)
		}
		return
	}
	f := g.next
	g.next, f.sent = nil, true
	g.flying = append(g.flying, f)
	for _, k := range f.keys {
		g.inflight[k] = f
	}
	ctx := f.values
	if f.noDeadline {
		ctx, f.cancel = context.WithCancel(ctx)
	} else {
		ctx, f.cancel = context.WithDeadline(ctx, f.deadline)
	}
	// The call's attempts are recorded apart and merged into each caller's
	// recorder when it is answered (its fan-out report, budget, access log).
	f.rec = upstream.NewRecorder()
	ctx = upstream.WithRecorder(ctx, f.rec)
	s.goFn(func() {
		res := call(ctx, f.fn, f.keys)
		f.cancel()
		s.mu.Lock()
		f.res = res
		for _, k := range f.keys {
			if g.inflight[k] == f {
				delete(g.inflight, k)
			}
		}
		g.flying = slices.DeleteFunc(g.flying, func(x *flight[K, V]) bool { return x == f })
		sendGroup(s, id, g)
		s.mu.Unlock()
		close(f.done)
	})
}

// waiting is the number of callers waiting on g's calls (a caller of two
// flights counts twice). Under Share.mu.
func (g *shareGroup[K, V]) waiting() (n, queued int) {
	var seen []*flight[K, V]
	for _, f := range g.inflight {
		if !contains(seen, f) {
			seen = append(seen, f)
			n += f.waiters
		}
	}
	if g.next != nil {
		n += g.next.waiters
		queued = len(g.next.keys)
	}
	return n, queued
}

// waiting is the number of callers waiting on shared calls, and the keys
// queued for next calls, over every group (tests wait on it).
func (s *Share) waiting() (n, queued int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.groups {
		w, q := g.(interface{ waiting() (int, int) }).waiting()
		n, queued = n+w, queued+q
	}
	return n, queued
}

// call runs fn in a goroutine of its own: a panic there would end the
// process, so it becomes every key's error instead, as dataloader makes of
// a batch function's panic.
func call[K comparable, V any](ctx context.Context, fn dataloader.BatchFunc[K, V], keys []K) (res []*dataloader.Result[V]) {
	defer func() {
		if p := recover(); p != nil {
			err := fmt.Errorf("shared call panicked: %v", p)
			res = make([]*dataloader.Result[V], len(keys))
			for i := range res {
				res[i] = &dataloader.Result[V]{Error: err}
			}
		}
	}()
	res = fn(ctx, keys)
	if len(res) != len(keys) {
		err := fmt.Errorf("batch function answered %d results for %d keys", len(res), len(keys))
		res = make([]*dataloader.Result[V], len(keys))
		for i := range res {
			res[i] = &dataloader.Result[V]{Error: err}
		}
	}
	return res
}
