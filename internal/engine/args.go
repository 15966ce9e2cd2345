package engine

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Arguments of other types than the built-in scalars, converted as
// gqlgen's generated unmarshalers do: a custom scalar or an enum by its
// UnmarshalGQL, a list element by element (a single value as a list of
// one), an input object field by field into the model's struct (fields
// matched by their JSON names, as gqlgen's models tag them).

var unmarshalerType = reflect.TypeFor[graphql.Unmarshaler]()

// unmarshalerConv converts by t's UnmarshalGQL; nil when t has none.
func unmarshalerConv(t reflect.Type) func(any) (reflect.Value, error) {
	if t.Kind() == reflect.Pointer || !reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	return func(v any) (reflect.Value, error) {
		p := reflect.New(t)
		err := p.Interface().(graphql.Unmarshaler).UnmarshalGQL(v)
		return p.Elem(), err
	}
}

// listConv converts a list argument.
func (p *planner) listConv(t reflect.Type, gt *ast.Type) (func(any) (reflect.Value, error), error) {
	elem, err := p.argConverter(t.Elem(), gt.Elem)
	if err != nil {
		return nil, err
	}
	return func(v any) (reflect.Value, error) {
		if v == nil {
			return reflect.Zero(t), nil
		}
		vs := graphql.CoerceList(v)
		out := reflect.MakeSlice(t, len(vs), len(vs))
		for i, e := range vs {
			ev, err := elem(e)
			if err != nil {
				return reflect.Value{}, err
			}
			out.Index(i).Set(ev)
		}
		return out, nil
	}, nil
}

// inputConv converts an input object into t, its model.
func (p *planner) inputConv(t reflect.Type, gt *ast.Type) (func(any) (reflect.Value, error), error) {
	def := p.schema.Types[gt.Name()]
	if def == nil || def.Kind != ast.InputObject {
		return nil, fmt.Errorf("%s is not an input object", gt.Name())
	}
	type field struct {
		name  string
		index []int
		conv  func(any) (reflect.Value, error)
	}
	var fields []field
	for _, f := range def.Fields {
		sf, ok := inputField(t, f.Name)
		if !ok {
			return nil, fmt.Errorf("%s has no field for %s.%s", t, def.Name, f.Name)
		}
		conv, err := p.argConverter(sf.Type, f.Type)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", def.Name, f.Name, err)
		}
		fields = append(fields, field{f.Name, sf.Index, conv})
	}
	return func(v any) (reflect.Value, error) {
		m, ok := v.(map[string]any)
		if !ok {
			return reflect.Value{}, fmt.Errorf("%s: got %T, want an object", def.Name, v)
		}
		out := reflect.New(t).Elem()
		for _, f := range fields {
			fv, present := m[f.name]
			if !present {
				continue
			}
			c, err := f.conv(fv)
			if err != nil {
				return reflect.Value{}, err
			}
			out.FieldByIndex(f.index).Set(c)
		}
		return out, nil
	}, nil
}

// inputField is the struct field of an input object's field: by JSON
// name, else by Go name.
func inputField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && (tag == name || tag == "" && strings.EqualFold(f.Name, name)) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}
