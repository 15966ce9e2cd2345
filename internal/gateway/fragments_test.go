package gateway_test

import (
	"fmt"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tributary-gw/tributary/graph"
)

// The fragment-chain generator of issue 18 (F1): chains of fragments that
// spread the next one two or three times — 2^40 or 3^26 paths, one merged
// selection — under every object and list field the schema lets a query
// reach, in several shapes (variables on the spreads, inline fragments,
// aliases, a field with a selection of its own). Whatever walks the
// document (validation, limits, analysis, planning, execution) must do
// work linear in it: each request is held to a CPU budget far below what
// one exponential walk takes, and must answer data or coded errors. It
// tests the request path from the outside, so it stays whatever engine
// runs the query.

// chainCPUBudget is generous (the race detector, a loaded 2-core machine):
// a linear walk of these documents takes a few milliseconds, an
// exponential one hours.
const chainCPUBudget = time.Second

// chainShape writes the fragments of one chain on type typeName, named
// prefix0…prefixN; obj is a field of the type with a selection set of its
// own ("" when it has none), scalar one without ("__typename" if none).
type chainShape struct {
	name  string
	depth int
	write func(b *strings.Builder, prefix, typeName, scalar, obj string, depth int)
}

var chainShapes = []chainShape{
	{"doubling", 40, func(b *strings.Builder, p, tn, scalar, _ string, n int) {
		for i := range n {
			fmt.Fprintf(b, "fragment %s%d on %s { %s ...%s%d ...%s%d }\n", p, i, tn, scalar, p, i+1, p, i+1)
		}
		fmt.Fprintf(b, "fragment %s%d on %s { __typename }\n", p, n, tn)
	}},
	{"tripling with @include/@skip variables", 26, func(b *strings.Builder, p, tn, _, _ string, n int) {
		for i := range n {
			fmt.Fprintf(b, "fragment %s%d on %s { ...%s%d @include(if: $yes) ...%s%d @skip(if: $no) ...%s%d }\n", p, i, tn, p, i+1, p, i+1, p, i+1)
		}
		fmt.Fprintf(b, "fragment %s%d on %s { __typename }\n", p, n, tn)
	}},
	{"doubling under @defer", 40, func(b *strings.Builder, p, tn, scalar, _ string, n int) {
		for i := range n {
			fmt.Fprintf(b, "fragment %s%d on %s { %s ...%s%d @defer(label: \"%s%d\") ... @defer { ...%s%d } }\n", p, i, tn, scalar, p, i+1, p, i, p, i+1)
		}
		fmt.Fprintf(b, "fragment %s%d on %s { __typename }\n", p, n, tn)
	}},
	{"inline fragments and aliases", 40, func(b *strings.Builder, p, tn, scalar, _ string, n int) {
		for i := range n {
			fmt.Fprintf(b, "fragment %s%d on %s { a%d: %s ... on %s { ...%s%d } ... @include(if: $yes) { ...%s%d } }\n", p, i, tn, i%3, scalar, tn, p, i+1, p, i+1)
		}
		fmt.Fprintf(b, "fragment %s%d on %s { a0: %s }\n", p, n, tn, scalar)
	}},
	{"a field with a selection in every fragment", 40, func(b *strings.Builder, p, tn, _, obj string, n int) {
		for i := range n {
			fmt.Fprintf(b, "fragment %s%d on %s { %s { __typename } ...%s%d ...%s%d }\n", p, i, tn, obj, p, i+1, p, i+1)
		}
		fmt.Fprintf(b, "fragment %s%d on %s { %s { __typename } }\n", p, n, tn, obj)
	}},
	{"spreads nested in the field's own selection", 40, func(b *strings.Builder, p, tn, _, obj string, n int) {
		// obj's type is not tn: the chain runs on tn through a selection
		// of obj's type whose fields are walked for every spread.
		for i := range n {
			fmt.Fprintf(b, "fragment %s%d on %s { %s { __typename } x: %s { __typename } ...%s%d @include(if: $yes) ...%s%d }\n", p, i, tn, obj, obj, p, i+1, p, i+1)
		}
		fmt.Fprintf(b, "fragment %s%d on %s { __typename }\n", p, n, tn)
	}},
}

// chainTarget is a field a chain goes under: the query text around it.
type chainTarget struct {
	coord          string // Type.field
	typeName       string // the field's (element) type
	list           bool
	before, after  string
	scalar, object string // fields of typeName for the shapes
}

// idPool is the shape of the demo dataset's ids (products, users, orders,
// reviews); an ID argument gets the first that answers.
var idPool = [][2]string{{"p1", "p2"}, {"u1", "u2"}, {"o1", "o2"}, {"r1", "r2"}}

