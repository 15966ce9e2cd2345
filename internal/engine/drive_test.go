package engine

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// noRuntime is a Runtime without loaders.
type noRuntime struct{}

func (noRuntime) Manual(context.Context) (func(func(string, string) bool), bool) {
	return func(func(string, string) bool) {}, true
}
func (noRuntime) Unmanaged(context.Context)                            {}
func (noRuntime) OnWait(ctx context.Context, _ Waiter) context.Context { return ctx }
func (noRuntime) WithRoot(ctx context.Context) (context.Context, func() error) {
	return ctx, func() error { return nil }
}

type driveObj struct{ ID string }

// resolverNode is a field served by fn, a resolver taking the context
// (and the parent, unless root).
func resolverNode(name string, slot int, root bool, fn any) *node {
	n := &node{key: name, field: graphql.CollectedField{Field: &ast.Field{Name: name, Alias: name}}, object: "T",
		src: fromResolver, res: &binding{fn: reflect.ValueOf(fn), root: root}, exec: true, slot: slot, leaf: leafString}
	if reflect.TypeOf(fn).Out(0) != reflect.TypeFor[string]() {
		n.leaf = notLeaf
	}
	return n
}

// A call waiting on something another call's answer brings about holds
// only its own goroutine: the answer is settled and what it allows runs
// meanwhile, whichever goroutine drive runs the waiting call on (here the
// last call of the first round, the one drive runs itself).
func TestDriveAWaitingCallHoldsOnlyItself(t *testing.T) {
	childRan := make(chan struct{})
	child := resolverNode("child", 0, false, func(context.Context, *driveObj) (string, error) {
		close(childRan)
		return "c", nil
	})
	a := resolverNode("a", 0, true, func(context.Context) (*driveObj, error) { return &driveObj{ID: "a"}, nil })
	a.children, a.execChildren = []*node{child}, []*node{child}
	b := resolverNode("b", 1, true, func(ctx context.Context) (string, error) {
		select {
		case <-childRan:
			return "b", nil
		case <-time.After(10 * time.Second):
			return "", errors.New("a's child never ran while b waited")
		}
	})
	root := &node{exec: true, children: []*node{a, b}, execChildren: []*node{a, b}}
	w := NewWorkers(4)
	defer w.Close()
	for _, workers := range []*Workers{w, nil} {
		r := &run{e: &Engine{cfg: Config{Runtime: noRuntime{}, Workers: workers}}, ctx: context.Background(), roots: map[*node]rootState{},
			dispatch: func(func(string, string) bool) {}}
		r.baseFC = &graphql.FieldContext{Object: "Query"}
		r.base = graphql.WithFieldContext(r.ctx, r.baseFC)
		g := r.execute(root)
		if err := g.res[1].errs[0]; err != nil {
			t.Fatal(err)
		}
		if got := g.res[1].vals[0].String(); got != "b" {
			t.Fatalf("b: got %q", got)
		}
		sub := g.res[0].subs[0]
		if got := sub.res[0].vals[0].String(); got != "c" {
			t.Fatalf("a.child: got %q", got)
		}
		childRan = make(chan struct{})
	}
}

// A panic while settling a call (not a resolver's: invoke reports those)
// comes out of drive, on the goroutine that runs the operation, wherever
// the call ran; the run does not hang.
func TestDrivePassesOnASettlePanic(t *testing.T) {
	bad := resolverNode("bad", 0, true, func(context.Context) (*driveObj, error) { return &driveObj{}, nil })
	// A child with a slot past the group's results: settling bad's answer
	// panics (index out of range).
	bad.execChildren = []*node{resolverNode("x", 5, false, func(context.Context, *driveObj) (string, error) { return "", nil })}
	ok := resolverNode("ok", 1, true, func(context.Context) (string, error) { return "ok", nil })
	root := &node{exec: true, children: []*node{bad, ok}, execChildren: []*node{bad, ok}}
	w := NewWorkers(4)
	defer w.Close()
	r := &run{e: &Engine{cfg: Config{Runtime: noRuntime{}, Workers: w}}, ctx: context.Background(), roots: map[*node]rootState{},
		dispatch: func(func(string, string) bool) {}}
	r.baseFC = &graphql.FieldContext{Object: "Query"}
	r.base = graphql.WithFieldContext(r.ctx, r.baseFC)
	defer func() {
		if recover() == nil {
			t.Fatal("no panic out of drive")
		}
	}()
	r.execute(root)
}
