package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tributary-gw/tributary/bench/workload"
	"github.com/tributary-gw/tributary/internal/config"
	"github.com/tributary-gw/tributary/internal/gateway"
	"github.com/tributary-gw/tributary/services/demo"
)

const productPageQuery = `query ProductPage($id: ID!) {
  product(id: $id) {
    name
    price(currency: "EUR") { amount { formatted } onSale }
    stock { available }
    reviews(first: 5) { rating author { name } }
    ratingSummary { average }
    related(first: 4) { name price { amount { formatted } } }
  }
}`

// sendPlan POSTs body (a GraphQL request object, or raw bytes) with the
// plan header set to mode ("" leaves it out) and the fan-out report asked
// for.
func (e *env) sendPlan(mode string, body any) gqlResponse {
	e.T.Helper()
	raw, ok := body.([]byte)
	if !ok {
		raw, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(gateway.ReportHeader, "1")
	if mode != "" {
		req.Header.Set(gateway.PlanHeader, mode)
	}
	return e.Do(req)
}

// plannedCalls counts the plan's calls per "service endpoint".
func plannedCalls(plan any) map[string]int64 {
	out := map[string]int64{}
	for _, r := range asList(get(plan, "rounds")) {
		for _, c := range asList(get(r, "calls")) {
			out[fmt.Sprint(get(c, "service"), " ", get(c, "endpoint"))]++
		}
	}
	return out
}

// perService adds calls per "service endpoint" up per service.
func perService(calls map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, n := range calls {
		svc, _, _ := strings.Cut(k, " ")
		out[svc] += n
	}
	return out
}

// countedCalls is what the demo backends counted, per service.
func (e *env) countedCalls() map[string]int64 {
	out := map[string]int64{}
	for _, svc := range demo.AllServices() {
		if n := e.Stats(svc).TotalCalls(); n > 0 {
			out[string(svc)] = n
		}
	}
	return out
}

// reportedCalls is the fan-out report's calls per "service endpoint".
func reportedCalls(fanout any) map[string]int64 {
	out := map[string]int64{}
	services, _ := get(fanout, "services").(map[string]any)
	for svc, sr := range services {
		for _, b := range asList(get(sr, "batches")) {
			out[fmt.Sprint(svc, " ", get(b, "endpoint"))]++
		}
	}
	return out
}

// The plan that comes with a response is what the backends then counted:
// the same calls to the same endpoints, on the bench's workloads and the
// playground's product page (what the Plan view compares after a run).
func TestPlanWithTheRunMatchesTheBackends(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reqs := map[string]workload.Workload{
		"playground product page": {Query: productPageQuery, IDs: []string{"p1"}},
	}
	for _, w := range append(workload.All(), workload.HotProduct) {
		reqs[w.Name] = w
	}
	for name, w := range reqs {
		t.Run(name, func(t *testing.T) {
			e.Backends.ResetStats()
			r := e.sendPlan("1", w.Body())
			if len(r.Errors) > 0 || r.Data == nil {
				t.Fatalf("got %s, want data", r.Raw)
			}
			plan := get(r.Extensions, "tributary", "plan")
			if get(plan, "engine") != "plan" {
				t.Fatalf("plan: got %v, want the plan engine", plan)
			}
			planned := plannedCalls(plan)
			if w.MaxCalls > 0 {
				// Steps whose keys may arrive apart (the user's orders and
				// reviews both name products): planned together, sent
				// together or apart.
				var p int64
				for _, n := range planned {
					p += n
				}
				if got := e.TotalCalls(); p != int64(w.WantCalls) || got < p || got > int64(w.MaxCalls) {
					t.Errorf("planned %d calls, want %d; the backends counted %d, want %d to %d", p, w.WantCalls, got, p, w.MaxCalls)
				}
				return
			}
			if got, want := perService(planned), e.countedCalls(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("planned calls per service %v, the backends counted %v", got, want)
			}
			if got := reportedCalls(get(r.Extensions, "tributary", "fanout")); fmt.Sprint(got) != fmt.Sprint(planned) {
				t.Errorf("planned calls %v, the fan-out report has %v", planned, got)
			}
			if c := get(plan, "cost", "calls"); c == nil || c.(float64) < 1 {
				t.Errorf("cost estimate: got %v", get(plan, "cost"))
			}
		})
	}
}

// A plan alone runs nothing: no backend call, and a mutation writes
// nothing; the plan is the one the engine then runs (made once).
func TestPlanOnlyRunsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Backends.ResetStats()
	r := e.sendPlan("only", map[string]any{"query": productPageQuery, "variables": map[string]any{"id": "p1"}})
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("got %d %s", r.Status, r.Raw)
	}
	if r.Data != nil {
		t.Errorf("data: got %v, want null", r.Data)
	}
	plan := get(r.Extensions, "tributary", "plan")
	rounds := asList(get(plan, "rounds"))
	if len(rounds) != 2 {
		t.Errorf("rounds: got %d, want 2 (product; authors, related and their prices): %s", len(rounds), r.Raw)
	}
	if get(r.Extensions, "tributary", "fanout") != nil {
		t.Errorf("a plan alone has no fan-out report: %s", r.Raw)
	}
	made := e.GW.PlansMade()
	r = e.sendPlan("1", map[string]any{"query": productPageQuery, "variables": map[string]any{"id": "p1"}})
	if e.GW.PlansMade() != made {
		t.Errorf("the run planned again: %d plans, want %d", e.GW.PlansMade(), made)
	}
	e.Backends.ResetStats()
	r = e.sendPlan("only", map[string]any{"query": `mutation { cancelOrder(id: "o10") { id status } }`})
	if len(r.Errors) > 0 || get(r.Extensions, "tributary", "plan", "engine") == nil {
		t.Errorf("mutation plan: got %s", r.Raw)
	}
	if n := e.TotalCalls(); n != 0 {
		t.Errorf("planning a mutation made %d backend calls, want 0: %v", n, e.countedCalls())
	}
	// Mutations run on the plan: the dry run shows the write's call and
	// makes none.
	if got := get(r.Extensions, "tributary", "plan", "engine"); got != "plan" {
		t.Errorf("mutation plan: engine %v, want plan: %s", got, r.Raw)
	}
	if n := len(asList(get(r.Extensions, "tributary", "plan", "rounds"))); n == 0 {
		t.Errorf("mutation plan: no rounds: %s", r.Raw)
	}
}

