package gateway

import (
	"encoding/json"
	"hash/maphash"
	"maps"
	"unsafe"

	"github.com/99designs/gqlgen/graphql"
	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/memsize"
)

// DefaultVerdictBytes bounds the verdicts' memory when
// Limits.VerdictBytes is zero: some 40,000 verdicts.
const DefaultVerdictBytes = 4 << 20

func (l *Limits) init() {
	maxBytes := l.VerdictBytes
	if maxBytes <= 0 {
		maxBytes = DefaultVerdictBytes
	}
	l.verdicts = otter.Must(&otter.Options[verdictKey, verdict]{
		MaximumWeight: uint64(maxBytes),
		Weigher: func(k verdictKey, v verdict) uint32 {
			return connect.Weight(int64(unsafe.Sizeof(k))+int64(len(k.op))+memsize.Of(v.err)+memsize.Of(v.planned)+cacheEntryOverhead, 0)
		},
	})
}

// Len is the number of verdicts kept (an estimate).
func (l *Limits) Len() int {
	l.once.Do(l.init)
	return l.verdicts.EstimatedSize()
}

// Bytes is the verdicts' estimated memory.
func (l *Limits) Bytes() int64 {
	l.once.Do(l.init)
	return int64(l.verdicts.WeightedSize())
}

// verdictKey is an operation — keyed hashes of its document's text, and
// its name — and a keyed hash of the variables' values. Hashes, not the
// document: a verdict must not keep a syntax tree alive after the query
// cache let it go.
type verdictKey struct {
	doc  [2]uint64
	op   string
	vars uint64
}

type verdict struct {
	err     *gqlerror.Error
	planned *plannedCost // what an admitted operation's plan makes
}

// copyErr hands out a copy: presenters may change the error they get.
func (v verdict) copyErr() *gqlerror.Error {
	if v.err == nil {
		return nil
	}
	e := *v.err
	e.Extensions = maps.Clone(v.err.Extensions)
	return &e
}

var varsSeed, docSeed1, docSeed2 = maphash.MakeSeed(), maphash.MakeSeed(), maphash.MakeSeed()

// verdictKeyOf keys oc's operation and variables; false when the variables
// cannot be encoded (the verdict is then not kept).
func verdictKeyOf(oc *graphql.OperationContext) (verdictKey, bool) {
	k := verdictKey{
		doc: [2]uint64{maphash.String(docSeed1, oc.RawQuery), maphash.String(docSeed2, oc.RawQuery)},
		op:  oc.Operation.Name,
	}
	if len(oc.Variables) == 0 {
		return k, true
	}
	b, err := json.Marshal(oc.Variables) // maps encode with sorted keys
	if err != nil {
		return k, false
	}
	k.vars = maphash.Bytes(varsSeed, b)
	return k, true
}
