package playground_test

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/tributarytest"
)

// operationsFile holds the example operations of GraphiQL's default tabs.
const operationsFile = "../../web/graphiql/src/operations.js"

// TestExampleOperations runs the operations of the playground's default
// tabs against the gateway: a schema change that breaks one fails here.
func TestExampleOperations(t *testing.T) {
	src, err := os.ReadFile(operationsFile)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, m := range regexp.MustCompile("(?s)`([^`]*)`").FindAllStringSubmatch(string(src), -1) {
		ops = append(ops, m[1])
	}
	wantNames := []string{"query ProductPage", "query Listing", "query Dashboard", "mutation CancelOrder"}
	if len(ops) != len(wantNames) {
		t.Fatalf("%s: got %d operations, want %d", operationsFile, len(ops), len(wantNames))
	}

	gw := tributarytest.New(t)
	for i, op := range ops {
		t.Run(wantNames[i], func(t *testing.T) {
			if !strings.Contains(op, wantNames[i]+" {") {
				t.Fatalf("operation %d is not %s:\n%s", i, wantNames[i], op)
			}
			r := gw.For(t).Query(op, nil)
			raw := r.Raw
			if r.Status != http.StatusOK {
				t.Fatalf("got status %d, want 200: %s", r.Status, raw)
			}
			var got struct {
				Data   map[string]json.RawMessage `json:"data"`
				Errors []json.RawMessage          `json:"errors"`
			}
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("decode %s: %v", raw, err)
			}
			if len(got.Errors) > 0 {
				t.Errorf("got errors, want none: %s", raw)
			}
			if len(got.Data) != 1 {
				t.Fatalf("got data %s, want one root field", raw)
			}
			for field, v := range got.Data {
				if string(v) == "null" {
					t.Errorf("got %s: null, want a value", field)
				}
			}
		})
	}
}
