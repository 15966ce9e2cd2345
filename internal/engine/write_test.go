package engine

import (
	"bytes"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// Strings are written byte for byte as gqlgen writes them: the
// differential test compares responses as bytes.
func TestAppendQuotedWritesAsGQLGen(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f", "ünïcode ✓ 日本", "bad \xff\xfe utf-8", "</script>&"} {
		var want bytes.Buffer
		graphql.MarshalString(s).MarshalGQL(&want)
		if got := appendQuoted(nil, s); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%q: got %s, want %s", s, got, want.Bytes())
		}
	}
}

func FuzzAppendQuoted(f *testing.F) {
	f.Add("a\"b\\c\x01")
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		graphql.MarshalString(s).MarshalGQL(&want)
		if got := appendQuoted(nil, s); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%q: got %s, want %s", s, got, want.Bytes())
		}
	})
}
