package connect

import (
	"slices"
	"testing"
)

type groupItem struct{ id, owner string }

func TestGroupItems(t *testing.T) {
	it := func(id, owner string) *groupItem { return &groupItem{id, owner} }
	a1, a2, b1, a3, c1 := it("1", "a"), it("2", "a"), it("3", "b"), it("4", "a"), it("5", "c")
	chunks := []chunkAnswer[groupItem]{
		{items: []*groupItem{a1, b1, a2, a1}},
		{items: []*groupItem{c1, a3, b1}},
	}
	owner := func(x *groupItem) string { return x.owner }
	ids := func(x *groupItem) string { return x.id }
	tests := []struct {
		name   string
		giveID func(*groupItem) string
		want   map[string][]*groupItem
	}{
		{"each item once", ids, map[string][]*groupItem{"a": {a1, a2, a3}, "b": {b1}, "c": {c1}}},
		{"without ids, as answered", nil, map[string][]*groupItem{"a": {a1, a2, a1, a3}, "b": {b1, b1}, "c": {c1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := groupItems(chunks, 3, owner, tt.giveID)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d keys, want %d", len(got), len(tt.want))
			}
			for k, want := range tt.want {
				if !slices.Equal(got[k], want) {
					t.Errorf("%s: got %v, want %v", k, got[k], want)
				}
			}
			// The lists share an array: appending to one must not
			// write into another.
			_ = append(got["a"], c1)
			_ = append(got["b"], c1)
			for k, want := range tt.want {
				if !slices.Equal(got[k], want) {
					t.Errorf("after appending: %s: got %v, want %v", k, got[k], want)
				}
			}
		})
	}
}
