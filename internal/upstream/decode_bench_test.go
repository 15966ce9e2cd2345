package upstream_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	gojson "github.com/goccy/go-json"

	"github.com/tributary-gw/tributary/graph/model"
	"github.com/tributary-gw/tributary/services/demo"
)

// payloads are real demo answers: 100 products, and the reviews of 20.
func payloads(b *testing.B) map[string][]byte {
	ds := demo.DefaultDataset()
	get := func(svc demo.Service, url string) []byte {
		rec := httptest.NewRecorder()
		demo.NewServer(svc, ds).ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
		return rec.Body.Bytes()
	}
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("p%d", i+1)
	}
	return map[string][]byte{
		"products100": get(demo.Catalog, "/products?ids="+strings.Join(ids, ",")),
		"reviews20":   get(demo.Reviews, "/reviews?productIds="+strings.Join(ids[:20], ",")),
	}
}

// BenchmarkDecode compares decoders on the backends' payloads; the winner
// decodes every backend response (see decodeJSON). With
// GOEXPERIMENT=jsonv2, decode_v2_bench_test.go adds encoding/json/v2.
func BenchmarkDecode(b *testing.B) {
	decoders := map[string]func([]byte, any) error{
		"encoding-json": json.Unmarshal,
		"goccy-go-json": gojson.Unmarshal,
	}
	for name, body := range payloads(b) {
		for dn, dec := range decoders {
			b.Run(name+"/"+dn, func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					var err error
					if name == "products100" {
						var out struct {
							Products []*model.Product `json:"products"`
						}
						err = dec(body, &out)
					} else {
						var out struct {
							Reviews []*model.Review `json:"reviews"`
						}
						err = dec(body, &out)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
