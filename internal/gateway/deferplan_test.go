package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/internal/engine"
	"github.com/tributary-gw/tributary/services/demo"
)

// @defer runs on the plan: the deferred fields of every object of a list
// come in one call per service (a phase of rounds of their own), one
// payload per object, the initial payload first.
func TestDeferOnThePlanBatchesAcrossObjects(t *testing.T) {
	p := newPair(t)
	// The reviews' authors are known only once the deferred reviews are in:
	// a second round of the deferred phase, one call for all of them.
	const q = `{ products(first: 6) { nodes { id ... @defer(label: "later") { stock { available } reviews(first: 2) { author { name } } } } } }`
	p.backends.ResetStats()
	parts := p.askStream(p.plan, "", q, nil)
	if got := p.engines[engine.Plan]; got != 1 || p.engines[engine.GQLGen] != 0 {
		t.Fatalf("engines: %v, want the plan only", p.engines)
	}
	if len(parts) != 7 {
		t.Fatalf("got %d payloads, want the initial one and 6: %v", len(parts), parts)
	}
	if parts[0]["hasNext"] != true || get(parts[0], "data", "products", "nodes") == nil {
		t.Errorf("initial payload: %v", parts[0])
	}
	for i, inc := range parts[1:] {
		if inc["label"] != "later" || get(inc, "data", "stock", "available") == nil || get(inc, "data", "reviews") == nil {
			t.Errorf("payload %d: %v", i, inc)
		}
		if want := i < 5; inc["hasNext"] != want {
			t.Errorf("payload %d: hasNext %v, want %v", i, inc["hasNext"], want)
		}
	}
	for _, svc := range []demo.Service{demo.Inventory, demo.Reviews, demo.Users} {
		if got := p.backends.Server(svc).Stats().TotalCalls(); got != 1 {
			t.Errorf("%s calls: got %d, want 1 for the six deferred objects", svc, got)
		}
	}
}

// A field deferred twice under one label (two unlabelled fragments
// selecting it) is delivered once. gqlgen's executor waits forever for
// its second completion there (its view counts the field twice), so this
// runs on the plan only.
func TestDeferTwiceUnderOneLabelIsDeliveredOnce(t *testing.T) {
	p := newPair(t)
	parts := p.askStream(p.plan, "", `{ product(id: "p1") { ... @defer { stock { available } } ... @defer { stock { available } } } }`, nil)
	if len(parts) != 2 {
		t.Fatalf("got %d payloads, want 2: %v", len(parts), parts)
	}
	inc := parts[1]
	if inc["hasNext"] != false || inc["label"] != nil || get(inc, "data", "stock", "available") == nil {
		t.Errorf("payload: %v", inc)
	}
}

// A deferred fragment inside a deferred fragment comes after the payload
// holding its object (gqlgen's executor may send it first), at the
// object's path.
func TestNestedDeferComesAfterItsParent(t *testing.T) {
	p := newPair(t)
	parts := p.askStream(p.plan, "", `{ product(id: "p1") { ... @defer(label: "outer") { reviews(first: 1) { author { name ... @defer(label: "inner") { orders { id } } } } } } }`, nil)
	if len(parts) != 3 {
		t.Fatalf("got %d payloads, want 3: %v", len(parts), parts)
	}
	if parts[1]["label"] != "outer" || parts[1]["hasNext"] != true {
		t.Errorf("second payload: %v, want the outer one with hasNext", parts[1])
	}
	path, _ := json.Marshal(parts[2]["path"])
	if parts[2]["label"] != "inner" || string(path) != `["product","reviews",0,"author"]` || get(parts[2], "data", "orders") == nil {
		t.Errorf("third payload: %v (path %s), want the inner one at the author", parts[2], path)
	}
}

// Over Server-Sent Events the plan's payloads are events as gqlgen's
// transport writes them: the initial one, then the incremental ones, then
// complete.
func TestDeferOverSSE(t *testing.T) {
	p := newPair(t)
	body, _ := json.Marshal(map[string]any{"query": `{ product(id: "p1") { name ... @defer(label: "s") { stock { available } } } }`})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, p.plan.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := p.plan.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var events []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "event: ") || strings.HasPrefix(line, "data: ") {
			events = append(events, line)
		}
	}
	if len(events) != 5 || events[0] != "event: next" || events[2] != "event: next" || events[4] != "event: complete" {
		t.Fatalf("events: %q", events)
	}
	if !strings.Contains(events[1], `"hasNext":true`) || !strings.Contains(events[3], `"label":"s"`) || !strings.Contains(events[3], `"hasNext":false`) {
		t.Errorf("payloads: %q", events)
	}
}
