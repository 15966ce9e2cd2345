package loaders

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/graph-gophers/dataloader/v7"
)

// A request's loaders are made when first asked for a key: a loader the
// request never uses costs no dataloader and is never dispatched, and one
// asked by many fields at once is made once.
func TestLoadersStartOnFirstUse(t *testing.T) {
	t.Parallel()
	r := &request{disp: &Dispatcher{}}
	used := newTracked(r, Config{Backstop: time.Minute}, "used", "test", echo)
	unused := newTracked(r, Config{Backstop: time.Minute}, "unused", "test", echo)
	if n := len(r.disp.loaders); n != 0 {
		t.Fatalf("loaders registered before any key: got %d, want 0", n)
	}
	const callers = 64
	thunks := make([]dataloader.Thunk[string], callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { thunks[i] = used.Load(context.Background(), fmt.Sprint(i%8)) })
	}
	wg.Wait()
	if n := len(r.disp.loaders); n != 1 {
		t.Fatalf("loaders registered: got %d, want 1 (the one used, once)", n)
	}
	r.disp.dispatch(nil) // one batch of the 8 keys
	for i, th := range thunks {
		if v, err := th(); err != nil || v != fmt.Sprint(i%8) {
			t.Fatalf("caller %d: got %q, %v", i, v, err)
		}
	}
	if unused.dl != nil {
		t.Error("the unused loader made a dataloader")
	}
}
