// Package bounds is the one table of the ranges that slicing arguments
// accept (`first`, the length of `ids`). The cost estimate checks them
// before a query runs, so an out-of-range argument is refused with no
// backend call and can never inflate (or overflow) the estimate; resolvers
// may read the same table instead of repeating the numbers.
//
// The table is data, not schema: it could become a directive (see the
// package's Lookup) once the schema's directives are compiled into a
// registry, without changing its readers.
package bounds

import "fmt"

// Range is an inclusive range: of an Int argument's value, or of a list
// argument's length.
type Range struct {
	Min, Max int
}

// Contains reports whether n is within r.
func (r Range) Contains(n int64) bool { return n >= int64(r.Min) && n <= int64(r.Max) }

// Arg names one argument of one field.
type Arg struct {
	Type, Field, Arg string
}

func (a Arg) String() string { return fmt.Sprintf("%s.%s(%s:)", a.Type, a.Field, a.Arg) }

// declared mirrors what the resolvers enforce (checkRange and the
// productsByIds cap). A function rather than a package variable so no
// caller can change it for everyone.
func declared() map[Arg]Range {
	return map[Arg]Range{
		{"Query", "products", "first"}:         {1, 100},
		{"Query", "productsByIds", "ids"}:      {0, 100},
		{"Product", "reviews", "first"}:        {0, 100},
		{"Product", "related", "first"}:        {0, 20},
		{"User", "orders", "first"}:            {0, 100},
		{"User", "reviews", "first"}:           {0, 100},
		{"Dashboard", "recentOrders", "first"}: {0, 100},
		{"Dashboard", "reviews", "first"}:      {0, 100},
	}
}

// Declared returns a copy of every declared bound.
func Declared() map[Arg]Range { return declared() }

// Lookup returns the declared bound of typeName.field(arg:), if any.
func Lookup(typeName, field, arg string) (Range, bool) {
	r, ok := declared()[Arg{typeName, field, arg}]
	return r, ok
}
