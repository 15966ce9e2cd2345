package loaders_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine a test starts — backend calls, loaders, retries,
// breakers, streams — must have ended when it is over.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
