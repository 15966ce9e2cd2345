package connect

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// byIndex is what ByKey answers through an index: each id the last item
// whose key it is.
func byIndex(chunks []chunkAnswer[groupItem], ids []string) []fetched[*groupItem] {
	index := map[string]fetched[*groupItem]{}
	for _, ch := range chunks {
		for _, it := range ch.items {
			index[it.id] = fetched[*groupItem]{v: it, ttl: ch.ttl}
		}
	}
	res := make([]fetched[*groupItem], len(ids))
	for j, id := range ids {
		res[j] = index[id]
	}
	return res
}

// inOrder answers as the index does whenever it answers at all, for
// answers in order, shuffled, with repeats, unknown and unasked items, and
// repeated ids; and it does answer the common case (in order, unknown ids
// left out) without the index.
func TestInOrderIsTheIndex(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	id := func(i int) string { return fmt.Sprintf("p%d", i) }
	fast := 0
	for range 5000 {
		n := r.IntN(40)
		ids := make([]string, n)
		for i := range ids {
			ids[i] = id(i)
			if r.IntN(20) == 0 && i > 0 {
				ids[i] = ids[r.IntN(i)] // a repeated id
			}
		}
		var items []*groupItem
		for _, x := range ids {
			if r.IntN(5) > 0 { // else unknown: left out
				items = append(items, &groupItem{id: x, owner: fmt.Sprint(r.Int())})
			}
		}
		switch r.IntN(6) {
		case 0:
			r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		case 1:
			if len(items) > 0 {
				items = append(items, &groupItem{id: items[r.IntN(len(items))].id, owner: "again"})
			}
		case 2:
			items = append(items, &groupItem{id: "never asked"})
		}
		var chunks []chunkAnswer[groupItem]
		for len(items) > 0 {
			k := min(len(items), 1+r.IntN(10))
			chunks = append(chunks, chunkAnswer[groupItem]{items: items[:k], ttl: time.Duration(len(chunks))})
			items = items[k:]
		}
		want := byIndex(chunks, ids)
		got := make([]fetched[*groupItem], len(ids))
		if !inOrder(chunks, ids, func(x *groupItem) string { return x.id }, got) {
			continue
		}
		fast++
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("ids %q, id %s: got %+v, want %+v", ids, ids[j], got[j], want[j])
			}
		}
	}
	if fast < 1000 {
		t.Fatalf("only %d of 5000 answers matched without the index", fast)
	}
}
