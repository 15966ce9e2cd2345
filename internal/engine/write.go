package engine

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
)

// writer writes the response straight from the plan's shape and the
// values the rounds fetched: no marshaler, goroutine or field context per
// field. A non-null field that is null makes its object null, up to the
// nearest nullable field (the object's bytes are cut back); errors are
// reported as gqlgen's executor reports them, with their paths.
type writer struct {
	r     *run
	buf   []byte
	stack []frame
	// frames backs stack while the path is short (most are).
	frames [16]frame
}

// data writes the root fields of the groups (one for a query, one per
// root field for a mutation), in order; null when a non-null one is null.
func (w *writer) data(roots ...*group) []byte {
	w.buf = append(w.buf, '{')
	k := 0
	valid := true
	for _, root := range roots {
		for _, c := range root.node.children {
			if k > 0 {
				w.buf = append(w.buf, ',')
			}
			k++
			if !w.rootField(root, c) {
				valid = false
			}
		}
	}
	w.buf = append(w.buf, '}')
	if !valid {
		return append(w.buf[:0], "null"...)
	}
	return w.buf
}

// rootField writes root field c; false when it is null but may not be.
func (w *writer) rootField(root *group, c *node) bool {
	w.buf = append(w.buf, c.quoted...)
	w.stack = append(w.stack, frame{n: c, idx: -1})
	start := len(w.buf)
	ok := w.field(c, root, 0, root.objs[0])
	if st, has := w.r.roots[c]; has && st.err() != nil {
		// A critical field below failed: the root field is null.
		w.buf = append(w.buf[:start], "null"...)
		ok = !c.nonNull
		if w.r.e.cfg.RootFailed != nil {
			w.r.e.cfg.RootFailed(w.ctxHere(), c.key, st.err())
		}
	}
	w.stack = w.stack[:len(w.stack)-1]
	return ok
}

// object writes the fields of o, object i of group g (g is nil outside the
// subtrees the rounds walked); false when a non-null field is null.
func (w *writer) object(n *node, g *group, i int, o reflect.Value) bool {
	ok := true
	w.buf = append(w.buf, '{')
	for k, c := range n.children {
		if k > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, c.quoted...)
		if len(c.deferIn) > 0 { // comes later; null until then, as in gqlgen
			w.buf = append(w.buf, "null"...)
			continue
		}
		w.stack = append(w.stack, frame{n: c, idx: -1})
		if !w.field(c, g, i, o) {
			ok = false
		}
		w.stack = w.stack[:len(w.stack)-1]
	}
	w.buf = append(w.buf, '}')
	if ok && len(n.views) > 0 {
		w.r.deferred.waiting = append(w.r.deferred.waiting, deferredObject{g: g, i: i, o: o, path: slices.Clone(w.stack)})
	}
	return ok
}

// field writes field c of object i of g; false when it is null but may
// not be.
func (w *writer) field(c *node, g *group, i int, o reflect.Value) bool {
	if c.src == fromTypename {
		w.buf = appendQuoted(w.buf, c.object)
		return true
	}
	var v reflect.Value
	var sub *group
	var err error
	batch := false
	if c.exec {
		fr := &g.res[c.slot]
		if fr.vals == nil { // no object of the group was present
			return w.null(c, false)
		}
		v, err = fr.vals[i], fr.errs[i]
		if fr.subs != nil {
			sub = fr.subs[i]
		}
		batch = fr.batchErr != nil && fr.batchErr[i]
	} else {
		if c.reg != nil && c.reg.Auth != "" {
			err = w.r.authorize(w.r.base, c, argSet{}, o)
		}
		if err == nil {
			v, err = w.r.property(o, c)
		}
	}
	if err != nil {
		w.report(err, batch, i)
		w.buf = append(w.buf, "null"...)
		return !c.nonNull
	}
	if !v.IsValid() {
		return w.null(c, true)
	}
	if c.list {
		if v.IsNil() {
			return w.null(c, true)
		}
		if !w.list(c, v, sub, 0) {
			return !c.nonNull
		}
		return true
	}
	return w.value(c, v, sub, 0, c.nonNull)
}

// null writes null for field c; a non-null field reports it (unless the
// field already has an error) and makes its object null.
func (w *writer) null(c *node, report bool) bool {
	w.buf = append(w.buf, "null"...)
	if c.nonNull && report {
		graphql.AddInvalidNullError(w.ctxHere(), "")
	}
	return !c.nonNull
}

// value writes one value of field c (the field's, or a list element's);
// sub holds the objects the rounds walked, j is the value's index in it.
func (w *writer) value(c *node, v reflect.Value, sub *group, j int, nonNull bool) bool {
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		w.buf = append(w.buf, "null"...)
		if nonNull {
			declared := ""
			if c.leaf == notLeaf {
				declared = c.elemType + "!"
			}
			graphql.AddInvalidNullError(w.ctxHere(), declared)
		}
		return !nonNull
	}
	if c.leaf != notLeaf {
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		switch c.leaf {
		case leafString, leafEnum:
			w.buf = appendQuoted(w.buf, v.String())
		case leafInt:
			w.buf = strconv.AppendInt(w.buf, v.Int(), 10)
		case leafFloat:
			w.buf = strconv.AppendFloat(w.buf, v.Float(), 'g', -1, 64)
		case leafBool:
			w.buf = strconv.AppendBool(w.buf, v.Bool())
		case leafMarshal:
			return w.marshal(v)
		case leafTime:
			t, _ := reflect.TypeAssert[time.Time](v) // no copy on the heap, as Interface makes
			if t.IsZero() {
				w.buf = append(w.buf, "null"...)
				if nonNull {
					graphql.AddInvalidNullFromMarshaler(w.ctxHere(), "Time!")
				}
				return !nonNull
			}
			w.buf = append(w.buf, '"')
			w.buf = t.AppendFormat(w.buf, time.RFC3339Nano)
			w.buf = append(w.buf, '"')
		}
		return true
	}
	start := len(w.buf)
	var ok bool
	if c.variants != nil {
		ok = w.abstractValue(c, v, sub, j)
	} else {
		ok = w.object(c, sub, j, v)
	}
	if !ok {
		w.buf = append(w.buf[:start], "null"...)
		return !nonNull
	}
	return true
}

// report adds a field's error as gqlgen's executor does: a batch
// resolver's at the parent's path, others with the field's location.
func (w *writer) report(err error, batch bool, i int) {
	ctx := w.ctxHere()
	switch {
	case batch:
		graphql.AddBatchError(ctx, i, err)
	default:
		if p, ok := err.(panicked); ok {
			w.r.oc.Error(ctx, w.r.oc.Recover(ctx, p.v))
			return
		}
		w.r.oc.Error(ctx, graphql.AddFieldLocationToError(ctx, err))
	}
}

// ctxHere is the response context with the field contexts of the current
// path, for reporting an error there.
func (w *writer) ctxHere() context.Context { return w.r.framesCtx(w.r.base, w.stack) }

// appendQuoted writes s as gqlgen writes strings.
func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			if c < utf8.RuneSelf {
				i++
				continue
			}
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		case '\n':
			b = append(b, '\\', 'n')
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
