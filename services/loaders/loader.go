package loaders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/engine"
)

// inputCapacity bounds the keys queued for a batch before Load waits.
const inputCapacity = 32

// kind is what the loaders of one endpoint share across requests, made
// once per gateway: the batch function, dataloader's options and the
// configured default of its service's failures.
type kind[K comparable, V any] struct {
	name string // loader name, for the stale cache
	// service answers this loader; critical is its configured default.
	service  string
	critical bool
	fn       dataloader.BatchFunc[K, V]
	opts     []dataloader.Option[K, V]
}

func newKind[K comparable, V any](cfg Config, name, service string, fn dataloader.BatchFunc[K, V]) *kind[K, V] {
	wait := cfg.Wait
	if wait <= 0 {
		wait = DefaultWait
	}
	if !cfg.Timer {
		wait = cfg.Backstop
		if wait <= 0 {
			wait = DefaultBackstop
		}
	}
	// No capacity: a level's keys go to the batch function together, and
	// the client splits them into chunks of 100 sent in parallel (a
	// capacity of 100 would send the first chunk early, the rest later).
	capacity := 0
	if cfg.Disabled {
		capacity = 1
	}
	return &kind[K, V]{name: name, service: service, critical: cfg.Critical[service], fn: fn, opts: []dataloader.Option[K, V]{
		dataloader.WithWait[K, V](wait),
		dataloader.WithBatchCapacity[K, V](capacity),
		// The queue between Load and the batch: dataloader's 1,000 slots
		// are an 8 KB allocation per batch, for levels of tens of keys; a
		// larger level only makes Load wait for the batch goroutine to
		// take keys (BenchmarkLoadAll: no dearer at 50 keys with 32 slots
		// than with 128).
		dataloader.WithInputCapacity[K, V](inputCapacity),
		dataloader.WithTracer[K, V](newQuietTracer[K, V]()),
		// The Loader keeps the request's memo (see Loader.keys).
		dataloader.WithCache[K, V](&dataloader.NoCache[K, V]{}),
	}}
}

// Loader is a dataloader whose waits are known to the plan engine. Its
// dataloader and bookkeeping are made when the request first asks it for
// a key: a request uses a few of the schema's loaders.
//
// The request's memo is the loader's own: one entry per key asked for
// holds dataloader's thunk, when the key was asked and the engine's
// waiters of it, so a key costs one map operation. Dataloader caches
// nothing (NoCache): every key reaches it once, and only its batching is
// used.
type Loader[K comparable, V any] struct {
	*kind[K, V]
	req  *request
	disp *Dispatcher // nil: the loader's own wait window sends its batches
	once sync.Once
	dl   *dataloader.Loader[K, V]

	// mu orders the engine's dispatches with the asking of keys, so a
	// batch can tell whether a dispatch or the backstop timer sent it: a
	// dispatch bumps gen, and a batch holding a key asked before the
	// current gen was closed by a flush. (A flag set at flush time and
	// read by the batch miscounts when two flushes of one loader come
	// before the first batch starts.)
	mu   sync.Mutex
	gen  uint32
	keys map[K]*entry[V] // every key asked for, until a failure not to keep
	// Entries and primed values are made in blocks (see ahead).
	entries ahead[entry[V]]
	primed  ahead[dataloader.Result[V]]
}

// entry is what the loader knows of one key.
type entry[V any] struct {
	th dataloader.Thunk[V] // nil for a primed value
	// res is the batch function's answer, set with done: read after the
	// entry is seen done, it saves a call of th (dataloader's thunk
	// allocates twice per call). A failed batch (a panic, too few
	// results) leaves it nil, and th has dataloader's error.
	// A primed entry has res and no th.
	res  *dataloader.Result[V]
	gen  uint32 // the loader's gen when the key was asked
	done bool   // its batch has answered (or it was primed)
	wl   waitList
}

// get returns the key's value, waiting for its batch unless it is known
// to be done.
func (e *entry[V]) get() (V, error) {
	if e.res != nil {
		return e.res.Data, e.res.Error
	}
	return e.th()
}

