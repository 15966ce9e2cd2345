package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/services/demo"
)

// A deferred fragment lets the page arrive before a slow service answers.
func TestDeferSendsThePageBeforeTheSlowPart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Backends.Server(demo.Reviews).SetFaults(demo.Faults{Latency: 500 * time.Millisecond})
	body, _ := json.Marshal(map[string]any{"query": `{ product(id: "p1") { name price { amount { formatted } }
	  ... @defer(label: "reviews") { reviews(first: 2) { rating } ratingSummary { count } } } }`})
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", `multipart/mixed; deferSpec=20220824, application/json`)
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		t.Fatalf("Content-Type %q is not multipart", resp.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(bufio.NewReader(resp.Body), params["boundary"])

	first := readPart(t, mr)
	if get(first, "data", "product", "name") == nil {
		t.Fatalf("first payload has no product name: %v", first)
	}
	if get(first, "data", "product", "reviews") != nil {
		t.Errorf("first payload already has the deferred reviews: %v", first)
	}
	// Ordering, not timing: when the first payload is here, no reviews
	// call has answered yet (it may not even have started).
	st := e.Stats(demo.Reviews)
	if answered := st.TotalCalls() - st.InFlight; answered != 0 {
		t.Errorf("reviews calls answered before the first payload: got %d, want 0", answered)
	}
	if first["hasNext"] != true {
		t.Errorf("first payload: hasNext %v, want true", first["hasNext"])
	}

	var rest []map[string]any
	for {
		p := readPartOrEOF(t, mr)
		if p == nil {
			break
		}
		rest = append(rest, p)
	}
	if len(rest) == 0 {
		t.Fatal("no deferred payload")
	}
	last := rest[len(rest)-1]
	if last["hasNext"] != false {
		t.Errorf("last payload: hasNext %v, want false", last["hasNext"])
	}
	found := false
	for _, p := range rest {
		for _, inc := range asList(p["incremental"]) {
			if get(inc, "data", "reviews") != nil && get(inc, "label") == "reviews" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no incremental payload with the reviews: %v", rest)
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

func readPart(t *testing.T, mr *multipart.Reader) map[string]any {
	t.Helper()
	p := readPartOrEOF(t, mr)
	if p == nil {
		t.Fatal("stream ended early")
	}
	return p
}

func readPartOrEOF(t *testing.T, mr *multipart.Reader) map[string]any {
	t.Helper()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part)
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("part is not JSON: %q", b)
		}
		return m
	}
}
