//go:build browser

package playground_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/tributary-gw/tributary/internal/playground"
	"github.com/tributary-gw/tributary/services/demo"
	"github.com/tributary-gw/tributary/tributarytest"
)

// Run with:
//
//	go test -tags browser -run Browser -count=1 ./internal/playground/
//
// or .ci/browser.sh, which also installs Chromium. The tests build the
// gateway with a plain `go build .` (the committed bundle, no Node.js) and
// drive the binary it makes, on its demo backends.

// chromiumPath is Debian's Chromium (apt-get install chromium).
const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds each test: gateway start, browser start, page
// load, the queries and the screenshots.
const browserTimeout = 120 * time.Second

// cspRecorder runs in the page before any of its scripts and keeps every
// Content-Security-Policy violation for the test to read.
const cspRecorder = `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
    ' (' + (e.sourceFile || '') + ':' + e.lineNumber + ')');
});`

// binary is the gateway built once for all tests, by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

// buildAndRun builds the gateway like a user would, `go build .` in the
// repository root, then runs the tests.
func buildAndRun(m *testing.M) int {
	if _, err := exec.LookPath(chromiumPath); err != nil {
		fmt.Fprintf(os.Stderr, "browser tests need %s (apt-get install -y chromium); .ci/browser.sh installs it\n", chromiumPath)
		if os.Getenv("CI") != "" {
			return 1
		}
		return 0
	}
	dir, err := os.MkdirTemp("", "tributary-browser-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "tributary")
	start := time.Now()
	if err := tributarytest.BuildGateway("../..", binary); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "go build . in %s\n", time.Since(start).Round(time.Millisecond))
	return m.Run()
}

// gatewayProcess is the built gateway, running on its demo backends.
type gatewayProcess struct {
	*tributarytest.GatewayProcess
	origin *url.URL
}

// startGateway runs the binary on its demo backends (no backend URLs) with
// INFO logs; env adds TRIBUTARY_* settings.
func startGateway(t *testing.T, env ...string) *gatewayProcess {
	t.Helper()
	p := tributarytest.StartProcess(t, binary, append([]string{"TRIBUTARY_LOG_LEVEL=info"}, env...)...)
	origin, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &gatewayProcess{GatewayProcess: p, origin: origin}
}

// demo calls the demo backends' admin endpoint /_demo/{service}/{path}
// through the gateway; body, when not nil, is PUT as JSON.
func (g *gatewayProcess) demo(t *testing.T, method string, svc demo.Service, path string, body any, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, g.URL+"/_demo/"+string(svc)+"/"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s /_demo/%s/%s: got status %d: %s", method, svc, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s /_demo/%s/%s: %v", method, svc, path, err)
		}
	}
}

// backendCalls is what the demo backends counted since their last reset.
func (g *gatewayProcess) backendCalls(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, svc := range demo.AllServices() {
		var st demo.Stats
		g.demo(t, http.MethodGet, svc, "stats", nil, &st)
		if n := st.TotalCalls(); n > 0 {
			out[string(svc)] = n
		}
	}
	return out
}

func (g *gatewayProcess) resetStats(t *testing.T) {
	t.Helper()
	for _, svc := range demo.AllServices() {
		g.demo(t, http.MethodPost, svc, "stats/reset", nil, nil)
	}
}

// session is one browser on the playground page.
type session struct {
	ctx context.Context
	rec *recorder
	gw  *gatewayProcess
}

