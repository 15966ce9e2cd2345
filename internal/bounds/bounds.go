// Package bounds gives the ranges that slicing arguments accept (`first`,
// the length of `ids`) as the cost estimate and its tests read them. The
// ranges are declared in the schema (@range on an argument, or the
// contract's minimum/maximum of the parameter an argument feeds) and
// compiled into graph/registry by go generate; this package only adapts
// that one source, it keeps no list of its own.
package bounds

import (
	"fmt"
	"math"

	"github.com/tributary-gw/tributary/graph/registry"
)

// Range is an inclusive range: of an Int argument's value, or (List) of a
// list argument's length.
type Range struct {
	Min, Max int
	List     bool
}

// Contains reports whether n is within r.
func (r Range) Contains(n int64) bool { return n >= int64(r.Min) && n <= int64(r.Max) }

// Check is registry.Range.Check on r: "" when n is within r, else what is
// wrong (a bound at the edge of GraphQL's Int, or a list's 0, goes
// unsaid).
func (r Range) Check(n int64) string {
	floor := int64(math.MinInt32)
	if r.List {
		floor = 0
	}
	return registry.Range{
		Min: int64(r.Min), HasMin: int64(r.Min) > floor,
		Max: int64(r.Max), HasMax: r.Max < math.MaxInt32,
		List: r.List,
	}.Check(n)
}

// Arg names one argument of one field.
type Arg struct {
	Type, Field, Arg string
}

func (a Arg) String() string { return fmt.Sprintf("%s.%s(%s:)", a.Type, a.Field, a.Arg) }

// Declared returns every declared bound.
func Declared() map[Arg]Range {
	out := map[Arg]Range{}
	registry.Fields(func(typeName, field string, d *registry.Field) {
		for arg, r := range d.Args {
			out[Arg{typeName, field, arg}] = of(r)
		}
	})
	return out
}

// Lookup returns the declared bound of typeName.field(arg:), if any.
func Lookup(typeName, field, arg string) (Range, bool) {
	d := registry.Lookup(typeName, field)
	if d == nil {
		return Range{}, false
	}
	r, ok := d.Args[arg]
	if !ok {
		return Range{}, false
	}
	return of(r), true
}

// of clamps a registry range to GraphQL's 32-bit Int (a list's length
// starts at 0).
func of(r registry.Range) Range {
	lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
	if r.List {
		lo = 0
	}
	if r.HasMin {
		lo = max(lo, r.Min)
	}
	if r.HasMax {
		hi = min(hi, r.Max)
	}
	return Range{Min: int(lo), Max: int(hi), List: r.List}
}