// What a query may not do, its plan may not do either; bad input gets a
// clear error and no plan, and the gateway keeps serving.
func TestPlanHostileInputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) {
		c.Limits.MaxDepth = 8
		c.Limits.MaxTokens = 2000
		c.MaxBodyBytes = 64 << 10
	})
	deep := "{ product(id: \"p1\") { " + strings.Repeat("related { ", 12) + "name" + strings.Repeat(" }", 12) + " } }"
	many := "{ " + strings.Repeat("product(id: \"p1\") { name } ", 500) + "}"
	tests := []struct {
		name     string
		body     any
		status   int    // 0: any
		wantCode string // "": any error
		wantMsg  string
	}{
		{"body over max_body_bytes", map[string]any{"query": "{ " + strings.Repeat("a", 70<<10) + " }"}, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE", "larger than"},
		{"over the token limit", map[string]any{"query": many}, 0, "", "token"},
		{"malformed JSON", []byte(`{"query": "{ product(id: \"p1\") { name }`), 0, "", ""},
		{"malformed document", map[string]any{"query": "{ product(id: \"p1\") { name "}, 0, "GRAPHQL_PARSE_FAILED", ""},
		{"unknown field", map[string]any{"query": "{ nope }"}, 0, "GRAPHQL_VALIDATION_FAILED", "nope"},
		{"unknown operation", map[string]any{"query": "query A { product(id: \"p1\") { name } }", "operationName": "B"}, 0, "", "B"},
		{"several operations, none named", map[string]any{"query": "query A { product(id: \"p1\") { name } } query B { product(id: \"p2\") { name } }"}, 0, "", "operation"},
		{"variables of the wrong type", map[string]any{"query": productPageQuery, "variables": map[string]any{"id": map[string]any{"x": []int{1}}}}, 0, "", "id"},
		{"variables missing", map[string]any{"query": productPageQuery}, 0, "", "must be defined"},
		{"variables not an object", []byte(`{"query": "query Q($id: ID!) { product(id: $id) { name } }", "variables": [1, 2]}`), 0, "", ""},
		{"too deep", map[string]any{"query": deep}, 0, "", "depth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Backends.ResetStats()
			r := e.sendPlan("only", tt.body)
			if tt.status != 0 && r.Status != tt.status {
				t.Errorf("status: got %d, want %d: %.300s", r.Status, tt.status, r.Raw)
			}
			if len(r.Errors) == 0 {
				t.Fatalf("got no error: %.300s", r.Raw)
			}
			if tt.wantCode != "" && r.Errors[0].Extensions["code"] != tt.wantCode {
				t.Errorf("code: got %v, want %s: %.300s", r.Errors[0].Extensions["code"], tt.wantCode, r.Raw)
			}
			if !strings.Contains(strings.ToLower(r.Errors[0].Message), strings.ToLower(tt.wantMsg)) {
				t.Errorf("message: got %q, want it to mention %q", r.Errors[0].Message, tt.wantMsg)
			}
			if get(r.Extensions, "tributary", "plan") != nil {
				t.Errorf("a refused operation got a plan: %.300s", r.Raw)
			}
			if n := e.TotalCalls(); n != 0 {
				t.Errorf("%d backend calls, want 0", n)
			}
		})
	}
	if r := e.sendPlan("only", map[string]any{"query": `{ product(id: "p1") { name } }`}); get(r.Extensions, "tributary", "plan") == nil {
		t.Errorf("after the hostile inputs: got %s, want a plan", r.Raw)
	}
}

// An unknown header value asks for nothing; where plans are off (the
// production profile) a plan alone is refused, never run instead, and a
// plan with the run is left out.
func TestPlanHeaderPolicy(t *testing.T) {
	t.Parallel()
	on := newEnv(t)
	if r := on.sendPlan("maybe", map[string]any{"query": `{ product(id: "p1") { name } }`}); r.Data == nil || get(r.Extensions, "tributary", "plan") != nil {
		t.Errorf("X-Tributary-Plan: maybe: got %s, want the response without a plan", r.Raw)
	}
	off := newEnv(t, func(c *config.Config) { c.PlanReport = false })
	off.Backends.ResetStats()
	r := off.sendPlan("only", map[string]any{"query": `mutation { cancelOrder(id: "o10") { id } }`})
	if r.Status != http.StatusForbidden || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != gateway.CodePlanReportOff {
		t.Errorf("plan alone, plans off: got %d %s, want 403 %s", r.Status, r.Raw, gateway.CodePlanReportOff)
	}
	if n := off.TotalCalls(); n != 0 {
		t.Errorf("a refused plan made %d backend calls", n)
	}
	if r := off.sendPlan("1", map[string]any{"query": `{ product(id: "p1") { name } }`}); r.Data == nil || get(r.Extensions, "tributary", "plan") != nil {
		t.Errorf("plan with the run, plans off: got %s, want the response without a plan", r.Raw)
	}
	c, err := config.Load("", []string{"TRIBUTARY_PROFILE=production"})
	if err != nil {
		t.Fatal(err)
	}
	if c.PlanReport {
		t.Error("the production profile allows plans")
	}
}
