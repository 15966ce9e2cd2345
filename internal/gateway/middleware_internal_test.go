package gateway

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readAtMost reads what io.ReadAll(io.LimitReader(r, limit)) reads,
// whatever size the request claims, and allocates for a claimed size
// only within the limit.
func TestReadAtMost(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 511, 512, 513, 1000, 4096, 4097, 9000} {
		body := strings.Repeat("x", n)
		for _, size := range []int64{-1, 0, int64(n), int64(n) - 1, int64(n) + 1, 1 << 40} {
			for _, limit := range []int64{1, 512, 4097, 1 << 20} {
				for name, r := range map[string]io.Reader{
					"reader": strings.NewReader(body), "one byte at a time": iotest.OneByteReader(strings.NewReader(body)),
					"data with EOF": iotest.DataErrReader(strings.NewReader(body)),
				} {
					want, _ := io.ReadAll(io.LimitReader(strings.NewReader(body), limit))
					got, err := readAtMost(r, size, limit)
					if err != nil || !bytes.Equal(got, want) {
						t.Fatalf("%d bytes, size %d, limit %d, %s: got %d bytes, %v; want %d", n, size, limit, name, len(got), err, len(want))
					}
					if size > limit && int64(cap(got)) > 2*limit+1024 {
						t.Fatalf("size %d over the limit %d allocated %d bytes (growing as it read)", size, limit, cap(got))
					}
				}
			}
		}
	}
	boom := errors.New("boom")
	if _, err := readAtMost(iotest.ErrReader(boom), 10, 100); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the read error", err)
	}
}
