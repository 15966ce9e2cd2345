package loaders_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/graph/registry"
	"github.com/tributary-gw/tributary/internal/connect"
	"github.com/tributary-gw/tributary/internal/upstream/upstreamtest"
	"github.com/tributary-gw/tributary/services/loaders"
)

// FuzzResponses feeds every generated loader — so every connector endpoint
// of every declared service — arbitrary answers: each key gets a value or a
// classified backend error, never a panic or an unclassified error.
func FuzzResponses(f *testing.F) {
	for _, s := range upstreamtest.Seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		clients := loaders.Clients{}
		for _, s := range registry.Services() {
			clients[s] = upstreamtest.Client(t, s, 200, body)
		}
		l := reflect.ValueOf(loaders.New(clients, loaders.Config{Timer: true, Wait: time.Microsecond}))
		ctx := reflect.ValueOf(context.Background())
		keys := reflect.ValueOf([]connect.Key{{ID: "p1"}, {ID: "u1", Query: connect.Query("currency", "EUR")}})
		loadersCalled := 0
		for i := range l.Elem().NumField() {
			f := l.Elem().Field(i)
			if !f.CanInterface() || f.Kind() != reflect.Pointer {
				continue
			}
			loadersCalled++
			out := f.MethodByName("LoadAll").Call([]reflect.Value{ctx, keys, reflect.ValueOf(1)})
			errs := out[1].Interface().([]error)
			for _, err := range errs {
				upstreamtest.CheckError(t, err)
			}
		}
		if loadersCalled == 0 {
			t.Fatal("no loader called")
		}
	})
}