// openPlayground starts a browser, loads the playground and waits for
// GraphiQL with its default tabs (at least three). When the test ends it logs what the
// browser reported and fails on CSP violations, exceptions and any request
// that left the gateway's origin.
func openPlayground(t *testing.T, gw *gatewayProcess) *session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	ctx = newBrowser(ctx, t)
	s := &session{ctx: ctx, rec: &recorder{}, gw: gw}
	if err := chromedp.Listen(ctx, s.rec.event); err != nil {
		t.Fatalf("listen to the browser: %v", err)
	}
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder})
	if err != nil {
		t.Fatalf("install the CSP recorder: %v", err)
	}
	t.Cleanup(func() { s.check(t) })

	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(gw.URL+"/"))
	if err != nil {
		t.Fatalf("load the playground: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("GET /: got status %d, want 200", resp.Status)
	}
	if got := headerValue(resp.Headers, "Content-Security-Policy"); got != playground.ContentSecurityPolicy {
		t.Errorf("GET /: got Content-Security-Policy %q, want %q", got, playground.ContentSecurityPolicy)
	}
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(".graphiql-container")),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-query-editor .monaco-editor")),
	); err != nil {
		t.Fatalf("wait for GraphiQL to render: %v", err)
	}
	tabs, err := chromedp.Run(ctx, chromedp.Poll[[]string](`(() => {
		const tabs = [...document.querySelectorAll('.graphiql-tab')].map((el) => el.textContent.trim());
		return tabs.length >= 3 ? tabs : false;
	})()`, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("wait for the tabs: %v", err)
	}
	for _, want := range []string{"ProductPage", "Listing", "Dashboard"} {
		if !slices.ContainsFunc(tabs, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("tabs: got %q, want one titled %q", tabs, want)
		}
	}
	return s
}

// check runs when the test ends: what the browser said, and what it must
// not have done.
func (s *session) check(t *testing.T) {
	lines := s.rec.logLines()
	const most = 40
	for i, line := range lines {
		if i == most {
			t.Logf("browser: … and %d more", len(lines)-most)
			break
		}
		t.Logf("browser: %s", line)
	}
	violations, err := chromedp.Run(s.ctx, chromedp.Evaluate[[]string](`window.__cspViolations || []`))
	if err != nil {
		t.Errorf("read the CSP violations: %v", err)
	}
	for _, v := range violations {
		t.Errorf("Content-Security-Policy violation: %s", v)
	}
	// Violations in workers, and anything else the browser blocked or threw.
	if n := s.rec.problemCount(); n > 0 {
		t.Errorf("the browser reported %d security errors or uncaught exceptions (logged above)", n)
	}
	reqs := s.rec.requestURLs()
	if len(reqs) == 0 {
		t.Error("recorded no network request")
	}
	var local int
	for _, u := range reqs {
		if err := sameOrigin(u, s.gw.origin); err != nil {
			t.Errorf("request to another origin: %v", err)
			continue
		}
		local++
	}
	t.Logf("%d network requests, all %d to %s", len(reqs), local, s.gw.URL)
	if !slices.ContainsFunc(reqs, func(u string) bool { return strings.HasSuffix(strings.SplitN(u, "?", 2)[0], "/graphql") }) {
		t.Errorf("no request to /graphql among %q", reqs)
	}
}