// bind makes l the request's loader of kind k (nothing is started yet).
func (l *Loader[K, V]) bind(req *request, k *kind[K, V]) *Loader[K, V] {
	l.kind, l.req, l.disp = k, req, req.disp
	return l
}

// newTracked returns the request's loader of one endpoint.
func newTracked[K comparable, V any](req *request, cfg Config, name, service string, fn dataloader.BatchFunc[K, V]) *Loader[K, V] {
	return new(Loader[K, V]).bind(req, newKind(cfg, name, service, fn))
}

// start makes the loader's dataloader when it is first used.
func (l *Loader[K, V]) start() { l.once.Do(l.init) }

func (l *Loader[K, V]) init() {
	// Beneath the request's loader, its calls are shared with concurrent
	// requests' (nil cfg.Share: not).
	fn := connect.Shared(l.req.cfg.Share, l.name, l.req.clients[l.service], l.req, l.fn)
	l.dl = dataloader.NewBatchedLoader(l.wrap(fn), l.opts...)
	if l.disp != nil {
		l.disp.register(l, l.service, endpointOf(l.name, l.service))
	}
}

// flush sends the keys queued (the engine's dispatch).
func (l *Loader[K, V]) flush() {
	l.mu.Lock()
	l.gen++
	l.dl.Flush()
	l.mu.Unlock()
}

// endpointOf is the endpoint of a loader named as the generated ones are:
// service, endpoint and result type, dot-separated
// ("catalog.products.byIds.Product").
func endpointOf(name, service string) string {
	e := strings.TrimPrefix(name, service+".")
	if i := strings.LastIndexByte(e, '.'); i > 0 {
		e = e[:i]
	}
	return e
}

// wrap counts the batches the backstop timer sent, and wakes the engine's
// waiters of the keys a batch answers before dataloader wakes the calls,
// so a round is known to be answered before any of it can run on.
func (l *Loader[K, V]) wrap(fn dataloader.BatchFunc[K, V]) dataloader.BatchFunc[K, V] {
	return func(ctx context.Context, keys []K) (res []*dataloader.Result[V]) {
		if l.disp != nil && len(keys) > 0 {
			l.mu.Lock()
			e := l.keys[keys[0]]
			dispatched := e != nil && e.gen < l.gen
			l.mu.Unlock()
			if !dispatched {
				l.disp.backstops.Add(1)
			}
		}
		panicked := true
		defer func() { l.answered(keys, res, panicked) }()
		res = onWorker(l.req.cfg.Workers, ctx, keys, fn)
		panicked = false
		return res
	}
}

// onWorker calls fn on one of the pool's workers and waits for it: the
// backend call (connector, breaker, net/http, JSON) runs on a stack grown
// by earlier calls, not on dataloader's fresh batch goroutine. A panic in
// fn is raised again here, where dataloader turns it into every key's
// error. Without a pool, fn runs here.
func onWorker[K comparable, V any](w *engine.Workers, ctx context.Context, keys []K, fn dataloader.BatchFunc[K, V]) []*dataloader.Result[V] {
	if w == nil {
		return fn(ctx, keys)
	}
	t := &batchTask[K, V]{ctx: ctx, keys: keys, fn: fn}
	t.wg.Add(1)
	w.Go(t.run)
	t.wg.Wait()
	if t.pan != nil {
		panic(t.pan)
	}
	return t.res
}

// batchTask is one batch function call on a worker, in one allocation
// (its WaitGroup rather than a channel).
type batchTask[K comparable, V any] struct {
	ctx  context.Context
	keys []K
	fn   dataloader.BatchFunc[K, V]
	res  []*dataloader.Result[V]
	pan  any
	wg   sync.WaitGroup
}

func (t *batchTask[K, V]) run() {
	defer func() {
		t.pan = recover()
		t.wg.Done()
	}()
	t.res = t.fn(t.ctx, t.keys)
}

