package memsize

import (
	"reflect"
	"strconv"
	"testing"
)

// reference is the walk without layouts (reflect asked for every field of
// every value): Of must estimate exactly what it does.
func reference(v reflect.Value, depth int) int64 {
	if depth > maxDepth {
		return 0
	}
	switch v.Kind() {
	case reflect.String:
		return int64(v.Len())
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return 0
		}
		return int64(v.Elem().Type().Size()) + reference(v.Elem(), depth+1)
	case reflect.Slice:
		if v.IsNil() {
			return 0
		}
		n := int64(v.Cap()) * int64(v.Type().Elem().Size())
		for i := range v.Len() {
			n += reference(v.Index(i), depth+1)
		}
		return n
	case reflect.Array:
		var n int64
		for i := range v.Len() {
			n += reference(v.Index(i), depth+1)
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return 0
		}
		n := int64(v.Len()) * (int64(v.Type().Key().Size()) + int64(v.Type().Elem().Size()) + mapEntryOverhead)
		it := v.MapRange()
		for it.Next() {
			n += reference(it.Key(), depth+1) + reference(it.Value(), depth+1)
		}
		return n
	case reflect.Struct:
		var n int64
		for i := range v.NumField() {
			n += reference(v.Field(i), depth+1)
		}
		return n
	}
	return 0
}

type node struct {
	Name   string
	Kids   []*node
	Attrs  map[string]any
	Pair   [2]string
	Count  int
	Plain  [4]int
	Parent *node
}

func TestOfMatchesTheReference(t *testing.T) {
	leaf := &node{Name: "leaf", Pair: [2]string{"ab", "cde"}}
	cyc := &node{Name: "cycle"}
	cyc.Parent = cyc
	tests := []any{
		"text", 42, []string{"a", "bb"}, map[int]int{1: 2}, [3]*int{},
		leaf,
		&node{Name: "root", Kids: []*node{leaf, nil, leaf}, Attrs: map[string]any{"k": []int{1, 2}, "n": nil, "s": "v"}},
		cyc,
		[]any{leaf, "x", 3, map[string]string{"a": "b"}},
		struct{ A, B int }{1, 2},
	}
	for i, v := range tests {
		rv := reflect.ValueOf(v)
		want := int64(rv.Type().Size()) + reference(rv, 0)
		if got := Of(v); got != want {
			t.Errorf("%d (%T): got %d, want %d", i, v, got, want)
		}
	}
}

// Types made at run time cannot grow the layouts kept past maxLayouts;
// their values are still estimated.
func TestLayoutsAreBounded(t *testing.T) {
	for i := range maxLayouts + 500 {
		typ := reflect.StructOf([]reflect.StructField{
			{Name: "F" + strconv.Itoa(i), Type: reflect.TypeFor[string]()},
		})
		v := reflect.New(typ).Elem()
		v.Field(0).SetString("hello")
		if got, want := Of(v.Interface()), int64(typ.Size())+5; got != want {
			t.Fatalf("type %d: got %d, want %d", i, got, want)
		}
	}
	n := 0
	layouts.Range(func(_, _ any) bool { n++; return true })
	if n > maxLayouts || nLayouts.Load() > maxLayouts {
		t.Errorf("kept %d layouts (counted %d), want at most %d", n, nLayouts.Load(), maxLayouts)
	}
}
