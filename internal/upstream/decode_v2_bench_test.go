//go:build goexperiment.jsonv2

package upstream_test

import (
	jsonv2 "encoding/json/v2"
	"testing"

	"github.com/tributary-gw/tributary/services/catalog"
	"github.com/tributary-gw/tributary/services/reviews"
)

// Run with GOEXPERIMENT=jsonv2 to compare encoding/json/v2.
func BenchmarkDecodeJSONv2(b *testing.B) {
	for name, body := range payloads(b) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if name == "products100" {
					var out catalog.ProductList
					err = jsonv2.Unmarshal(body, &out)
				} else {
					var out reviews.ReviewList
					err = jsonv2.Unmarshal(body, &out)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
