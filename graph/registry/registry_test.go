package registry_test

import (
	"reflect"
	"testing"

	"github.com/tributary-gw/tributary/graph/registry"
)

func TestRangeCheck(t *testing.T) {
	tests := []struct {
		name string
		give registry.Range
		n    int64
		want string
	}{
		{"int within", registry.Range{Min: 1, HasMin: true, Max: 5, HasMax: true}, 5, ""},
		{"int below", registry.Range{Min: 1, HasMin: true, Max: 5, HasMax: true}, 0, "must be between 1 and 5, got 0"},
		{"int above", registry.Range{Min: 1, HasMin: true, Max: 5, HasMax: true}, 6, "must be between 1 and 5, got 6"},
		{"int min only", registry.Range{Min: 1, HasMin: true}, 0, "must be at least 1, got 0"},
		{"int max only", registry.Range{Max: 5, HasMax: true}, 6, "must be at most 5, got 6"},
		{"list within", registry.Range{Max: 100, HasMax: true, List: true}, 100, ""},
		{"list above", registry.Range{Max: 100, HasMax: true, List: true}, 101, "must hold at most 100 items, got 101"},
		// The minimum of a list counts too.
		{"list below", registry.Range{Min: 1, HasMin: true, List: true}, 0, "must hold at least 1 items, got 0"},
		{"list both", registry.Range{Min: 1, HasMin: true, Max: 3, HasMax: true, List: true}, 0, "must hold 1 to 3 items, got 0"},
		{"unbounded", registry.Range{}, -1 << 63, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.give.Check(tt.n); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAllows(t *testing.T) {
	tests := []struct {
		name                 string
		rule, subject, owner string
		staff, want          bool
	}{
		{"anonymous", registry.Authenticated, "", "", false, false},
		{"anonymous staff role", registry.OwnerOrStaff, "", "", true, false},
		{"signed in", registry.Authenticated, "u1", "", false, true},
		{"owner", registry.OwnerOrStaff, "u1", "u1", false, true},
		{"someone else", registry.OwnerOrStaff, "u1", "u2", false, false},
		{"unknown owner", registry.OwnerOrStaff, "u1", "", false, false},
		{"staff", registry.OwnerOrStaff, "u9", "u2", true, true},
		{"unknown rule", "SOMETHING", "u1", "u1", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := registry.Allows(tt.rule, tt.subject, tt.staff, tt.owner); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOwnerOf(t *testing.T) {
	type user struct {
		ID   string
		Tier int
	}
	u := &user{ID: "u1", Tier: 3}
	tests := []struct {
		name   string
		give   registry.Owner
		args   map[string]any
		parent reflect.Value
		want   string
	}{
		{"argument", registry.Owner{Arg: "userId"}, map[string]any{"userId": "u2"}, reflect.ValueOf(u), "u2"},
		{"argument missing", registry.Owner{Arg: "userId"}, nil, reflect.ValueOf(u), ""},
		{"parent field", registry.Owner{Prop: "id", Field: "ID"}, map[string]any{"userId": "u2"}, reflect.ValueOf(u), "u1"},
		{"parent by value", registry.Owner{Prop: "id", Field: "ID"}, nil, reflect.ValueOf(*u), "u1"},
		{"nil parent", registry.Owner{Prop: "id", Field: "ID"}, nil, reflect.ValueOf((*user)(nil)), ""},
		{"no parent", registry.Owner{Prop: "id", Field: "ID"}, nil, reflect.Value{}, ""},
		{"not a string", registry.Owner{Prop: "tier", Field: "Tier"}, nil, reflect.ValueOf(u), ""},
		{"none", registry.Owner{}, map[string]any{"id": "u1"}, reflect.ValueOf(u), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.give.Of(tt.args, tt.parent); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
