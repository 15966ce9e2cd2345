//go:build browser

package playground_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/tributary-gw/tributary/internal/playground"
	"github.com/tributary-gw/tributary/services/demo"
)

// Run with:
//
//	bash web/graphiql/build.sh
//	go test -tags browser -run Browser -count=1 ./internal/playground/
//
// or .ci/browser.sh, which also installs Chromium.

// chromiumPath is Debian's Chromium (apt-get install chromium).
const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds the whole test: browser start, page load, the query
// and the screenshot.
const browserTimeout = 90 * time.Second

// cspRecorder runs in the page before any of its scripts and keeps every
// Content-Security-Policy violation for the test to read.
const cspRecorder = `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
    ' (' + (e.sourceFile || '') + ':' + e.lineNumber + ')');
});`

func TestBrowserGraphiQL(t *testing.T) {
	requireBrowserSetup(t)

	// The gateway over the demo backends, and the playground beside it.
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	gw := newGateway(t, logger)
	mux := http.NewServeMux()
	mux.Handle("/", playground.Handler("/graphql", logger))
	mux.Handle("/graphql", gw)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	origin, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	p1, ok := demo.DefaultDataset().Product("p1")
	if !ok || p1.Name == "" {
		t.Fatal("demo dataset has no product p1")
	}

	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	ctx = newBrowser(ctx, t)

	rec := &recorder{}
	if err := chromedp.Listen(ctx, rec.event); err != nil {
		t.Fatalf("listen to the browser: %v", err)
	}
	_, err = chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder})
	if err != nil {
		t.Fatalf("install the CSP recorder: %v", err)
	}
	// Whatever happens below, show what the browser said and save the screen.
	defer func() {
		lines := rec.logLines()
		const most = 40
		for i, line := range lines {
			if i == most {
				t.Logf("browser: … and %d more", len(lines)-most)
				break
			}
			t.Logf("browser: %s", line)
		}
		saveScreenshot(ctx, t)
	}()

	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(srv.URL+"/"))
	if err != nil {
		t.Fatalf("load the playground: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("GET /: got status %d, want 200", resp.Status)
	}
	if got := headerValue(resp.Headers, "Content-Security-Policy"); got != playground.ContentSecurityPolicy {
		t.Errorf("GET /: got Content-Security-Policy %q, want %q", got, playground.ContentSecurityPolicy)
	}

	// GraphiQL rendered, with Monaco's query editor showing the first tab.
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
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](editorHas(".graphiql-query-editor", "query ProductPage"),
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("wait for the ProductPage query in the editor: %v", err)
	}

	// The schema came through introspection: the docs explorer lists the
	// root query type.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-doc-explorer")),
	); err != nil {
		t.Fatalf("open the docs explorer: %v", err)
	}
	_, err = chromedp.Run(ctx, chromedp.Poll[string](`(() => {
		const el = document.querySelector('.graphiql-doc-explorer');
		const text = el ? el.innerText : '';
		return text.includes('Root Types') && text.includes('query: Query') ? text : false;
	})()`, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		docs, _ := chromedp.Run(ctx, chromedp.Evaluate[string](
			`[...document.querySelectorAll('.graphiql-doc-explorer')].map((el) => el.innerText).join('\n---\n')`))
		t.Fatalf("wait for the root query type in the docs explorer: %v; it shows:\n%s", err, docs)
	}

	// Run the selected query and read the result pane.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".graphiql-execute-button"))); err != nil {
		t.Fatalf("click the execute button: %v", err)
	}
	name, err := json.Marshal(p1.Name)
	if err != nil {
		t.Fatal(err)
	}
	result, err := chromedp.Run(ctx, chromedp.Poll[string](fmt.Sprintf(`(() => {
		const el = document.querySelector('.graphiql-response .view-lines');
		const text = el ? el.innerText.replace(/\u00a0/g, ' ') : '';
		return text.includes('"data"') && text.includes(%s) ? text : false;
	})()`, name), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		pane, _ := chromedp.Run(ctx, chromedp.Evaluate[string](
			`(document.querySelector('.graphiql-response') || {}).innerText || ''`))
		t.Fatalf("wait for the result with %q: %v; the result pane shows:\n%s", p1.Name, err, pane)
	}
	if strings.Contains(result, `"errors"`) {
		t.Errorf("result has errors:\n%s", result)
	}
	t.Logf("result pane:\n%s", result)

	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__cspViolations`))
	if err != nil {
		t.Fatalf("read the CSP violations: %v", err)
	}
	for _, v := range violations {
		t.Errorf("Content-Security-Policy violation: %s", v)
	}
	// Violations in workers, and anything else the browser blocked or threw.
	if n := rec.problemCount(); n > 0 {
		t.Errorf("the browser reported %d security errors or uncaught exceptions (logged above)", n)
	}

	reqs := rec.requestURLs()
	if len(reqs) == 0 {
		t.Fatal("recorded no network request")
	}
	var local int
	for _, u := range reqs {
		t.Logf("request: %s", shortURL(u))
		if err := sameOrigin(u, origin); err != nil {
			t.Errorf("request to another origin: %v", err)
			continue
		}
		local++
	}
	t.Logf("%d network requests, %d to %s", len(reqs), local, srv.URL)
	if !slices.ContainsFunc(reqs, func(u string) bool { return strings.HasSuffix(strings.SplitN(u, "?", 2)[0], "/graphql") }) {
		t.Errorf("no request to /graphql among %q", reqs)
	}
}

// requireBrowserSetup skips the test when Chromium or the bundle is missing,
// unless it runs in CI, where both must be there.
func requireBrowserSetup(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := exec.LookPath(chromiumPath); err != nil {
		missing = append(missing, chromiumPath+" (apt-get install -y chromium)")
	}
	if !playground.Built() {
		missing = append(missing, "the GraphiQL bundle (bash web/graphiql/build.sh)")
	}
	if len(missing) == 0 {
		return
	}
	msg := "browser test needs " + strings.Join(missing, " and ") + "; .ci/browser.sh provides both"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
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
// $BROWSER_ARTIFACTS_DIR/graphiql.png (a temporary directory by default).
func saveScreenshot(ctx context.Context, t *testing.T) {
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
	path, err := filepath.Abs(filepath.Join(dir, "graphiql.png"))
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