// selectTab shows the tab titled name and waits for its operation.
func (s *session) selectTab(t *testing.T, name string) {
	t.Helper()
	n, _ := json.Marshal(name)
	_, err := chromedp.Run(s.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const tab = [...document.querySelectorAll('.graphiql-tab')].find((el) => el.textContent.includes(%s));
		const button = tab && (tab.querySelector('.graphiql-tab-button') || tab);
		if (button) button.click();
		return !!button;
	})()`, n)))
	if err != nil {
		t.Fatalf("select the %s tab: %v", name, err)
	}
	if _, err := chromedp.Run(s.ctx, chromedp.Poll[bool](editorHas(".graphiql-query-editor", "query "+name),
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("wait for the %s query in the editor: %v", name, err)
	}
}

// execute runs the selected operation and waits for its result: one
// whose text has want, and, when the Fan-out panel is open, its report.
func (s *session) execute(t *testing.T, want string) string {
	t.Helper()
	seq, _ := chromedp.Run(s.ctx, chromedp.Evaluate[string](`(document.querySelector('.fanout') || {dataset: {}}).dataset.seq || ''`))
	if err := chromedp.Do(s.ctx, chromedp.Click(chromedp.CSS(".graphiql-execute-button"))); err != nil {
		t.Fatalf("click the execute button: %v", err)
	}
	if seq != "" {
		q, _ := json.Marshal(seq)
		if _, err := chromedp.Run(s.ctx, chromedp.Poll[bool](fmt.Sprintf(`document.querySelector('.fanout').dataset.seq !== %s`, q),
			chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("wait for the Fan-out panel to show the new response: %v", err)
		}
	}
	w, _ := json.Marshal(want)
	result, err := chromedp.Run(s.ctx, chromedp.Poll[string](fmt.Sprintf(`(() => {
		const el = document.querySelector('.graphiql-response .view-lines');
		const text = el ? el.innerText.replace(/\u00a0/g, ' ') : '';
		return text.includes('"data"') && text.includes(%s) ? text : false;
	})()`, w), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		pane, _ := chromedp.Run(s.ctx, chromedp.Evaluate[string](
			`(document.querySelector('.graphiql-response') || {}).innerText || ''`))
		t.Fatalf("wait for a result with %q: %v; the result pane shows:\n%s", want, err, pane)
	}
	return result
}

// A user's first look: `go build .`, run it, open / in Chromium, run a
// query. Everything comes from the gateway's own origin.
func TestBrowserGraphiQL(t *testing.T) {
	gw := startGateway(t)
	s := openPlayground(t, gw)
	defer saveScreenshot(s.ctx, t, "graphiql.png")

	p1, ok := demo.DefaultDataset().Product("p1")
	if !ok || p1.Name == "" {
		t.Fatal("demo dataset has no product p1")
	}
	if _, err := chromedp.Run(s.ctx, chromedp.Poll[bool](editorHas(".graphiql-query-editor", "query ProductPage"),
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("wait for the ProductPage query in the editor: %v", err)
	}

	// The schema came through introspection: the docs explorer lists the
	// root query type.
	if err := chromedp.Do(s.ctx,
		chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-doc-explorer")),
	); err != nil {
		t.Fatalf("open the docs explorer: %v", err)
	}
	_, err := chromedp.Run(s.ctx, chromedp.Poll[string](`(() => {
		const el = document.querySelector('.graphiql-doc-explorer');
		const text = el ? el.innerText : '';
		return text.includes('Root Types') && text.includes('query: Query') ? text : false;
	})()`, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		docs, _ := chromedp.Run(s.ctx, chromedp.Evaluate[string](
			`[...document.querySelectorAll('.graphiql-doc-explorer')].map((el) => el.innerText).join('\n---\n')`))
		t.Fatalf("wait for the root query type in the docs explorer: %v; it shows:\n%s", err, docs)
	}

	name, err := json.Marshal(p1.Name)
	if err != nil {
		t.Fatal(err)
	}
	result := s.execute(t, strings.Trim(string(name), `"`))
	if strings.Contains(result, `"errors"`) {
		t.Errorf("result has errors:\n%s", result)
	}
	t.Logf("result pane:\n%s", result)
}

// fanoutRow is one row of the Fan-out panel, as the page shows it.
type fanoutRow struct {
	Service, Endpoint, Outcome, Code string
}

// openFanout shows the Fan-out panel.
func (s *session) openFanout(t *testing.T) {
	t.Helper()
	if err := chromedp.Do(s.ctx,
		chromedp.Click(chromedp.CSS(`button[aria-label="Show Fan-out"]`)),
		chromedp.WaitVisible(chromedp.CSS(".fanout")),
	); err != nil {
		t.Fatalf("open the Fan-out panel: %v", err)
	}
	// Drag the pane wider, as a user looking at a waterfall would.
	pt, err := chromedp.Run(s.ctx, chromedp.Evaluate[[]float64](`(() => {
		const r = document.querySelector('.graphiql-horizontal-drag-bar').getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2];
	})()`))
	if err != nil {
		t.Fatalf("find the plugin pane's drag bar: %v", err)
	}
	if err := chromedp.Do(s.ctx,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, pt[0], pt[1], chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, pt[0]+150, pt[1], chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, pt[0]+300, pt[1], chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, pt[0]+300, pt[1], chromedp.ButtonLeft),
	); err != nil {
		t.Fatalf("widen the plugin pane: %v", err)
	}
}

