package gateway

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/memsize"
)

// CacheSize is what one cache holds now, for metrics.
type CacheSize struct {
	// Cache names it: query_documents, apq, verdicts, entity_cache,
	// fallback.
	Cache string
	// Bytes is its weight: the estimated size of its entries, each
	// counting at least its byte bound divided by its entry bound.
	Bytes   int64
	Entries int64
}

// CacheSizes reports every cache that requests fill (absent: not
// configured).
func (g *Gateway) CacheSizes() []CacheSize {
	out := []CacheSize{
		{Cache: "query_documents", Bytes: g.docs.Bytes(), Entries: int64(g.docs.Len())},
		{Cache: "verdicts", Bytes: g.limits.Bytes(), Entries: int64(g.limits.Len())},
		{Cache: "plans", Bytes: g.engine.Bytes(), Entries: int64(g.engine.Len())},
	}
	if g.apq != nil {
		out = append(out, CacheSize{Cache: "apq", Bytes: g.apq.Bytes(), Entries: int64(g.apq.Len())})
	}
	if g.cache != nil {
		out = append(out, CacheSize{Cache: "entity_cache", Bytes: g.cache.Bytes(), Entries: int64(g.cache.Len())})
	}
	if n, bytes, ok := g.loaders.Fallback(); ok {
		out = append(out, CacheSize{Cache: "fallback", Bytes: bytes, Entries: int64(n)})
	}
	return out
}

// byteCache is a graphql.Cache (query documents, APQ) bounded in bytes,
// as weigh estimates its entries, and in entries (S3-FIFO eviction).
type byteCache[T any] struct {
	c *otter.Cache[string, T]
}

var _ graphql.Cache[string] = (*byteCache[string])(nil)

// newByteCache holds at most maxBytes and entries: each entry weighs at
// least maxBytes/entries.
func newByteCache[T any](maxBytes int64, entries int, weigh func(key string, v T) int64) *byteCache[T] {
	floor := maxBytes / int64(max(entries, 1))
	return &byteCache[T]{c: otter.Must(&otter.Options[string, T]{
		MaximumWeight: uint64(maxBytes),
		Weigher: func(k string, v T) uint32 {
			return connect.Weight(weigh(k, v)+cacheEntryOverhead, floor)
		},
	})}
}

// cacheEntryOverhead is an entry's cost beyond its key and value (the
// cache's node and bookkeeping).
const cacheEntryOverhead = 96

// Get implements graphql.Cache.
func (b *byteCache[T]) Get(_ context.Context, key string) (T, bool) { return b.c.GetIfPresent(key) }

// Add implements graphql.Cache.
func (b *byteCache[T]) Add(_ context.Context, key string, v T) { b.c.Set(key, v) }

// Len is the number of entries (an estimate).
func (b *byteCache[T]) Len() int {
	if b == nil {
		return 0
	}
	return b.c.EstimatedSize()
}

// Bytes is the entries' weight.
func (b *byteCache[T]) Bytes() int64 {
	if b == nil {
		return 0
	}
	return int64(b.c.WeightedSize())
}

// Close stops the cache's background work.
func (b *byteCache[T]) Close() {
	if b != nil {
		b.c.StopAllGoroutines()
	}
}

// Per-node sizes of a parsed, validated document, measured with
// gqlparser v2.5 (a field with its position, definition links and
// collected state is ~230 bytes; a small operation's fixed parts ~4 KB).
const (
	docBase    = 4 << 10
	docPerNode = 320
)

// documentWeight estimates the memory a cached document holds: its text
// (the key, and the source the AST's positions keep) and its syntax tree,
// from the nodes it has. Fragments are counted where defined, not where
// spread, so the walk is linear in the document.
func documentWeight(query string, doc *ast.QueryDocument) int64 {
	n := int64(0)
	if doc != nil {
		for _, op := range doc.Operations {
			n += 1 + int64(len(op.VariableDefinitions)) + directiveNodes(op.Directives) + selectionNodes(op.SelectionSet, 0)
			for _, v := range op.VariableDefinitions {
				n += valueNodes(v.DefaultValue, 0)
			}
		}
		for _, f := range doc.Fragments {
			n += 1 + directiveNodes(f.Directives) + selectionNodes(f.SelectionSet, 0)
		}
	}
	return 2*int64(len(query)) + docBase + n*docPerNode
}

// maxNodeDepth stops the walk of a pathologically nested document (the
// parser's own limits keep real ones far shallower); what lies below
// counts as one node per level reached.
const maxNodeDepth = 1000

func selectionNodes(set ast.SelectionSet, depth int) int64 {
	if depth > maxNodeDepth {
		return 1
	}
	n := int64(0)
	for _, s := range set {
		n++
		switch s := s.(type) {
		case *ast.Field:
			n += directiveNodes(s.Directives)
			for _, a := range s.Arguments {
				n += 1 + valueNodes(a.Value, depth+1)
			}
			n += selectionNodes(s.SelectionSet, depth+1)
		case *ast.InlineFragment:
			n += directiveNodes(s.Directives) + selectionNodes(s.SelectionSet, depth+1)
		case *ast.FragmentSpread:
			n += directiveNodes(s.Directives)
		}
	}
	return n
}

func directiveNodes(ds ast.DirectiveList) int64 {
	n := int64(0)
	for _, d := range ds {
		n++
		for _, a := range d.Arguments {
			n += 1 + valueNodes(a.Value, 0)
		}
	}
	return n
}

func valueNodes(v *ast.Value, depth int) int64 {
	if v == nil {
		return 0
	}
	if depth > maxNodeDepth {
		return 1
	}
	n := int64(1)
	for _, c := range v.Children {
		n += valueNodes(c.Value, depth+1)
	}
	return n
}

// apqWeight is an APQ entry: the hash and the document's text.
func apqWeight(hash, query string) int64 { return memsize.String(hash) + memsize.String(query) }
