// Package memsize estimates how much memory a value holds, for caches
// bounded in bytes. The estimate follows what Go allocates for strings,
// slices, maps, pointers and interfaces, closely enough to bound a cache
// (within tens of percent), not to account for every byte.
package memsize

import (
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
)

// maxDepth bounds the walk: cached values are decoded JSON and never
// nest this deep; a cycle stops here rather than looping.
const maxDepth = 32

// mapEntryOverhead is a map entry's share of its buckets beyond its key
// and value (tophash, overflow pointers, load factor).
const mapEntryOverhead = 16

// Of is the estimated size in bytes of v: its own size and everything it
// reaches through pointers, slices, strings, maps and interfaces.
func Of(v any) int64 {
	if v == nil {
		return 0
	}
	rv := reflect.ValueOf(v)
	l := layoutOf(rv.Type())
	return l.size + indirect(rv, l, 0)
}

// String is the size of a string header and its bytes.
func String(s string) int64 { return int64(unsafe.Sizeof(s)) + int64(len(s)) }

// layout is what the walk needs of a type, worked out once per type: a
// cache's weigher runs on every value it stores, and asking reflect for a
// struct's fields allocates (reflect.Type.Field builds an index slice).
type layout struct {
	kind     reflect.Kind
	size     int64
	indirect bool    // values can reach memory beyond their inline size
	elem     *layout // pointer, slice and array elements; map values
	key      *layout // map keys
	fields   []fieldLayout
}

// fieldLayout is a struct field that can reach memory beyond the struct.
type fieldLayout struct {
	index int
	l     *layout
}

// maxLayouts bounds the layouts kept. A program has finitely many types,
// but reflect can make more (reflect.StructOf): past the bound, layouts are
// worked out per call and not kept.
const maxLayouts = 4096

var (
	layouts  sync.Map // reflect.Type → *layout
	nLayouts atomic.Int64
)

func layoutOf(t reflect.Type) *layout {
	if l, ok := layouts.Load(t); ok {
		return l.(*layout)
	}
	made := map[reflect.Type]*layout{}
	l := build(t, made)
	if nLayouts.Load()+int64(len(made)) <= maxLayouts {
		for t, l := range made {
			if _, loaded := layouts.LoadOrStore(t, l); !loaded {
				nLayouts.Add(1)
			}
		}
	}
	return l
}

// build makes t's layout and those of the types it contains; made holds
// the ones under way, so a recursive type ends.
func build(t reflect.Type, made map[reflect.Type]*layout) *layout {
	if l, ok := made[t]; ok {
		return l
	}
	if l, ok := layouts.Load(t); ok {
		return l.(*layout)
	}
	l := &layout{kind: t.Kind(), size: int64(t.Size())}
	made[t] = l
	switch l.kind {
	case reflect.String, reflect.Interface:
		l.indirect = true
	case reflect.Pointer, reflect.Slice:
		l.indirect = true
		l.elem = build(t.Elem(), made)
	case reflect.Map:
		l.indirect = true
		l.key, l.elem = build(t.Key(), made), build(t.Elem(), made)
	case reflect.Array:
		l.elem = build(t.Elem(), made)
		l.indirect = l.elem.indirect
	case reflect.Struct:
		for i := range t.NumField() {
			if f := build(t.Field(i).Type, made); f.indirect {
				l.fields = append(l.fields, fieldLayout{i, f})
			}
		}
		l.indirect = len(l.fields) > 0
	}
	return l
}

// indirect is what v, of layout l, reaches beyond its own (inline) size.
func indirect(v reflect.Value, l *layout, depth int) int64 {
	if depth > maxDepth || !l.indirect {
		return 0
	}
	switch l.kind {
	case reflect.String:
		return int64(v.Len())
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		return l.elem.size + indirect(v.Elem(), l.elem, depth+1)
	case reflect.Interface:
		if v.IsNil() {
			return 0
		}
		e := v.Elem()
		el := layoutOf(e.Type())
		return el.size + indirect(e, el, depth+1)
	case reflect.Slice:
		if v.IsNil() {
			return 0
		}
		n := int64(v.Cap()) * l.elem.size
		if l.elem.indirect {
			for i := range v.Len() {
				n += indirect(v.Index(i), l.elem, depth+1)
			}
		}
		return n
	case reflect.Array:
		var n int64
		for i := range v.Len() {
			n += indirect(v.Index(i), l.elem, depth+1)
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return 0
		}
		n := int64(v.Len()) * (l.key.size + l.elem.size + mapEntryOverhead)
		if l.key.indirect || l.elem.indirect {
			it := v.MapRange()
			for it.Next() {
				n += indirect(it.Key(), l.key, depth+1) + indirect(it.Value(), l.elem, depth+1)
			}
		}
		return n
	case reflect.Struct:
		var n int64
		for _, f := range l.fields {
			n += indirect(v.Field(f.index), f.l, depth+1)
		}
		return n
	}
	return 0
}