func TestFragmentChainsUnderEveryFieldAreLinear(t *testing.T) {
	e := newEnv(t, withJWT)
	staff := token(t, "u1", "support")
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	targets := chainTargets(t, e, staff, schema)
	if len(targets) < 10 {
		t.Fatalf("the generator reached %d fields; the schema has more", len(targets))
	}
	lists := 0
	for _, tg := range targets {
		if tg.list {
			lists++
		}
	}
	if lists < 3 {
		t.Fatalf("the generator reached %d list fields, want the schema's lists", lists)
	}
	worst, worstName := time.Duration(0), ""
	for _, tg := range targets {
		for si, shape := range chainShapes {
			if (strings.Contains(shape.name, "selection")) && tg.object == "" {
				continue
			}
			var frags strings.Builder
			shape.write(&frags, fmt.Sprintf("C%d_", si), tg.typeName, tg.scalar, tg.object, shape.depth)
			q := "query Chain($yes: Boolean! = true, $no: Boolean! = false) { " + tg.before + "{ ...C" + fmt.Sprint(si) + "_0 }" + tg.after + " }\n" + frags.String()
			if !strings.Contains(q, "$yes)") {
				q = strings.Replace(q, "($yes: Boolean! = true, $no: Boolean! = false)", "", 1)
			} else if !strings.Contains(q, "$no)") {
				q = strings.Replace(q, ", $no: Boolean! = false", "", 1)
			}
			name := tg.coord + "/" + shape.name
			before := cpuTime()
			r := e.queryAs(staff, q, nil)
			spent := cpuTime() - before
			if spent > worst {
				worst, worstName = spent, name
			}
			if spent > chainCPUBudget {
				t.Errorf("%s: the request took %v of CPU, want at most %v (linear in a %d-byte document)", name, spent, chainCPUBudget, len(q))
			}
			if r.Status != 200 && r.Status != 422 && r.Status != 400 {
				t.Errorf("%s: status %d: %s", name, r.Status, r.Raw)
			}
			for _, er := range r.Errors {
				if er.Extensions["code"] == nil {
					t.Errorf("%s: an error without a code: %s", name, r.Raw)
				}
				if er.Extensions["code"] == "GRAPHQL_VALIDATION_FAILED" {
					t.Errorf("%s: the generator wrote an invalid query: %s\n%s", name, er.Message, q)
				}
			}
		}
	}
	t.Logf("%d fields (%d lists) × %d shapes; most CPU: %v (%s)", len(targets), lists, len(chainShapes), worst, worstName)
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// chainTargets finds, breadth first from the query root, a way to reach
// every object-typed field of the schema — list fields with at least two
// elements where the demo data has them — probing the ids to use.
func chainTargets(t *testing.T, e *env, tok string, schema *ast.Schema) []chainTarget {
	type reach struct{ before, after string }
	reached := map[string]reach{schema.Query.Name: {}}
	queue := []string{schema.Query.Name}
	var out []chainTarget
	seen := map[string]bool{}
	for len(queue) > 0 {
		tn := queue[0]
		queue = queue[1:]
		at := reached[tn]
		def := schema.Types[tn]
		for _, f := range def.Fields {
			ft := schema.Types[f.Type.Name()]
			if strings.HasPrefix(f.Name, "__") || ft == nil || ft.Kind != ast.Object {
				continue
			}
			coord := tn + "." + f.Name
			if seen[coord] {
				continue
			}
			args, ok := probeArgs(e, tok, at.before, at.after, f)
			if !ok {
				t.Logf("%s: no arguments found that answer data; skipped", coord)
				continue
			}
			seen[coord] = true
			before := at.before + f.Name + args + " "
			out = append(out, chainTarget{
				coord: coord, typeName: ft.Name, list: f.Type.Elem != nil,
				before: before, after: at.after,
				scalar: scalarOf(schema, ft), object: objectOf(schema, ft),
			})
			if _, ok := reached[ft.Name]; !ok {
				reached[ft.Name] = reach{before + "{ ", " }" + at.after}
				queue = append(queue, ft.Name)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].coord < out[j].coord })
	return out
}

// probeArgs returns arguments for f under which the query around it
// answers without errors, preferring ones that answer data.
func probeArgs(e *env, tok, before, after string, f *ast.FieldDefinition) (string, bool) {
	var candidates []string
	for _, pair := range idPool {
		var parts []string
		for _, a := range f.Arguments {
			if a.DefaultValue != nil || !a.Type.NonNull {
				continue
			}
			switch {
			case a.Type.Elem != nil:
				parts = append(parts, fmt.Sprintf(`%s: ["%s", "%s"]`, a.Name, pair[0], pair[1]))
			case a.Type.Name() == "ID" || a.Type.Name() == "String":
				parts = append(parts, fmt.Sprintf(`%s: "%s"`, a.Name, pair[0]))
			case a.Type.Name() == "Int":
				parts = append(parts, a.Name+": 2")
			case a.Type.Name() == "Boolean":
				parts = append(parts, a.Name+": true")
			}
		}
		args := ""
		if len(parts) > 0 {
			args = "(" + strings.Join(parts, ", ") + ")"
		}
		if len(candidates) > 0 && candidates[len(candidates)-1] == args {
			break // no ID argument: one candidate
		}
		candidates = append(candidates, args)
	}
	fallback, found := "", false
	for _, args := range candidates {
		r := e.queryAs(tok, "{ "+before+f.Name+args+" { __typename }"+after+" }", nil)
		if len(r.Errors) > 0 {
			continue
		}
		if strings.Contains(string(r.Raw), "__typename") {
			return args, true
		}
		if !found {
			fallback, found = args, true
		}
	}
	return fallback, found
}

// scalarOf is a field of def without arguments or selection.
func scalarOf(schema *ast.Schema, def *ast.Definition) string {
	for _, f := range def.Fields {
		if k := schema.Types[f.Type.Name()]; k != nil && (k.Kind == ast.Scalar || k.Kind == ast.Enum) && !requiredArgs(f) {
			return f.Name
		}
	}
	return "__typename"
}

// objectOf is an object-typed field of def without required arguments.
func objectOf(schema *ast.Schema, def *ast.Definition) string {
	for _, f := range def.Fields {
		if k := schema.Types[f.Type.Name()]; k != nil && k.Kind == ast.Object && !requiredArgs(f) {
			return f.Name
		}
	}
	return ""
}

func requiredArgs(f *ast.FieldDefinition) bool {
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			return true
		}
	}
	return false
}
