//go:build goexperiment.jsonv2

package upstream_test

import (
	jsonv2 "encoding/json/v2"
	"testing"

	"github.com/tributary-gw/tributary/graph/model"
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
					var out struct {
						Products []*model.Product `json:"products"`
					}
					err = jsonv2.Unmarshal(body, &out)
				} else {
					var out struct {
						Reviews []*model.Review `json:"reviews"`
					}
					err = jsonv2.Unmarshal(body, &out)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
