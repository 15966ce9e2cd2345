package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Batch fetches ids in chunks of at most size (MaxBatch when size <= 0),
// issuing the chunks concurrently. Duplicate ids are asked for once. It
// returns every item the successful chunks produced and, for ids whose chunk
// failed, that chunk's error: one failed chunk does not fail the others.
func Batch[T any](ctx context.Context, ids []string, size int, fetch func(context.Context, []string) ([]T, error)) ([]T, Failures) {
	if size <= 0 {
		size = MaxBatch
	}
	ids = dedupe(ids)
	if len(ids) == 0 {
		return nil, Failures{}
	}
	if len(ids) <= size {
		items, err := fetch(ctx, ids)
		if err != nil {
			return nil, Failures{chunks: []failedChunk{{ids: ids, err: err}}}
		}
		return items, Failures{}
	}

	type slot struct {
		items []T
		err   error
	}
	chunks := chunk(ids, size)
	slots := make([]slot, len(chunks))
	var wg sync.WaitGroup
	for i, c := range chunks {
		wg.Go(func() {
			items, err := fetch(ctx, c)
			slots[i] = slot{items, err} // each goroutine writes only its own slot
		})
	}
	wg.Wait()

	var items []T
	var f Failures
	for i, s := range slots {
		if s.err != nil {
			f.chunks = append(f.chunks, failedChunk{ids: chunks[i], err: s.err})
			continue
		}
		items = append(items, s.items...)
	}
	return items, f
}

// Failures records which ids of a Batch failed, and why.
type Failures struct {
	chunks []failedChunk
}

type failedChunk struct {
	ids []string
	err error
}

// Err returns the error of id's chunk, or nil when it succeeded.
func (f Failures) Err(id string) error {
	for _, c := range f.chunks {
		for _, x := range c.ids {
			if x == id {
				return c.err
			}
		}
	}
	return nil
}

// FailAll returns Failures in which every id failed with err.
func FailAll(ids []string, err error) Failures {
	return Failures{chunks: []failedChunk{{ids: ids, err: err}}}
}

// Any returns the first failure, or nil when every chunk succeeded.
func (f Failures) Any() error {
	if len(f.chunks) == 0 {
		return nil
	}
	return f.chunks[0].err
}

// dedupe returns ids without repeats, in first-seen order: ids itself when
// it has none (the common case: a loader's keys are distinct), else a copy.
func dedupe(ids []string) []string {
	if !hasDuplicates(ids) {
		return ids
	}
	seen := make(map[string]struct{}, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if _, ok := seen[id]; ok {
			continue
		}
		seen[id] = struct{}{}
		out = append(out, id)
	}
	return out
}

// hasDuplicates compares pairs for short lists, where that is cheaper than
// building a set.
func hasDuplicates(ids []string) bool {
	const pairwise = 32
	if len(ids) > pairwise {
		seen := make(map[string]struct{}, len(ids))
		for _, id := range ids {
			if _, ok := seen[id]; ok {
				return true
			}
			seen[id] = struct{}{}
		}
		return false
	}
	for i := 1; i < len(ids); i++ {
		for _, prev := range ids[:i] {
			if ids[i] == prev {
				return true
			}
		}
	}
	return false
}

func chunk(ids []string, size int) [][]string {
	out := make([][]string, 0, (len(ids)+size-1)/size)
	for len(ids) > size {
		out = append(out, ids[:size:size])
		ids = ids[size:]
	}
	return append(out, ids)
}

// BatchRequest is a batch look-up: GET Path?Param=a,b,c (plus Query), the
// answer an envelope whose Require key holds the items.
type BatchRequest struct {
	Endpoint string
	Path     string
	Param    string
	Require  string
	Query    url.Values
	// Limit is the most ids per call; zero means MaxBatch.
	Limit int
}

// MaxIDBytes is the longest id a batch look-up sends: the contract's ids
// are short, and a bound keeps batch URLs bounded.
const MaxIDBytes = 256

// ErrInvalidID is the cause of a CodeInvalidInput failure: an id the batch
// syntax cannot carry.
var ErrInvalidID = errors.New("invalid id")

// CheckID returns an error wrapping ErrInvalidID when id cannot travel in a
// comma-separated batch parameter: empty, holding the separator ",", or
// longer than MaxIDBytes. Sent anyway, "p1,p2" would ask for two products
// and answer for one the client did not name.
func CheckID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrInvalidID)
	case strings.Contains(id, ","):
		return fmt.Errorf("%w: contains the batch separator \",\"", ErrInvalidID)
	case len(id) > MaxIDBytes:
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidID, MaxIDBytes)
	}
	return nil
}

// GetBatch fetches ids with req — in chunks of MaxBatch sent in parallel,
// see Batch — decoding each answer into an envelope E and collecting its
// items. Ids that fail CheckID are never sent: each fails on its own with
// CodeInvalidInput, and the valid ids of the batch are fetched as usual.
func GetBatch[E, T any](ctx context.Context, c *Client, req BatchRequest, ids []string, items func(*E) []T) ([]T, Failures) {
	valid, invalid := c.ValidIDs(req.Endpoint, ids)
	got, f := Batch(ctx, valid, req.Limit, func(ctx context.Context, chunk []string) ([]T, error) {
		var out E
		err := c.Get(ctx, Request{Endpoint: req.Endpoint, Path: req.Path, RawQuery: BatchQuery(req.Param, chunk, req.Query),
			IDs: len(chunk), Require: req.Require}, &out)
		return items(&out), err
	})
	return got, f.Join(invalid)
}

// BatchQuery is the encoded query of a batch call: param=ids joined by
// ",", and the parameters of other (a value other holds for param wins),
// byte for byte as url.Values.Encode writes them merged — keys in order —
// without building the merged url.Values.
func BatchQuery(param string, ids []string, other url.Values) string {
	if _, ok := other[param]; ok {
		return other.Encode()
	}
	var buf [8]string
	keys := append(buf[:0], param)
	n := len(param) + 1
	for k, vs := range other {
		keys = append(keys, k)
		for _, v := range vs {
			n += len(k) + len(v) + 2
		}
	}
	slices.Sort(keys)
	for _, id := range ids {
		n += len(id) + len("%2C")
	}
	var b strings.Builder
	b.Grow(n)
	for _, k := range keys {
		if k == param {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			for i, id := range ids {
				if i > 0 {
					b.WriteString("%2C") // the escaped ","
				}
				b.WriteString(url.QueryEscape(id))
			}
			continue
		}
		ke := url.QueryEscape(k)
		for _, v := range other[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(ke)
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}

// ValidIDs splits ids into those a batch parameter can carry (CheckID) and,
// for the others, failures with CodeInvalidInput: such an id is never sent.
// valid is ids itself when every id is valid.
func (c *Client) ValidIDs(endpoint string, ids []string) ([]string, Failures) {
	bad := slices.IndexFunc(ids, func(id string) bool { return CheckID(id) != nil })
	if bad < 0 {
		return ids, Failures{}
	}
	valid := append(make([]string, 0, len(ids)), ids[:bad]...)
	var invalid Failures
	for _, id := range ids[bad:] {
		if err := CheckID(id); err != nil {
			invalid.chunks = append(invalid.chunks, failedChunk{ids: []string{id}, err: &Error{
				Service: c.service, Endpoint: endpoint, Code: CodeInvalidInput, Err: err,
			}})
			continue
		}
		valid = append(valid, id)
	}
	return valid, invalid
}

// Join returns f with g's failures added.
func (f Failures) Join(g Failures) Failures {
	f.chunks = append(f.chunks, g.chunks...)
	return f
}
