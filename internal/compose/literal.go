package compose

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// element renders v — a value of graph/registry's types, an element of a
// slice or map literal, whose type the container implies — as a Go
// composite literal for the registry's own package: zero fields left out,
// maps in key order, durations in seconds. It walks the types by
// reflection, so a field added to the registry needs no edit here.
func element(v any) (string, error) { return render(v, true) }

func render(v any, elided bool) (string, error) {
	var b strings.Builder
	if err := writeLiteral(&b, reflect.ValueOf(v), elided); err != nil {
		return "", err
	}
	return b.String(), nil
}

var durationType = reflect.TypeFor[time.Duration]()

// writeLiteral writes v; elided says the type is implied by the container
// (an element of a slice or map of that type).
func writeLiteral(b *strings.Builder, v reflect.Value, elided bool) error {
	if gs, ok := v.Interface().(fmt.GoStringer); ok && v.Kind() != reflect.Pointer {
		b.WriteString(gs.GoString())
		return nil
	}
	if v.Type() == durationType {
		d := time.Duration(v.Int())
		if d%time.Second == 0 {
			fmt.Fprintf(b, "%d * time.Second", d/time.Second)
		} else {
			fmt.Fprintf(b, "%d", d)
		}
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		b.WriteString(strconv.Quote(v.String()))
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil")
			return nil
		}
		if !elided {
			b.WriteString("&")
		}
		return writeLiteral(b, v.Elem(), elided)
	case reflect.Struct:
		if !elided {
			b.WriteString(typeName(v.Type()))
		}
		b.WriteString("{")
		n := 0
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() || v.Field(i).IsZero() {
				continue
			}
			if n > 0 {
				b.WriteString(", ")
			}
			n++
			b.WriteString(f.Name + ": ")
			if err := writeLiteral(b, v.Field(i), false); err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
		}
		b.WriteString("}")
	case reflect.Slice:
		b.WriteString(typeName(v.Type()) + "{")
		for i := range v.Len() {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := writeLiteral(b, v.Index(i), true); err != nil {
				return err
			}
		}
		b.WriteString("}")
	case reflect.Map:
		b.WriteString(typeName(v.Type()) + "{")
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := writeLiteral(b, k, true); err != nil {
				return err
			}
			b.WriteString(": ")
			if err := writeLiteral(b, v.MapIndex(k), true); err != nil {
				return err
			}
		}
		b.WriteString("}")
	default:
		return fmt.Errorf("compose: no literal for %s", v.Type())
	}
	return nil
}

// typeName names t as the registry's package spells it.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + typeName(t.Elem())
	case reflect.Slice:
		return "[]" + typeName(t.Elem())
	case reflect.Map:
		return "map[" + typeName(t.Key()) + "]" + typeName(t.Elem())
	}
	return t.Name()
}
