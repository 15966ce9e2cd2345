package compose_test

import (
	"testing"

	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/compose"
)

// @auth(owner:) is checked against the type at generate time: a wrong
// owner stops generation with one message at the schema location.
func TestBrokenAuthOwnerFailsWithAPreciseMessage(t *testing.T) {
	const email = `email: String @auth(requires: OWNER_OR_STAFF, owner: "$this.id")`
	const dashboard = `@auth(requires: OWNER_OR_STAFF, owner: "$args.userId")`
	tests := []struct {
		name, old, new, at, wantSubstr string
	}{
		{"no owner", email, `email: String @auth(requires: OWNER_OR_STAFF)`, "email: String",
			`User.email: @auth(requires: OWNER_OR_STAFF) needs owner: where the owning user's id is, "$args.<argument>" or "$this.<property>" (here: $this.id)`},
		{"unknown property", email, `email: String @auth(requires: OWNER_OR_STAFF, owner: "$this.idd")`, "email: String",
			`User.email: @auth(owner: "$this.idd"): User has no field or contract property "idd" (did you mean "id"?)`},
		{"not an id", email, `email: String @auth(requires: OWNER_OR_STAFF, owner: "$this.memberSince")`, "email: String",
			`User.email: @auth(owner: "$this.memberSince"): User.memberSince is Time!; an owner is a user id (ID or String)`},
		{"unknown argument", dashboard, `@auth(requires: OWNER_OR_STAFF, owner: "$args.user")`, "dashboard(userId",
			`Query.dashboard: @auth(owner: "$args.user"): Query.dashboard has no argument "user" (did you mean "userId"?)`},
		{"this on a root field", dashboard, `@auth(requires: OWNER_OR_STAFF, owner: "$this.userId")`, "dashboard(userId",
			`Query.dashboard: @auth(owner: "$this.userId"): a root field has no object to read the owner from`},
		{"malformed", dashboard, `@auth(requires: OWNER_OR_STAFF, owner: "userId")`, "dashboard(userId",
			`Query.dashboard: @auth(owner: "userId"): want "$args.<argument>" or "$this.<property>"`},
		{"owner without an owner rule", `me: Viewer @auth(requires: AUTHENTICATED)`, `me: Viewer @auth(requires: AUTHENTICATED, owner: "$args.id")`, "me: Viewer",
			`Query.me: @auth(owner: "$args.id") applies to requires: OWNER_OR_STAFF only`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireOneLocatedError(t, tt.old, tt.new, tt.at, tt.wantSubstr)
		})
	}
}

// The committed schema's owners reach the registry as declared.
func TestAuthOwnersReachTheRegistry(t *testing.T) {
	s, _ := schemaEdited(t, "", "", "@auth")
	g, err := compose.Analyze(s, root)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		typeName, field string
		want            registry.Owner
	}{
		{"Query", "dashboard", registry.Owner{Arg: "userId"}},
		{"User", "email", registry.Owner{Prop: "id"}},
		{"User", "orders", registry.Owner{Prop: "id"}},
		{"User", "lifetimeSpend", registry.Owner{Prop: "id"}},
		{"Query", "me", registry.Owner{}},
		{"Mutation", "cancelOrder", registry.Owner{}}, // decided on the read
	}
	for _, tt := range tests {
		f := g.Fields[tt.typeName][tt.field]
		if f == nil {
			t.Errorf("%s.%s: not in the registry", tt.typeName, tt.field)
			continue
		}
		if f.Owner != tt.want {
			t.Errorf("%s.%s: got owner %+v, want %+v", tt.typeName, tt.field, f.Owner, tt.want)
		}
	}
	if !g.Fields["Mutation"]["cancelOrder"].OwnerRead {
		t.Error("Mutation.cancelOrder: got no OwnerRead, want its owner read before the write")
	}
}
