package gateway

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/tributary-gw/tributary/internal/cost"
)

// CodeTooComplex refuses a document whose validation alone would cost too
// much.
const CodeTooComplex = "QUERY_TOO_COMPLEX"

// DefaultMaxOverlapPairs bounds the field pairs gqlparser's
// OverlappingFieldsCanBeMerged rule would compare. Real operations need
// about one per field; 9,000 repeated `id` fields need 81 million (seconds
// of CPU, with no context to stop it).
const DefaultMaxOverlapPairs = 50_000

// overlapBound refuses, before validation runs, documents for which the
// overlapping-fields rule is quadratic: many fields with one response name
// in one selection set (directly, through inline fragments, or merged with
// same-named fields' selections), or many fragment spreads side by side.
// It parses the query itself (with the token limit) because gqlgen offers
// no hook between parsing and validation; accepted queries are remembered
// (by hash) so a repeated query is parsed once, as gqlgen's own cache does.
type overlapBound struct {
	maxPairs  int
	maxTokens int
	accepted  *lru.LRU[struct{}]
}

var (
	_ graphql.HandlerExtension          = (*overlapBound)(nil)
	_ graphql.OperationParameterMutator = (*overlapBound)(nil)
)

func newOverlapBound(maxPairs, maxTokens int) *overlapBound {
	if maxPairs <= 0 {
		maxPairs = DefaultMaxOverlapPairs
	}
	return &overlapBound{maxPairs: maxPairs, maxTokens: maxTokens, accepted: lru.New[struct{}](1000)}
}

// ExtensionName implements graphql.HandlerExtension.
func (*overlapBound) ExtensionName() string { return "OverlapBound" }

// Validate implements graphql.HandlerExtension.
func (*overlapBound) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (b *overlapBound) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil
	}
	// Keyed by hash: the texts themselves (up to max_body_bytes each)
	// would make the cache's memory unbounded in practice.
	sum := sha256.Sum256([]byte(p.Query))
	key := string(sum[:])
	if _, ok := b.accepted.Get(ctx, key); ok {
		return nil
	}
	limit := b.maxTokens
	if limit <= 0 {
		limit = -1 // the parser's "no limit"
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, limit)
	if err != nil {
		return nil // gqlgen parses again and reports it
	}
	if w := OverlapPairs(doc, b.maxPairs); w.Pairs > b.maxPairs {
		msg := "query has too many overlapping fields to validate"
		if w.Field != "" {
			msg = fmt.Sprintf("field %q is selected %d times in one selection set; merge the repeats", clip(w.Field, 40), w.Count)
		}
		return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": CodeTooComplex, "overlapPairs": w.Pairs, "limit": b.maxPairs}}
	}
	b.accepted.Add(ctx, key, struct{}{})
	return nil
}

// OverlapWork is what OverlapPairs found.
type OverlapWork struct {
	// Pairs is the comparisons the overlapping-fields rule would make,
	// saturated just past the bound it was given.
	Pairs int
	// Field and Count name the largest group of same-named fields.
	Field string
	Count int
}

// OverlapPairs counts the pairs the overlapping-fields rule compares: for
// every group of fields sharing a response name in a selection set, n², and
// the same again for the merged selections of the group's fields; for the
// fragment spreads of a set, s². It stops counting past limit, so its own
// work is linear in the document.
func OverlapPairs(doc *ast.QueryDocument, limit int) OverlapWork {
	c := overlapCounter{limit: int64(limit)}
	for _, op := range doc.Operations {
		c.sets([]ast.SelectionSet{op.SelectionSet})
	}
	for _, f := range doc.Fragments {
		c.sets([]ast.SelectionSet{f.SelectionSet})
	}
	return OverlapWork{Pairs: int(min(c.pairs, cost.MaxFigure)), Field: c.field, Count: c.count}
}

type overlapCounter struct {
	limit int64
	pairs int64
	field string
	count int
}

func (c *overlapCounter) sets(sets []ast.SelectionSet) {
	if c.pairs > c.limit {
		return
	}
	var order []string
	groups := map[string][]*ast.Field{}
	spreads := int64(0)
	var walk func(ast.SelectionSet)
	walk = func(sel ast.SelectionSet) {
		for _, s := range sel {
			switch s := s.(type) {
			case *ast.Field:
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if _, ok := groups[key]; !ok {
					order = append(order, key)
				}
				groups[key] = append(groups[key], s)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				spreads++
			}
		}
	}
	for _, sel := range sets {
		walk(sel)
	}
	c.pairs = cost.SatAdd(c.pairs, cost.SatMul(spreads, spreads))
	for _, key := range order {
		g := groups[key]
		n := int64(len(g))
		c.pairs = cost.SatAdd(c.pairs, cost.SatMul(n, n))
		if len(g) > c.count {
			c.field, c.count = key, len(g)
		}
		if c.pairs > c.limit {
			return
		}
		var children []ast.SelectionSet
		for _, f := range g {
			if len(f.SelectionSet) > 0 {
				children = append(children, f.SelectionSet)
			}
		}
		if len(children) > 0 {
			c.sets(children)
		}
	}
}
