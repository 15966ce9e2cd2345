package telemetry

import (
	"strconv"
	"testing"
)

func TestStatusClass(t *testing.T) {
	t.Parallel()
	for status := -1; status <= 700; status++ {
		want := "error"
		if status >= 100 && status <= 599 {
			want = strconv.Itoa(status/100) + "xx"
		}
		if got := statusClass(status); got != want {
			t.Errorf("%d: got %q, want %q", status, got, want)
		}
	}
}
