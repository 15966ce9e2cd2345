package playground_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tributary-gw/tributary/internal/playground"
)

// fakeBundle is a dist directory as build.sh leaves it, with tiny files.
func fakeBundle(t *testing.T) fstest.MapFS {
	t.Helper()
	bundle := fstest.MapFS{"README.md": {Data: []byte("# build output\n"), Mode: 0o644}}
	for name, content := range fakeAssets {
		bundle[name+".gz"] = &fstest.MapFile{Data: gzipped(t, content), Mode: 0o644}
	}
	return bundle
}

// fakeAssets are fakeBundle's files, uncompressed.
var fakeAssets = map[string]string{
	"graphiql.js":       "console.log('graphiql');\n",
	"graphiql.css":      "body{margin:0}\n",
	"editor.worker.js":  "/* editor */\n",
	"json.worker.js":    "/* json */\n",
	"graphql.worker.js": "/* graphql */\n",
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// logs is a logger that keeps what it writes.
type logs struct{ buf bytes.Buffer }

func (l *logs) logger() *slog.Logger { return slog.New(slog.NewTextHandler(&l.buf, nil)) }

func (l *logs) lines(level string) []string {
	var out []string
	for line := range strings.Lines(l.buf.String()) {
		if strings.Contains(line, "level="+level) {
			out = append(out, line)
		}
	}
	return out
}

func serve(t *testing.T, h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestBuiltHandlerRoutes(t *testing.T) {
	var l logs
	h := playground.NewHandlerFS("/graphql", l.logger(), fakeBundle(t))
	if got := l.buf.String(); got != "" {
		t.Errorf("construction logged %q, want nothing", got)
	}
	tests := []struct {
		name            string
		giveMethod      string
		giveTarget      string
		wantStatus      int
		wantContentType string
		wantBody        string // substring; checked for GET only
	}{
		{"page", http.MethodGet, "/", http.StatusOK, "text/html; charset=utf-8", "<div id=\"graphiql\""},
		{"page HEAD", http.MethodHead, "/", http.StatusOK, "text/html; charset=utf-8", ""},
		{"page POST", http.MethodPost, "/", http.StatusMethodNotAllowed, "", ""},
		{"script", http.MethodGet, "/playground/graphiql.js", http.StatusOK, "text/javascript; charset=utf-8", "console.log('graphiql')"},
		{"script HEAD", http.MethodHead, "/playground/graphiql.js", http.StatusOK, "text/javascript; charset=utf-8", ""},
		{"style", http.MethodGet, "/playground/graphiql.css", http.StatusOK, "text/css; charset=utf-8", "body{margin:0}"},
		{"worker", http.MethodGet, "/playground/graphql.worker.js", http.StatusOK, "text/javascript; charset=utf-8", "/* graphql */"},
		{"script DELETE", http.MethodDelete, "/playground/graphiql.js", http.StatusMethodNotAllowed, "", ""},
		{"script PUT", http.MethodPut, "/playground/graphiql.js", http.StatusMethodNotAllowed, "", ""},
		{"unknown asset", http.MethodGet, "/playground/nope.js", http.StatusNotFound, "", ""},
		{"readme is not an asset", http.MethodGet, "/playground/README.md", http.StatusNotFound, "", ""},
		{"gitignore is not an asset", http.MethodGet, "/playground/.gitignore", http.StatusNotFound, "", ""},
		{"precompressed file is not an asset", http.MethodGet, "/playground/graphiql.js.gz", http.StatusNotFound, "", ""},
		{"asset directory", http.MethodGet, "/playground/", http.StatusNotFound, "", ""},
		{"nested path", http.MethodGet, "/playground/x/graphiql.js", http.StatusNotFound, "", ""},
		{"other path", http.MethodGet, "/index.html", http.StatusNotFound, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, h, tt.giveMethod, tt.giveTarget, nil)
			if rec.Code != tt.wantStatus {
				t.Fatalf("%s %s: got status %d, want %d", tt.giveMethod, tt.giveTarget, rec.Code, tt.wantStatus)
			}
			checkSecurityHeaders(t, rec.Header())
			if tt.wantStatus == http.StatusMethodNotAllowed {
				if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
					t.Errorf("got Allow %q, want %q", got, "GET, HEAD")
				}
			}
			if tt.wantContentType != "" {
				if got := rec.Header().Get("Content-Type"); got != tt.wantContentType {
					t.Errorf("got Content-Type %q, want %q", got, tt.wantContentType)
				}
			}
			if tt.giveMethod == http.MethodHead && rec.Body.Len() != 0 {
				t.Errorf("HEAD: got a body of %d bytes, want none", rec.Body.Len())
			}
			if tt.wantBody != "" && !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("got body %q, want it to contain %q", rec.Body.String(), tt.wantBody)
			}
		})
	}
}