// answered marks a batch's keys answered and wakes their waiters. A key
// whose answer dataloader would not keep (a panic, a SkipCacheError) is
// forgotten: asked again, it is fetched again.
func (l *Loader[K, V]) answered(keys []K, res []*dataloader.Result[V], panicked bool) {
	whole := !panicked && len(res) == len(keys)
	var buf [8]*waiter
	wake := buf[:0]
	l.mu.Lock()
	for i, k := range keys {
		e := l.keys[k]
		if e == nil || e.done {
			continue
		}
		e.done = true
		if whole {
			e.res = res[i]
		}
		if e.wl.first.w != nil {
			wake = e.wl.first.resolve(wake)
			if e.wl.more != nil {
				for _, we := range *e.wl.more {
					wake = we.resolve(wake)
				}
			}
			e.wl = waitList{}
		}
		// dataloader drops a panic from its cache (every key's error
		// then), and a SkipCacheError; too few results are an error it
		// keeps.
		if panicked || e.res != nil && uncached(e.res.Error) {
			delete(l.keys, k)
		}
	}
	l.mu.Unlock()
	for _, w := range wake {
		w.wake()
	}
}

// resolve counts the entry's keys of its waiter answered, adding the
// waiter to wake when it has all of them. Called under the loader's mu.
func (we waitEntry) resolve(wake []*waiter) []*waiter {
	if we.w.remaining -= we.n; we.w.remaining == 0 {
		wake = append(wake, we.w)
	}
	return wake
}

// uncached reports whether dataloader would drop err from its cache.
func uncached(err error) bool {
	if err == nil {
		return false
	}
	var pe *dataloader.PanicErrorWrapper
	var se *dataloader.SkipCacheError
	return errors.As(err, &pe) || errors.As(err, &se)
}

// take returns key's entry, asking dataloader for a key not asked yet.
// more is how many keys the caller is about to ask, this one included:
// entries are made in blocks for them. Called under l.mu.
func (l *Loader[K, V]) take(ctx context.Context, key K, more int) *entry[V] {
	if e, ok := l.keys[key]; ok {
		return e
	}
	if l.keys == nil {
		// Sized for the first ask, which is often most of the keys.
		l.keys = make(map[K]*entry[V], more)
	}
	e := l.entries.next(more)
	e.gen = l.gen
	l.keys[key] = e
	e.th = l.dl.Load(ctx, key)
	return e
}

// ahead hands out values made in blocks: for the keys of the ask in
// progress (more, this one included, at most maxBlock or as many as were
// made before), or for keys asked one at a time as many as were made
// before (at most maxBlock). So what is made is at most twice what was
// used, plus maxBlock, however often an ask repeats a key.
type ahead[T any] struct {
	free []T
	made int // made so far, which bounds the next block
}

func (a *ahead[T]) next(more int) *T {
	if len(a.free) == 0 {
		n := max(min(more, max(a.made, maxBlock)), min(max(a.made, 1), maxBlock))
		a.free = make([]T, n)
		a.made += n
	}
	v := &a.free[0]
	a.free = a.free[1:]
	return v
}

// maxBlock bounds the values made ahead of the keys asked.
const maxBlock = 64

// Load asks for key without waiting: the look-up joins the current batch.
func (l *Loader[K, V]) Load(ctx context.Context, key K) dataloader.Thunk[V] {
	l.start()
	l.mu.Lock()
	e := l.take(ctx, key, 1)
	l.mu.Unlock()
	if e.th == nil {
		return e.get
	}
	return e.th
}

// Prime records a value already known (e.g. products of a listing); a key
// already asked for keeps its answer.
func (l *Loader[K, V]) Prime(ctx context.Context, key K, v V) {
	l.start()
	l.mu.Lock()
	if _, ok := l.keys[key]; !ok {
		if l.keys == nil {
			l.keys = map[K]*entry[V]{}
		}
		e := l.entries.next(1)
		e.res, e.done = l.primed.next(1), true
		e.res.Data = v
		l.keys[key] = e
	}
	l.mu.Unlock()
}

