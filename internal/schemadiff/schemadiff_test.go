package schemadiff_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/schemadiff"
)

func TestSeverityString(t *testing.T) {
	tests := []struct {
		give schemadiff.Severity
		want string
	}{
		{give: schemadiff.Safe, want: "safe"},
		{give: schemadiff.Dangerous, want: "dangerous"},
		{give: schemadiff.Breaking, want: "breaking"},
		{give: schemadiff.Severity(7), want: "Severity(7)"},
	}
	for _, tt := range tests {
		if got := tt.give.String(); got != tt.want {
			t.Errorf("Severity(%d).String() = %q, want %q", int(tt.give), got, tt.want)
		}
	}
	if !(schemadiff.Safe < schemadiff.Dangerous && schemadiff.Dangerous < schemadiff.Breaking) {
		t.Errorf("got Safe=%d Dangerous=%d Breaking=%d, want them increasing",
			schemadiff.Safe, schemadiff.Dangerous, schemadiff.Breaking)
	}
}

func TestChangeJSON(t *testing.T) {
	give := schemadiff.Change{
		Severity: schemadiff.Breaking,
		Kind:     "FIELD_REMOVED",
		Path:     "Query.a",
		Message:  "Field Query.a was removed.",
	}
	got, err := json.Marshal(give)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"severity":"breaking","kind":"FIELD_REMOVED","path":"Query.a","message":"Field Query.a was removed."}`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestHasBreaking(t *testing.T) {
	tests := []struct {
		name string
		give []schemadiff.Change
		want bool
	}{
		{name: "none", give: nil, want: false},
		{name: "safe and dangerous", give: []schemadiff.Change{{Severity: schemadiff.Safe}, {Severity: schemadiff.Dangerous}}, want: false},
		{name: "one breaking", give: []schemadiff.Change{{Severity: schemadiff.Safe}, {Severity: schemadiff.Breaking}}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := schemadiff.HasBreaking(tt.give); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReport(t *testing.T) {
	tests := []struct {
		name string
		give []schemadiff.Change
		want string
	}{
		{
			name: "no changes",
			give: nil,
			want: "No changes.",
		},
		{
			name: "grouped, breaking first, order kept within a group",
			give: []schemadiff.Change{
				{Severity: schemadiff.Safe, Kind: "FIELD_ADDED", Path: "Query.a", Message: "Field Query.a: Int was added."},
				{Severity: schemadiff.Breaking, Kind: "FIELD_REMOVED", Path: "Query.b", Message: "Field Query.b was removed."},
				{Severity: schemadiff.Safe, Kind: "TYPE_ADDED", Path: "T", Message: "Object type T was added."},
				{Severity: schemadiff.Breaking, Kind: "TYPE_REMOVED", Path: "U", Message: "Object type U was removed."},
			},
			want: "Breaking changes:\n" +
				"  - [FIELD_REMOVED] Field Query.b was removed.\n" +
				"  - [TYPE_REMOVED] Object type U was removed.\n" +
				"\n" +
				"Safe changes:\n" +
				"  - [FIELD_ADDED] Field Query.a: Int was added.\n" +
				"  - [TYPE_ADDED] Object type T was added.\n" +
				"\n" +
				"Summary: 2 breaking, 0 dangerous, 2 safe.",
		},
		{
			name: "dangerous only",
			give: []schemadiff.Change{
				{Severity: schemadiff.Dangerous, Kind: "ENUM_VALUE_ADDED", Path: "E.B", Message: "Enum value E.B was added; clients may not handle it."},
			},
			want: "Dangerous changes:\n" +
				"  - [ENUM_VALUE_ADDED] Enum value E.B was added; clients may not handle it.\n" +
				"\n" +
				"Summary: 0 breaking, 1 dangerous, 0 safe.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := schemadiff.Report(tt.give); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestReportOfCompare(t *testing.T) {
	old := mustLoad(t, "old", `type Query { a: Int!, b: Int }`)
	updated := mustLoad(t, "new", `type Query { a: Int, c: Int }`)
	got := schemadiff.Report(schemadiff.Compare(old, updated))
	for _, want := range []string{
		"[FIELD_MADE_NULLABLE] Field Query.a changed type from Int! to Int",
		"[FIELD_REMOVED] Field Query.b was removed.",
		"[FIELD_ADDED] Field Query.c: Int was added.",
		"Summary: 2 breaking, 0 dangerous, 1 safe.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("got report\n%s\nwant it to contain %q", got, want)
		}
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		wantErr string
	}{
		{name: "valid", give: "type Query { a: Int }"},
		{name: "syntax error", give: "type Query {", wantErr: "bad.graphql"},
		{name: "unknown type", give: "type Query { a: Missing }", wantErr: "Missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := schemadiff.Load("bad.graphql", tt.give)
			if tt.wantErr == "" {
				if err != nil || s == nil || s.Query == nil {
					t.Fatalf("got (%v, %v), want a schema with a Query type", s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}
