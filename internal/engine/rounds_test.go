package engine

import "testing"

// Held keys wait for keys due in their own round whatever is below them,
// and for a later round (within the plan's last) only when nothing is
// fetched below them: a held subtree is never renumbered.
func TestHeldKeysWaitOnlyWhereThePlanDoesNotMove(t *testing.T) {
	flat := heldStep{round: 1, deep: -1}.with(1, 0)
	deep := heldStep{round: 1, deep: -1}.with(1, 2)
	mixed := flat.with(2, 1) // flat keys of round 1, deep ones of round 2
	split := deep.with(2, 1) // deep keys of rounds 1 and 2
	for _, tt := range []struct {
		name     string
		h        heldStep
		at, last int
		want     bool
	}{
		{"flat, same round", flat, 1, 3, true},
		{"flat, later round", flat, 2, 3, true},
		{"flat, past the plan's last round", flat, 4, 3, false},
		{"flat, earlier round", flat, 0, 3, false},
		{"deep, same round", deep, 1, 3, true},
		{"deep, later round", deep, 2, 3, false},
		{"mixed, the deep keys' round", mixed, 2, 3, true},
		{"mixed, later still", mixed, 3, 3, false},
		{"deep keys of two rounds", split, 2, 3, false},
	} {
		if got := tt.h.waitsFor(tt.at, tt.last); got != tt.want {
			t.Errorf("%s: waitsFor(%d, %d) = %v, want %v (%+v)", tt.name, tt.at, tt.last, got, tt.want, tt.h)
		}
	}
}

// -explain's numbering holds a queue's flat uses for its next round, and
// stops at a use that fetches below it.
func TestExplainHoldsFlatUsesForTheNextRound(t *testing.T) {
	u := func(off, height int) *use {
		return &use{useKey: useKey{off: off, step: "pricing prices"}, height: height, fields: []*node{{}}}
	}
	other := &use{useKey: useKey{off: 1, step: "pricing prices", params: `currency: "EUR"`}, fields: []*node{{}}}
	got := held([]*use{u(1, 0), u(2, 0), other, u(3, 1), u(4, 0)})
	var rounds []int
	for _, c := range got {
		rounds = append(rounds, c.off)
	}
	// Rounds 1 and 2 go with 3 (which fetches below it: it goes in its
	// own round), 4 alone; other parameters are another queue.
	if want := []int{1, 3, 4}; len(rounds) != len(want) || rounds[0] != 1 || rounds[1] != 3 || rounds[2] != 4 {
		t.Errorf("calls at rounds %v, want %v", rounds, want)
	}
	if got[1].useKey.params != "" || len(got[1].fields) != 3 {
		t.Errorf("round 3's call has %d fields (%q), want the three flat and deep uses of rounds 1–3", len(got[1].fields), got[1].useKey.params)
	}
}

// A dispatch holds the queues of exactly the steps held.
func TestIsStep(t *testing.T) {
	q := "pricing prices\x00currency: $c"
	for _, tt := range []struct {
		service, endpoint string
		want              bool
	}{
		{"pricing", "prices", true},
		{"pricing", "price", false},
		{"pricin", "gprices", false},
		{"pricing prices", "", false},
		{"catalog", "prices", false},
	} {
		if got := isStep(q, tt.service, tt.endpoint); got != tt.want {
			t.Errorf("isStep(%q, %q, %q) = %v, want %v", q, tt.service, tt.endpoint, got, tt.want)
		}
	}
	if !isStep("users users", "users", "users") {
		t.Error("a queue without parameters is its step's")
	}
}