// LoadAll asks for every key, then waits for all of them. weight is how
// many field executions this wait stands for: len(parents) in a batch
// resolver, whose stale answers are reported at each parent's path, 1
// elsewhere. Values and errors are in key order.
//
// Failures follow the current field's schema directives: a @fallback field
// gets the last good value when it is fresh enough; a critical field (by
// @critical, or by its service's default unless @optional) fails its root
// field, and nothing more is fetched for that root field.
func (l *Loader[K, V]) LoadAll(ctx context.Context, keys []K, weight int) ([]V, []error) {
	l.start()
	vals := make([]V, len(keys))
	root, _ := ctx.Value(rootKey{}).(*RootState)
	if root != nil && root.Err() != nil {
		// The root field is failing anyway; its nulls need no errors.
		return vals, nil
	}
	// The plan engine's hook is told when this call waits, unless every
	// key is answered already; the loader's own wait window (no
	// dispatcher) sends batches by itself.
	var hook engine.Waiter
	if l.disp != nil {
		hook, _ = ctx.Value(waitHookKey{}).(engine.Waiter)
	}
	var small [16]*entry[V]
	ents := small[:0]
	if len(keys) > len(small) {
		ents = make([]*entry[V], 0, len(keys))
	}
	var (
		w    *waiter
		sent = true // every key waited on was dispatched
	)
	// The waiter is registered under l.mu, which answered takes to
	// collect waiters: an answer finds it with its count set.
	l.mu.Lock()
	for i, k := range keys {
		e := l.take(ctx, k, len(keys)-i)
		ents = append(ents, e)
		if !e.done {
			if w == nil {
				w = &waiter{hook: hook}
				w.done.Add(1)
			}
			e.wl.add(w)
			w.remaining++
			sent = sent && e.gen < l.gen
		}
	}
	l.mu.Unlock()
	if w != nil {
		// The engine's hook may dispatch, and the answer takes l.mu. An
		// answer coming before the hook runs wakes the waiter first: the
		// engine's count is then one high for a moment, never low.
		if hook != nil {
			hook.Wait(sent)
		}
		w.done.Wait()
	}
	waits := (*Waits)(nil)
	if root != nil {
		waits = root.waits
	} else {
		waits, _ = ctx.Value(waitsKey{}).(*Waits)
	}
	if waits != nil {
		waits.add(l.service, graphql.GetPath(ctx))
	}
	var errs []error
	for i, e := range ents {
		v, err := e.get()
		if err != nil {
			if errs == nil {
				errs = make([]error, len(keys))
			}
			errs[i] = err
			continue
		}
		vals[i] = v
	}

	if l.req.stale == nil && (errs == nil || root == nil) {
		return vals, errs // no directive can change the answer
	}
	pol := policyOf(ctx)
	if pol.staleFor > 0 && l.req.stale != nil {
		l.fallback(ctx, pol, keys, weight, vals, errs)
		errs = compact(errs)
	}
	if errs != nil && root != nil {
		critical := l.critical
		if pol.critical != nil {
			critical = *pol.critical
		}
		if critical {
			for _, err := range errs {
				if err != nil {
					root.fail(err)
					break
				}
			}
		}
	}
	return vals, errs
}

