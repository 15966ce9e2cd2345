package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/tributarytest"
)

// askStream sends one request accepting multipart/mixed (incremental
// delivery) and returns its parts: the initial payload, then one per
// incremental entry (the transport may send several in one part), each
// with the hasNext of the part it came in.
func (p *pair) askStream(gw *tributarytest.Gateway, tok, q string, vars map[string]any) []map[string]any {
	p.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	// A stream that never ends (gqlgen's executor waiting on a deferred
	// payload that never completes) fails the test instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, gw.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", `multipart/mixed; deferSpec=20220824, application/json`)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := gw.HTTP.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		// Refused before execution: one plain JSON answer.
		raw, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			p.t.Fatalf("response is not JSON (%v): %s", err, raw)
		}
		return []map[string]any{m}
	}
	mr := multipart.NewReader(bufio.NewReader(resp.Body), params["boundary"])
	var out []map[string]any
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			p.t.Fatalf("reading the stream: %v (parts so far %v)", err, out)
		}
		raw, _ := io.ReadAll(part)
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			p.t.Fatalf("part is not JSON: %q", raw)
		}
		if out == nil {
			m["raw"] = string(raw)
			out = append(out, m)
			continue
		}
		for _, inc := range asList(m["incremental"]) {
			e := inc.(map[string]any)
			e["partHasNext"] = m["hasNext"]
			out = append(out, e)
		}
	}
}

