package loaders

import "sync"

// parallel runs f(0..n-1) concurrently and waits; n == 1 runs inline.
func parallel(n int, f func(i int)) {
	if n == 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}
