package gateway_test

import (
	"testing"

	"github.com/tributary-gw/tributary/services/demo"
)

// User.lifetimeSpend, the example of docs/adding-a-field.md: the sum of a
// user's orders that were not cancelled, per currency, for the user and
// staff only, in one orders call.
func TestLifetimeSpend(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withJWT)
	want := map[string]int64{}
	for _, o := range e.Backends.Dataset().OrdersByUser("u1") {
		if o.Status != "cancelled" {
			want[o.Currency] += o.TotalCents
		}
	}
	r := e.queryAs(token(t, "u1"), `{ user(id: "u1") { lifetimeSpend { amountCents currency formatted } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatal(r.Raw)
	}
	got := map[string]int64{}
	for _, m := range asList(get(r.Data, "user", "lifetimeSpend")) {
		got[get(m, "currency").(string)] = int64(get(m, "amountCents").(float64))
	}
	if len(got) != len(want) {
		t.Fatalf("currencies: got %v, want %v", got, want)
	}
	for cur, cents := range want {
		if got[cur] != cents {
			t.Errorf("%s: got %d, want %d", cur, got[cur], cents)
		}
	}
	if n := e.Calls(demo.Orders, "orders.byUser"); n != 1 {
		t.Errorf("orders calls: got %d, want 1", n)
	}

	e.Backends.ResetStats()
	r = e.queryAs(token(t, "u2"), `{ user(id: "u1") { name lifetimeSpend { formatted } } }`, nil)
	if get(r.Data, "user", "lifetimeSpend") != nil || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Errorf("another user: got %s", r.Raw)
	}
	if n := e.Calls(demo.Orders, "orders.byUser"); n != 0 {
		t.Errorf("orders calls for a forbidden field: got %d, want 0", n)
	}
}