// fanoutRows waits for the panel to show a report with a row matching
// the predicate ok (a JavaScript expression over row elements, "el"), and
// returns its rows.
func (s *session) fanoutRows(t *testing.T, ok string) []fanoutRow {
	t.Helper()
	rows, err := chromedp.Run(s.ctx, chromedp.Poll[[]fanoutRow](fmt.Sprintf(`(() => {
		const els = [...document.querySelectorAll('.fanout-row')];
		if (!els.some((el) => %s)) return false;
		return els.map((el) => ({Service: el.dataset.service, Endpoint: el.dataset.endpoint,
			Outcome: el.dataset.outcome, Code: el.dataset.code}));
	})()`, ok), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		panel, _ := chromedp.Run(s.ctx, chromedp.Evaluate[string](`(document.querySelector('.fanout') || {}).innerText || ''`))
		t.Fatalf("wait for the Fan-out panel: %v; it shows:\n%s", err, panel)
	}
	return rows
}

// hover moves the mouse over the first element matching sel.
func (s *session) hover(t *testing.T, sel string) {
	t.Helper()
	q, _ := json.Marshal(sel)
	pt, err := chromedp.Run(s.ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => {
		const r = document.querySelector(%s).getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2];
	})()`, q)))
	if err != nil {
		t.Fatalf("find %s: %v", sel, err)
	}
	if err := chromedp.Do(s.ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, pt[0], pt[1])); err != nil {
		t.Fatalf("hover %s: %v", sel, err)
	}
}

// The Fan-out panel draws the Dashboard's backend calls, one row for each
// call the demo backends counted; with pricing made slow, its row shows
// the timeout and the request deadline is drawn on the axis; with pricing
// down, its retries fail until the circuit opens and a call is not sent.
func TestBrowserFanoutPanel(t *testing.T) {
	gw := startGateway(t)
	s := openPlayground(t, gw)
	s.openFanout(t)
	s.selectTab(t, "Dashboard")

	gw.resetStats(t)
	s.execute(t, "recentOrders")
	rows := s.fanoutRows(t, "true")
	counted := gw.backendCalls(t)
	got := map[string]int64{}
	for _, r := range rows {
		got[r.Service]++
		if r.Outcome != "ok" {
			t.Errorf("row %+v: got outcome %q, want ok", r, r.Outcome)
		}
	}
	var total int64
	for _, n := range counted {
		total += n
	}
	if int64(len(rows)) != total || !mapsEqual(got, counted) {
		t.Errorf("rows per service: got %v (%d rows), want the backends' counts %v (%d calls)", got, len(rows), counted, total)
	}
	if calls, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`document.querySelector('.fanout-totals').dataset.calls`)); err != nil || calls != fmt.Sprint(total) {
		t.Errorf("totals: got %q calls (%v), want %d", calls, err, total)
	}
	// Hovering a pricing call names the fields that waited on it.
	s.hover(t, `.fanout-row[data-service="pricing"]`)
	fields, err := chromedp.Run(s.ctx, chromedp.Poll[string](`(() => {
		const t = (document.querySelector('.fanout-fields') || {}).innerText || '';
		return t.includes('Waited on pricing') ? t : false;
	})()`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("hover a pricing row: %v", err)
	}
	if !strings.Contains(fields, "price") {
		t.Errorf("fields waiting on pricing: got %q, want the price fields", fields)
	}
	saveScreenshot(s.ctx, t, "fanout-panel.png")

	// pricing answers after 3 s, past its 1 s timeout: the row says so,
	// and the 5 s deadline is on the axis.
	gw.demo(t, http.MethodPut, demo.Pricing, "faults", map[string]any{"latency": "3s"}, nil)
	t.Cleanup(func() { gw.demo(t, http.MethodPut, demo.Pricing, "faults", map[string]any{"latency": "0s"}, nil) })
	s.execute(t, "recentOrders")
	rows = s.fanoutRows(t, `el.dataset.service === 'pricing' && el.dataset.code === 'SERVICE_TIMEOUT'`)
	for _, r := range rows {
		if r.Service == "pricing" && (r.Outcome != "error" || r.Code != "SERVICE_TIMEOUT") {
			t.Errorf("pricing row %+v: want outcome error, code SERVICE_TIMEOUT", r)
		}
	}
	deadline, err := chromedp.Run(s.ctx, chromedp.Evaluate[map[string]any](`(() => {
		const el = document.querySelector('.fanout-deadline');
		if (!el) return {};
		const r = el.getBoundingClientRect();
		return {inScale: el.dataset.inScale, text: el.innerText, height: r.height, left: r.left};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if deadline["inScale"] != "true" || !strings.Contains(fmt.Sprint(deadline["text"]), "deadline 5.00 s") || deadline["height"].(float64) <= 0 {
		t.Errorf("deadline line: got %v, want one drawn on the axis at 5.00 s", deadline)
	}
	s.hover(t, `.fanout-row[data-service="pricing"]`)
	saveScreenshot(s.ctx, t, "fanout-timeout.png")

	// pricing is down: its calls fail with 503 and are retried until the
	// breaker opens, after which the panel shows a call not sent.
	gw.demo(t, http.MethodPut, demo.Pricing, "faults", map[string]any{"latency": "0s", "down": true}, nil)
	t.Cleanup(func() { gw.demo(t, http.MethodPut, demo.Pricing, "faults", map[string]any{"down": false}, nil) })
	var open bool
	for range 4 { // 5 consecutive failures open it; each query makes up to 3 attempts
		s.execute(t, "recentOrders")
		rows = s.fanoutRows(t, `el.dataset.service === 'pricing'`)
		if open = slices.ContainsFunc(rows, func(r fanoutRow) bool { return r.Outcome == "circuit_open" }); open {
			break
		}
	}
	if !open {
		t.Fatalf("pricing down: got rows %+v, want a circuit_open row within 4 queries", rows)
	}
	for _, r := range rows {
		if r.Service == "pricing" && r.Outcome != "circuit_open" && (r.Outcome != "error" || r.Code != "SERVICE_UNAVAILABLE") {
			t.Errorf("pricing row %+v: want SERVICE_UNAVAILABLE errors, then circuit_open", r)
		}
	}
	saveScreenshot(s.ctx, t, "fanout-circuit-open.png")
}

// planView is what the Plan view shows, as the page has it.
type planView struct {
	Status, Source, Engine string
	Rounds                 []int
	Calls                  int
	Compare                *planCompare
}

type planCompare struct {
	Planned, Sent int
	Match         bool
}

// readPlan waits for the Plan view to show a plan from source (preview
// or run) and returns it.
func (s *session) readPlan(t *testing.T, source string) planView {
	t.Helper()
	src, _ := json.Marshal(source)
	v, err := chromedp.Run(s.ctx, chromedp.Poll[planView](fmt.Sprintf(`(() => {
		const el = document.querySelector('.plan');
		if (!el || el.dataset.status !== 'plan' || el.dataset.source !== %s) return false;
		const sum = el.querySelector('.plan-summary');
		const cmp = el.querySelector('.plan-compare');
		return {Status: el.dataset.status, Source: el.dataset.source, Engine: sum.dataset.engine,
			Rounds: [...el.querySelectorAll('.plan-round')].map((r) => Number(r.dataset.round)),
			Calls: el.querySelectorAll('.plan-call').length,
			Compare: cmp ? {Planned: Number(cmp.dataset.planned), Sent: Number(cmp.dataset.sent), Match: cmp.dataset.match === 'true'} : null};
	})()`, src), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		panel, _ := chromedp.Run(s.ctx, chromedp.Evaluate[string](`(document.querySelector('.plan') || {}).innerText || ''`))
		t.Fatalf("wait for the Plan view to show the %s plan: %v; it shows:\n%s", source, err, panel)
	}
	return v
}

// The Plan view, next to the Fan-out panel, shows the product page's plan
// before anything runs (no backend call), by rounds; after a run it
// compares the planned calls with those made, which the demo backends
// counted.
func TestBrowserPlanView(t *testing.T) {
	gw := startGateway(t)
	s := openPlayground(t, gw)
	if _, err := chromedp.Run(s.ctx, chromedp.Poll[bool](editorHas(".graphiql-query-editor", "query ProductPage"),
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("wait for the ProductPage query in the editor: %v", err)
	}
	gw.resetStats(t)
	if err := chromedp.Do(s.ctx,
		chromedp.Click(chromedp.CSS(`button[aria-label="Show Plan"]`)),
		chromedp.WaitVisible(chromedp.CSS(".plan")),
	); err != nil {
		t.Fatalf("open the Plan view: %v", err)
	}
	before := s.readPlan(t, "preview")
	if before.Engine != "plan" || len(before.Rounds) < 2 || before.Calls < len(before.Rounds) {
		t.Errorf("the product page's plan: got %+v, want the plan engine, rounds and calls", before)
	}
	for i, r := range before.Rounds {
		if r != i+1 {
			t.Errorf("rounds: got %v, want 1, 2, …", before.Rounds)
			break
		}
	}
	if got := gw.backendCalls(t); len(got) != 0 {
		t.Errorf("planning ran something: the backends counted %v", got)
	}
	saveScreenshot(s.ctx, t, "plan-view.png")

	p1, _ := demo.DefaultDataset().Product("p1")
	s.execute(t, p1.Name)
	after := s.readPlan(t, "run")
	var total int64
	for _, n := range gw.backendCalls(t) {
		total += n
	}
	if after.Compare == nil {
		t.Fatalf("after a run: got %+v, want the comparison", after)
	}
	if !after.Compare.Match || after.Compare.Planned != before.Calls || int64(after.Compare.Sent) != total {
		t.Errorf("comparison: got %+v, want %d planned = sent = the %d calls the backends counted", *after.Compare, before.Calls, total)
	}
	if len(after.Rounds) != len(before.Rounds) {
		t.Errorf("rounds after the run: got %v, want those planned, %v", after.Rounds, before.Rounds)
	}
	saveScreenshot(s.ctx, t, "plan-compare.png")
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// newBrowser starts headless Chromium with a fresh profile and no
// background traffic, for the life of ctx.
func newBrowser(ctx context.Context, t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // we run as root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1440, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return bctx
}

// editorHas is a JavaScript predicate: the Monaco editor under sel shows want.
func editorHas(sel, want string) string {
	s, _ := json.Marshal(sel)
	w, _ := json.Marshal(want)
	return fmt.Sprintf(`(() => {
		const el = document.querySelector(%s + ' .view-lines');
		return !!el && el.innerText.replace(/\u00a0/g, ' ').includes(%s);
	})()`, s, w)
}

// sameOrigin reports an error unless raw is on origin. data: and blob: URLs
// load nothing from a network.
func sameOrigin(raw string, origin *url.URL) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q: %w", raw, err)
	}
	switch u.Scheme {
	case "data", "blob":
		return nil
	case "http", "https", "ws", "wss":
		if u.Host == origin.Host {
			return nil
		}
	}
	return fmt.Errorf("%s (want only %s)", raw, origin.Scheme+"://"+origin.Host)
}

// shortURL abbreviates a data: URL to its media type and size.
func shortURL(u string) string {
	if rest, ok := strings.CutPrefix(u, "data:"); ok {
		mediaType, _, _ := strings.Cut(rest, ",")
		return fmt.Sprintf("data:%s,… (%d bytes)", mediaType, len(u))
	}
	return u
}

// saveScreenshot writes the browser's viewport to
// $BROWSER_ARTIFACTS_DIR/name (a temporary directory by default).
func saveScreenshot(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	dir := os.Getenv("BROWSER_ARTIFACTS_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", path)
}

// recorder keeps what the browser reports: every network request, console
// errors and warnings, and uncaught exceptions.
type recorder struct {
	mu       sync.Mutex
	reqs     []string
	logs     []string
	problems int // security log entries and uncaught exceptions
}

// event runs on chromedp's reading goroutine: it must only record.
func (r *recorder) event(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		r.reqs = append(r.reqs, ev.Request.URL)
	case *log.EventEntryAdded:
		if e := ev.Entry; e.Level == log.EntryLevelError || e.Level == log.EntryLevelWarning {
			r.logs = append(r.logs, fmt.Sprintf("log %s %s: %s %s", e.Level, e.Source, e.Text, e.URL))
			if e.Source == log.EntrySourceSecurity {
				r.problems++
			}
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			r.logs = append(r.logs, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		r.logs = append(r.logs, fmt.Sprintf("exception: %s (%s:%d)", text, d.URL, d.LineNumber))
		r.problems++
	}
}

func (r *recorder) problemCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.problems
}

func (r *recorder) requestURLs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

func (r *recorder) logLines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.logs)
}

// headerValue is the value of a response header as the browser reports it
// (names in any case).
func headerValue(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}