// checkSecurityHeaders checks the headers every response carries.
func checkSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": playground.ContentSecurityPolicy,
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("got %s %q, want %q", k, got, v)
		}
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	directives := map[string]string{}
	for d := range strings.SplitSeq(playground.ContentSecurityPolicy, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	tests := []struct {
		directive string
		want      string
	}{
		{"default-src", "'self'"},
		{"script-src", "'self'"},
		{"style-src", "'self' 'unsafe-inline'"},
		{"connect-src", "'self'"},
		{"img-src", "'self' data:"},
		{"font-src", "'self' data:"},
		{"worker-src", "'self'"},
		{"object-src", "'none'"},
		{"frame-ancestors", "'none'"},
		{"base-uri", "'none'"},
		{"form-action", "'self'"},
	}
	for _, tt := range tests {
		if got := directives[tt.directive]; got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.directive, got, tt.want)
		}
	}
	if len(directives) != len(tests) {
		t.Errorf("got %d directives, want %d: %q", len(directives), len(tests), playground.ContentSecurityPolicy)
	}
}

var attrURL = regexp.MustCompile(`(?i)\b(?:src|href|action|data-[a-z-]+)\s*=\s*"([^"]*)"`)

func TestBuiltPageLoadsOnlyItsOwnAssets(t *testing.T) {
	h := playground.NewHandlerFS("/graphql", slog.New(slog.DiscardHandler), fakeBundle(t))
	page := serve(t, h, http.MethodGet, "/", nil).Body.String()

	for _, bad := range []string{"http:", "https:", "//", "<style", "style="} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q:\n%s", bad, page)
		}
	}
	// Every <script> has a src and no inline code.
	for _, m := range regexp.MustCompile(`(?is)<script([^>]*)>(.*?)</script>`).FindAllStringSubmatch(page, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script in page: %q", m[0])
		}
	}

	var refs []string
	for _, m := range attrURL.FindAllStringSubmatch(page, -1) {
		refs = append(refs, m[1])
	}
	var script, style string
	for _, ref := range refs {
		switch {
		case strings.HasPrefix(ref, "/playground/graphiql.js?v="):
			script = ref
		case strings.HasPrefix(ref, "/playground/graphiql.css?v="):
			style = ref
		case ref == "data:," || ref == "/graphql" || ref == "/playground/" || regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(ref):
			// the empty favicon, the endpoint, the asset base and version
		default:
			t.Errorf("page references %q, want only /playground/graphiql.{js,css}", ref)
		}
	}
	if script == "" || style == "" {
		t.Fatalf("page references %q, want the script and the stylesheet with ?v=", refs)
	}
	if !strings.Contains(page, `data-endpoint="/graphql"`) {
		t.Errorf("page does not name the endpoint /graphql:\n%s", page)
	}
	// Both references work.
	for _, ref := range []string{script, style} {
		if rec := serve(t, h, http.MethodGet, ref, nil); rec.Code != http.StatusOK {
			t.Errorf("GET %s: got status %d, want 200", ref, rec.Code)
		}
	}
}

func TestAssetCaching(t *testing.T) {
	bundle := fakeBundle(t)
	h := playground.NewHandlerFS("/graphql", slog.New(slog.DiscardHandler), bundle)
	page := serve(t, h, http.MethodGet, "/", nil).Body.String()
	script := regexp.MustCompile(`/playground/graphiql\.js\?v=[0-9a-f]+`).FindString(page)
	if script == "" {
		t.Fatalf("no versioned script in page:\n%s", page)
	}

	t.Run("versioned URL is immutable", func(t *testing.T) {
		rec := serve(t, h, http.MethodGet, script, nil)
		if got, want := rec.Header().Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
			t.Errorf("got Cache-Control %q, want %q", got, want)
		}
	})
	t.Run("other versions revalidate", func(t *testing.T) {
		for _, target := range []string{"/playground/graphiql.js", "/playground/graphiql.js?v=0000000000000000"} {
			rec := serve(t, h, http.MethodGet, target, nil)
			if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
				t.Errorf("GET %s: got Cache-Control %q, want no-cache", target, got)
			}
		}
	})
	t.Run("page revalidates", func(t *testing.T) {
		rec := serve(t, h, http.MethodGet, "/", nil)
		if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
			t.Errorf("got Cache-Control %q, want no-cache", got)
		}
		etag := rec.Header().Get("ETag")
		if etag == "" {
			t.Fatal("page has no ETag")
		}
		rec = serve(t, h, http.MethodGet, "/", http.Header{"If-None-Match": {etag}})
		if rec.Code != http.StatusNotModified {
			t.Errorf("If-None-Match: got status %d, want 304", rec.Code)
		}
		checkSecurityHeaders(t, rec.Header())
	})
	t.Run("ETag", func(t *testing.T) {
		rec := serve(t, h, http.MethodGet, script, nil)
		etag := rec.Header().Get("ETag")
		if !regexp.MustCompile(`^"[0-9a-f]{16}"$`).MatchString(etag) {
			t.Fatalf("got ETag %q, want a quoted hash", etag)
		}
		rec = serve(t, h, http.MethodGet, script, http.Header{"If-None-Match": {etag}})
		if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
			t.Errorf("If-None-Match: got status %d with %d bytes, want 304 with none", rec.Code, rec.Body.Len())
		}
	})
	t.Run("gzip", func(t *testing.T) {
		rec := serve(t, h, http.MethodGet, script, http.Header{"Accept-Encoding": {"gzip, deflate, br"}})
		if got := rec.Header().Get("Content-Encoding"); got != "gzip" {
			t.Fatalf("got Content-Encoding %q, want gzip", got)
		}
		if got := rec.Header().Get("Vary"); got != "Accept-Encoding" {
			t.Errorf("got Vary %q, want Accept-Encoding", got)
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if want := fakeAssets["graphiql.js"]; string(body) != want {
			t.Errorf("got gunzipped body %q, want %q", body, want)
		}
		plain := serve(t, h, http.MethodGet, script, nil)
		if plain.Header().Get("ETag") == rec.Header().Get("ETag") {
			t.Errorf("gzip and identity share the ETag %s", plain.Header().Get("ETag"))
		}
	})
	t.Run("identity for clients without gzip", func(t *testing.T) {
		for _, name := range playground.Bundle {
			rec := serve(t, h, http.MethodGet, "/playground/"+name, http.Header{"Accept-Encoding": {"br"}})
			if got := rec.Header().Get("Content-Encoding"); got != "" {
				t.Errorf("%s: got Content-Encoding %q, want none", name, got)
			}
			if got, want := rec.Body.String(), fakeAssets[name]; got != want {
				t.Errorf("%s: got body %q, want %q", name, got, want)
			}
		}
	})
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"deflate, gzip;q=0.5, br", true},
		{"br", false},
		{"gzip;q=0", false},
		{"gzip; q=0.0", false},
		{"*", true},
		{"*;q=0", false},
		{"*, gzip;q=0", false},
		{"gzip;q=0, *", false},
		{"br, *;q=0.1", true},
		{"gzip;q=x", false},
	}
	for _, tt := range tests {
		if got := playground.AcceptsGzip(tt.give); got != tt.want {
			t.Errorf("AcceptsGzip(%q): got %v, want %v", tt.give, got, tt.want)
		}
	}
}

