package upstream_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// BatchQuery writes what encoding the merged url.Values would.
func TestBatchQueryEncodesLikeMergedValues(t *testing.T) {
	tests := []struct {
		name      string
		giveParam string
		giveIDs   []string
		giveOther url.Values
	}{
		{"ids only", "ids", []string{"p1", "p2"}, nil},
		{"no ids", "ids", nil, nil},
		{"one id", "ids", []string{"p1"}, url.Values{}},
		{"escaped ids", "ids", []string{"p 1", "a&b=c", "ü", "%41"}, nil},
		{"escaped param", "product ids", []string{"p1"}, url.Values{"a": {"1"}}},
		{"others around it", "ids", []string{"p1", "p2"}, url.Values{"a": {"x y"}, "cur": {"EUR"}, "z": {"1"}}},
		{"others after it", "currency", []string{"p1"}, url.Values{"limit": {"5"}}},
		{"repeated and empty values", "ids", []string{"p1"}, url.Values{"b": {"2", "1"}, "c": {}, "d": {""}}},
		{"param among the others", "ids", []string{"p1"}, url.Values{"ids": {"zzz"}, "a": {"1"}}},
		{"param among the others, empty", "ids", []string{"p1"}, url.Values{"ids": {}, "a": {"1"}}},
		{"many others", "m", []string{"p1"}, url.Values{"a": {"1"}, "b": {"1"}, "c": {"1"}, "d": {"1"}, "e": {"1"},
			"f": {"1"}, "g": {"1"}, "n": {"1"}, "o": {"1"}, "p": {"1"}, "q": {"1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			merged := url.Values{tt.giveParam: {strings.Join(tt.giveIDs, ",")}}
			for k, v := range tt.giveOther {
				merged[k] = v
			}
			want := merged.Encode()
			if got := upstream.BatchQuery(tt.giveParam, tt.giveIDs, tt.giveOther); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}