// fallback remembers fresh values and stands in stale ones for failures.
func (l *Loader[K, V]) fallback(ctx context.Context, pol fieldPolicy, keys []K, weight int, vals []V, errs []error) {
	st := l.req.stale
	now := st.now()
	// Whose answers these are: a caller's own stay that caller's (and in
	// this process: the shared store is for answers anyone may get).
	caller := ""
	if c := l.req.clients[l.service]; c != nil {
		caller = c.Caller(ctx)
	}
	shared := st.shared
	if caller != "" {
		shared = nil
	}
	for i, k := range keys {
		sk := staleKey{l.name, k, caller}
		if errs == nil || errs[i] == nil {
			prev, had := st.keep(sk, vals[i], now)
			if shared != nil && (!had || now.Sub(prev.at) >= SharedEvery) {
				if b, err := json.Marshal(vals[i]); err == nil {
					shared.SetStale(ctx, sharedStaleKey(sk), b, now, pol.staleFor)
				}
			}
			continue
		}
		e, ok := st.c.GetIfPresent(sk)
		if !ok && shared != nil {
			e, ok = sharedStale[V](ctx, st, sk)
		}
		if !ok || now.Sub(e.at) > pol.staleFor {
			continue
		}
		vals[i], errs[i] = e.v.(V), nil
		path := graphql.GetPath(ctx)
		if weight == len(keys) && weight > 1 {
			path = graphql.BatchPathWithIndex(ctx, i)
		}
		l.req.deg.addStale(StaleServed{Path: path, Service: l.service, AgeSeconds: now.Sub(e.at).Seconds()})
	}
}

// sharedStaleKey names a loader's key in the shared store.
func sharedStaleKey(sk staleKey) string { return fmt.Sprintf("%s:%v", sk.loader, sk.key) }

// sharedStale reads a last-good value from the shared store, keeping a copy
// in process.
func sharedStale[V any](ctx context.Context, st *StaleCache, sk staleKey) (staleEntry, bool) {
	b, at, ok := st.shared.GetStale(ctx, sharedStaleKey(sk))
	if !ok {
		return staleEntry{}, false
	}
	var v V
	if json.Unmarshal(b, &v) != nil {
		return staleEntry{}, false
	}
	e := staleEntry{v: v, at: at}
	st.c.Set(sk, e)
	return e, true
}

// compact returns nil when no error is left.
func compact(errs []error) []error {
	for _, e := range errs {
		if e != nil {
			return errs
		}
	}
	return nil
}

// waitList is the waiters of one key. There is usually one, so it is kept
// in the entry: a slice per key was an allocation per key asked for.
type waitList struct {
	first waitEntry
	more  *[]waitEntry // the rare others (calls waiting on the key at once)
}

// waitEntry is a waiter and how many of its keys the key is (a key asked
// for twice in one LoadAll: reviews by one author).
type waitEntry struct {
	w *waiter
	n int64
}

func (wl *waitList) add(w *waiter) {
	last := &wl.first
	if wl.more != nil {
		last = &(*wl.more)[len(*wl.more)-1]
	}
	switch {
	case wl.first.w == nil:
		wl.first = waitEntry{w, 1}
	case last.w == w:
		last.n++
	default:
		if wl.more == nil {
			wl.more = new([]waitEntry)
		}
		*wl.more = append(*wl.more, waitEntry{w, 1})
	}
}

// quietTracer traces nothing, like dataloader's NoopTracer, whose Load
// hook makes a new closure for every key asked for: this one hands out
// the same three made once per loader.
type quietTracer[K comparable, V any] struct {
	load  dataloader.TraceLoadFinishFunc[V]
	many  dataloader.TraceLoadManyFinishFunc[V]
	batch dataloader.TraceBatchFinishFunc[V]
}

func newQuietTracer[K comparable, V any]() *quietTracer[K, V] {
	return &quietTracer[K, V]{
		load:  func(dataloader.Thunk[V]) {},
		many:  func(dataloader.ThunkMany[V]) {},
		batch: func([]*dataloader.Result[V]) {},
	}
}

func (t *quietTracer[K, V]) TraceLoad(ctx context.Context, _ K) (context.Context, dataloader.TraceLoadFinishFunc[V]) {
	return ctx, t.load
}

func (t *quietTracer[K, V]) TraceLoadMany(ctx context.Context, _ []K) (context.Context, dataloader.TraceLoadManyFinishFunc[V]) {
	return ctx, t.many
}

func (t *quietTracer[K, V]) TraceBatch(ctx context.Context, _ []K) (context.Context, dataloader.TraceBatchFinishFunc[V]) {
	return ctx, t.batch
}