// A bundle that cannot be read is logged once and answered with 500,
// never with a page that would load GraphiQL from elsewhere.
func TestBrokenBundle(t *testing.T) {
	tests := []struct {
		name string
		give fstest.MapFS
	}{
		{"empty dist", fstest.MapFS{"README.md": {Data: []byte("# build output\n")}}},
		{"missing worker", func() fstest.MapFS {
			b := fakeBundle(t)
			delete(b, "json.worker.js.gz")
			return b
		}()},
		{"not gzip", func() fstest.MapFS {
			b := fakeBundle(t)
			b["graphiql.css.gz"] = &fstest.MapFile{Data: []byte("body{}")}
			return b
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l logs
			h := playground.NewHandlerFS("/graphql", l.logger(), tt.give)
			if errs := l.lines("ERROR"); len(errs) != 1 || !strings.Contains(errs[0], "bash web/graphiql/build.sh") {
				t.Errorf("got errors %q, want one naming bash web/graphiql/build.sh", errs)
			}
			for _, target := range []string{"/", "/playground/graphiql.js"} {
				rec := serve(t, h, http.MethodGet, target, nil)
				if rec.Code != http.StatusInternalServerError {
					t.Errorf("GET %s: got status %d, want 500", target, rec.Code)
				}
				if strings.Contains(rec.Body.String(), "http") {
					t.Errorf("GET %s: got body %q, want no link anywhere", target, rec.Body.String())
				}
			}
		})
	}
}

// TestEmbedded checks Handler over the committed, embedded bundle.
func TestEmbedded(t *testing.T) {
	var l logs
	h := playground.Handler("/graphql", l.logger())
	rec := serve(t, h, http.MethodGet, "/", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /: got status %d, want 200", rec.Code)
	}
	if got := l.buf.String(); got != "" {
		t.Errorf("construction logged %q, want nothing", got)
	}
	checkSecurityHeaders(t, rec.Header())
	page := rec.Body.String()
	for _, asset := range []string{"graphiql.js", "graphiql.css"} {
		ref := regexp.MustCompile(`/playground/` + regexp.QuoteMeta(asset) + `\?v=[0-9a-f]+`).FindString(page)
		if ref == "" {
			t.Errorf("page does not reference %s:\n%s", asset, page)
			continue
		}
		if rec := serve(t, h, http.MethodGet, ref, nil); rec.Code != http.StatusOK || rec.Body.Len() == 0 {
			t.Errorf("GET %s: got status %d with %d bytes, want 200 with the asset", ref, rec.Code, rec.Body.Len())
		}
	}
	// The stylesheet inlines its fonts and images.
	css := serve(t, h, http.MethodGet, "/playground/graphiql.css", nil).Body.String()
	for _, m := range regexp.MustCompile(`url\(\s*['"]?([^'")]*)`).FindAllStringSubmatch(css, -1) {
		if !strings.HasPrefix(m[1], "data:") && !strings.HasPrefix(m[1], "#") {
			t.Errorf("graphiql.css loads %q, want only data: URLs", m[1])
		}
	}
}
