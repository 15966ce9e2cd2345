// Package memsize estimates how much memory a value holds, for caches
// bounded in bytes. The estimate follows what Go allocates for strings,
// slices, maps, pointers and interfaces, closely enough to bound a cache
// (within tens of percent), not to account for every byte.
package memsize

import (
	"reflect"
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
	return int64(rv.Type().Size()) + indirect(rv, 0)
}

// String is the size of a string header and its bytes.
func String(s string) int64 { return int64(unsafe.Sizeof(s)) + int64(len(s)) }

// indirect is what v reaches beyond its own (inline) size.
func indirect(v reflect.Value, depth int) int64 {
	if depth > maxDepth {
		return 0
	}
	switch v.Kind() {
	case reflect.String:
		return int64(v.Len())
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		e := v.Elem()
		return int64(e.Type().Size()) + indirect(e, depth+1)
	case reflect.Interface:
		if v.IsNil() {
			return 0
		}
		e := v.Elem()
		return int64(e.Type().Size()) + indirect(e, depth+1)
	case reflect.Slice:
		if v.IsNil() {
			return 0
		}
		n := int64(v.Cap()) * int64(v.Type().Elem().Size())
		if hasIndirect(v.Type().Elem()) {
			for i := range v.Len() {
				n += indirect(v.Index(i), depth+1)
			}
		}
		return n
	case reflect.Array:
		var n int64
		if hasIndirect(v.Type().Elem()) {
			for i := range v.Len() {
				n += indirect(v.Index(i), depth+1)
			}
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return 0
		}
		kt, et := v.Type().Key(), v.Type().Elem()
		n := int64(v.Len()) * (int64(kt.Size()) + int64(et.Size()) + mapEntryOverhead)
		if hasIndirect(kt) || hasIndirect(et) {
			it := v.MapRange()
			for it.Next() {
				n += indirect(it.Key(), depth+1) + indirect(it.Value(), depth+1)
			}
		}
		return n
	case reflect.Struct:
		var n int64
		for i := range v.NumField() {
			if hasIndirect(v.Type().Field(i).Type) {
				n += indirect(v.Field(i), depth+1)
			}
		}
		return n
	}
	return 0
}

// hasIndirect reports whether values of t can reach memory beyond their
// inline size.
func hasIndirect(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		return true
	case reflect.Array:
		return hasIndirect(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasIndirect(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}