// canonicalStream makes an incremental response comparable. Which payload
// of an object carries a field deferred under two labels, how errors split
// between an object's payloads, and the order of payloads all depend on
// timing in gqlgen's executor; what does not is compared exactly: the
// initial payload (as canonical has it, hasNext included), the data
// merged from all payloads into it (key order included), the labels and
// paths of the payloads and which of them are null, all errors of the
// payloads, and that the last one says hasNext false.
func canonicalStream(t *testing.T, parts []map[string]any) string {
	t.Helper()
	if len(parts) == 0 {
		t.Fatal("empty stream")
	}
	first := parts[0]
	raw, _ := first["raw"].(string)
	if raw == "" {
		raw2, _ := json.Marshal(first)
		raw = string(raw2)
	}
	// Which answers were stale is request-wide and reported with every
	// payload; gqlgen runs deferred fields while the initial payload is
	// made, so which payload first lists one is timing: all are compared
	// as one set, by service (the path is the one of the call that sent
	// a batch, whichever of its callers came first).
	var init struct {
		Data       json.RawMessage `json:"data"`
		Errors     []any           `json:"errors,omitempty"`
		Extensions map[string]any  `json:"extensions,omitempty"`
	}
	if err := json.Unmarshal([]byte(raw), &init); err != nil {
		t.Fatalf("initial payload: %v", err)
	}
	stale := map[string]bool{}
	takeStale := func(ext map[string]any) {
		trib, _ := ext["tributary"].(map[string]any)
		for _, s := range asList(trib["stale"]) {
			m := s.(map[string]any)
			stale[fmt.Sprint(m["service"])] = true
		}
		if trib != nil {
			delete(trib, "stale")
			if len(trib) == 0 {
				delete(ext, "tributary")
			}
		}
	}
	takeStale(init.Extensions)
	if len(init.Extensions) == 0 {
		init.Extensions = nil
	}
	rawInit, _ := json.Marshal(init)
	for _, inc := range parts[1:] {
		ext, _ := inc["extensions"].(map[string]any)
		takeStale(ext)
	}
	staleList := slices.Sorted(maps.Keys(stale))
	var b strings.Builder
	fmt.Fprintf(&b, "initial hasNext %v\n%s\nstale anywhere:\n%s", first["hasNext"], canonical(t, rawInit), joinLines(staleList))
	var initial struct {
		Data json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal([]byte(raw), &initial)
	merged := decodeOrdered(t, initial.Data)
	var heads []string
	var errs []any
	// gqlgen may send a payload inside a deferred object before the
	// payload that holds the object: merged by depth, parents come first.
	incs := slices.Clone(parts[1:])
	slices.SortStableFunc(incs, func(a, b map[string]any) int { return len(asList(a["path"])) - len(asList(b["path"])) })
	if n := len(parts); n > 1 {
		if last := parts[n-1]; last["hasNext"] != false || last["partHasNext"] != false {
			fmt.Fprintf(&b, "last payload hasNext %v (part %v)\n", last["hasNext"], last["partHasNext"])
		}
	}
	for _, inc := range incs {
		path, _ := json.Marshal(inc["path"])
		null := inc["data"] == nil
		heads = append(heads, fmt.Sprintf("%s %q null=%v", path, inc["label"], null))
		errs = append(errs, asList(inc["errors"])...)
		if !null {
			db, _ := json.Marshal(inc["data"])
			mergeAt(t, merged, asList(inc["path"]), decodeOrdered(t, db))
		}
	}
	slices.Sort(heads)
	// The payloads' errors, made comparable as canonical does.
	eb, _ := json.Marshal(map[string]any{"data": nil, "errors": errs})
	var mb bytes.Buffer
	writeOrdered(&mb, merged)
	fmt.Fprintf(&b, "merged: %s\npayloads:\n%sincremental %s", mb.String(), joinLines(heads), canonical(t, eb))
	return b.String()
}

// ordered is a JSON object that keeps its keys' order.
type ordered struct {
	keys []string
	vals map[string]any
}

func decodeOrdered(t *testing.T, raw []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var read func() any
	read = func() any {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("decoding %s: %v", raw, err)
		}
		switch tok {
		case json.Delim('{'):
			o := &ordered{vals: map[string]any{}}
			for d.More() {
				k, _ := d.Token()
				key := k.(string)
				o.keys = append(o.keys, key)
				o.vals[key] = read()
			}
			d.Token()
			return o
		case json.Delim('['):
			var l []any
			for d.More() {
				l = append(l, read())
			}
			d.Token()
			return l
		}
		return tok
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	return read()
}

// mergeAt sets the fields of data on the object at path in v.
func mergeAt(t *testing.T, v any, path []any, data any) {
	t.Helper()
	for _, p := range path {
		switch p := p.(type) {
		case string:
			o, ok := v.(*ordered)
			if !ok {
				t.Fatalf("payload path %v: %v is not an object", path, v)
			}
			v = o.vals[p]
		case json.Number:
			i, _ := p.Int64()
			l, ok := v.([]any)
			if !ok || int(i) >= len(l) {
				t.Fatalf("payload path %v: no element %d", path, i)
			}
			v = l[i]
		}
	}
	o, ok := v.(*ordered)
	src, ok2 := data.(*ordered)
	if !ok || !ok2 {
		// The object at the path was nulled after its payload was made.
		return
	}
	for _, k := range src.keys {
		if _, had := o.vals[k]; !had {
			o.keys = append(o.keys, k)
		}
		o.vals[k] = src.vals[k]
	}
}

func writeOrdered(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case *ordered:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			writeOrdered(b, v.vals[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeOrdered(b, e)
		}
		b.WriteByte(']')
	default:
		vb, _ := json.Marshal(v)
		b.Write(vb)
	}
}

// deferRuns is the number of random operations with @defer compared.
const deferRuns = 600

// Random operations with @defer — labelled, nested, on lists, under
// fragments, with @defer(if:), @skip and @include on variables — deliver
// the same initial payload and the same incremental payloads from the
// plan as from gqlgen's executor, and all of them run on the plan.
func TestDifferentialDeferMatchesGQLGen(t *testing.T) {
	t.Parallel()
	d := newDifferential(t)
	d.defers = true
	var planCalls, refCalls int64
	deferred := 0
	for seed := range uint64(deferRuns) {
		g := newQueryGen(d.schema, seed)
		g.withAuth, g.directives, g.defers = true, true, true
		if q, _ := g.query(); strings.Contains(q, "@defer") {
			deferred++
		}
		pc, rc, _ := d.compare(t, seed, seed)
		planCalls += pc
		refCalls += rc
	}
	p := d.p
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Logf("%d operations (%d with @defer): plan ran %d, gqlgen %d; backend calls: plan %d, gqlgen %d",
		deferRuns, deferred, p.engines[engine.Plan], p.engines[engine.GQLGen], planCalls, refCalls)
	if deferred < deferRuns/3 {
		t.Errorf("%d of %d operations have @defer; want a third at least", deferred, deferRuns)
	}
	if p.engines[engine.GQLGen] > 0 {
		t.Errorf("%d operations ran on gqlgen's executor, want none", p.engines[engine.GQLGen])
	}
}
