// Package playground serves GraphiQL from the gateway itself.
//
// The bundle (GraphiQL, React, Monaco, Monaco's web workers and the
// Fan-out panel) is built from web/graphiql by `bash web/graphiql/build.sh`
// into dist/ as gzip files, which are committed and embedded at compile
// time: `go build` needs no Node.js, and the page makes no request to any
// other host and runs under a strict Content-Security-Policy. CI rebuilds
// the bundle from web/graphiql/package-lock.json and fails if it differs
// from what is committed.
package playground

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// dist holds the bundle. Naming each file makes a missing one a compile
// error rather than a blank page.
//
//go:embed dist/graphiql.js.gz dist/graphiql.css.gz dist/editor.worker.js.gz dist/json.worker.js.gz dist/graphql.worker.js.gz
var dist embed.FS

// AssetPrefix is the path under which the page's assets are served.
const AssetPrefix = "/playground/"

// ContentSecurityPolicy is sent with every response of the self-hosted
// playground. Everything comes from the page's own origin: the page's one
// script and Monaco's web workers (script-src, worker-src), the GraphQL
// endpoint (connect-src) and the stylesheet, whose fonts and images are
// data: URLs. No inline or eval'd script runs. Styles alone allow
// 'unsafe-inline': Monaco lays out every line with a style attribute and
// adds its theme as a <style> element at run time, with contents that vary,
// so neither hashes nor nonces can list them. Without it Chromium blocks
// hundreds of them and the result pane renders as overlapping text.
const ContentSecurityPolicy = "default-src 'self'; " +
	"script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; " +
	"connect-src 'self'; " +
	"img-src 'self' data:; " +
	"font-src 'self' data:; " +
	"worker-src 'self'; " +
	"object-src 'none'; " +
	"frame-ancestors 'none'; " +
	"base-uri 'none'; " +
	"form-action 'self'"

// Bundle lists the files the page needs, as served; dist holds each as
// NAME.gz. The page loads the first two, graphiql.js loads the workers.
var Bundle = []string{
	"graphiql.js",
	"graphiql.css",
	"editor.worker.js",
	"json.worker.js",
	"graphql.worker.js",
}

// Handler serves the playground page at "/" and its assets under
// "/playground/". endpoint is the GraphQL URL path ("/graphql"); it must be
// on the page's own origin, since the page's Content-Security-Policy allows
// no other. Only GET and HEAD are served; any other path under the handler
// is 404. A nil logger means slog.Default().
func Handler(endpoint string, logger *slog.Logger) http.Handler {
	return newHandler(endpoint, logger, distFS())
}

// newHandler is Handler over the bundle files in fsys (NAME.gz for each
// name in Bundle). A bundle that cannot be read (only possible with a
// corrupt fsys) is logged once and every request gets 500.
func newHandler(endpoint string, logger *slog.Logger, fsys fs.FS) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	s, err := newSite(endpoint, fsys)
	if err != nil {
		logger.Error("playground: cannot load the embedded GraphiQL bundle; rebuild it with `bash web/graphiql/build.sh`", "err", err)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			setSecurityHeaders(w.Header())
			http.Error(w, "the playground's bundle is corrupt", http.StatusInternalServerError)
		})
	}
	return s
}

// distFS is the embedded dist directory.
func distFS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil { // only for an invalid path, which "dist" is not
		panic(err)
	}
	return sub
}

// asset is one file of the bundle, held in memory compressed.
type asset struct {
	contentType string
	gzip        []byte
	// plain decompresses gzip on first use, for the rare client that does
	// not accept gzip (every browser does).
	plain func() ([]byte, error)
	etag  string // of gzip; the gzip variant adds a suffix
}

// site serves the page and the bundle.
type site struct {
	page     []byte
	pageETag string
	version  string // content hash of the bundle, the assets' ?v=
	assets   map[string]asset
}

func newSite(endpoint string, fsys fs.FS) (*site, error) {
	s := &site{assets: map[string]asset{}}
	all := sha256.New()
	for _, name := range Bundle {
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return nil, fmt.Errorf("playground: %s: no content type", name)
		}
		gz, err := fs.ReadFile(fsys, name+".gz")
		if err != nil {
			return nil, fmt.Errorf("playground: read bundle: %w", err)
		}
		if err := checkGzip(gz); err != nil {
			return nil, fmt.Errorf("playground: %s.gz: %w", name, err)
		}
		sum := sha256.Sum256(gz)
		s.assets[name] = asset{
			contentType: ct,
			gzip:        gz,
			plain:       sync.OnceValues(func() ([]byte, error) { return gunzip(gz) }),
			etag:        hex.EncodeToString(sum[:8]),
		}
		fmt.Fprintf(all, "%s %x\n", name, sum)
	}
	s.version = hex.EncodeToString(all.Sum(nil)[:8])

	var buf bytes.Buffer
	err := pageTemplate.Execute(&buf, pageData{
		Endpoint: endpoint,
		Assets:   AssetPrefix,
		Version:  s.version,
		Script:   AssetPrefix + "graphiql.js?v=" + s.version,
		Style:    AssetPrefix + "graphiql.css?v=" + s.version,
	})
	if err != nil {
		return nil, fmt.Errorf("playground: render page: %w", err)
	}
	s.page = buf.Bytes()
	sum := sha256.Sum256(s.page)
	s.pageETag = `"` + hex.EncodeToString(sum[:8]) + `"`
	return s, nil
}

// checkGzip reads a gzip stream's header, so a file that is not gzip fails
// at start-up rather than in a browser.
func checkGzip(gz []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return err
	}
	return zr.Close()
}

func gunzip(gz []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(zr)
}

// contentTypes are the types of the files served from the bundle.
var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	w.Header().Set("Content-Security-Policy", ContentSecurityPolicy)
	if !allowMethod(w, r) {
		return
	}
	switch {
	case r.URL.Path == "/":
		s.servePage(w, r)
	case strings.HasPrefix(r.URL.Path, AssetPrefix):
		s.serveAsset(w, r, strings.TrimPrefix(r.URL.Path, AssetPrefix))
	default:
		http.NotFound(w, r)
	}
}

func (s *site) servePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Revalidate every time, so a new build's page (and with it the new
	// asset versions) is picked up at once.
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", s.pageETag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.page))
}

func (s *site) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := s.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Add("Vary", "Accept-Encoding")
	if r.URL.Query().Get("v") == s.version {
		// The URL names this exact content: cache it for good.
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	data, etag := a.gzip, a.etag+"-gzip"
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
	} else {
		plain, err := a.plain()
		if err != nil { // checked at start-up; only a truncated stream gets here
			http.Error(w, "the playground's bundle is corrupt", http.StatusInternalServerError)
			return
		}
		data, etag = plain, a.etag
	}
	h.Set("ETag", `"`+etag+`"`)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

// acceptsGzip reports whether an Accept-Encoding header value allows gzip:
// listed with a non-zero q, or not listed but covered by "*" with one.
func acceptsGzip(header string) bool {
	gzipQ, anyQ := -1.0, -1.0 // -1: not listed
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		q := 1.0
		if k, v, ok := strings.Cut(params, "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				continue
			}
			q = f
		}
		switch coding = strings.TrimSpace(coding); {
		case strings.EqualFold(coding, "gzip"):
			gzipQ = q
		case coding == "*":
			anyQ = q
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return anyQ > 0
}

// setSecurityHeaders sets the headers every response carries.
func setSecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// allowMethod answers 405 to anything but GET and HEAD.
func allowMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
	return false
}

type pageData struct {
	Endpoint, Assets, Version string
	Script, Style             string
}

// pageTemplate is the playground page. It has no inline script: graphiql.js
// reads its settings from the data- attributes of #graphiql.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Tributary · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{.Style}}">
<script defer src="{{.Script}}"></script>
</head>
<body>
<div id="graphiql" data-endpoint="{{.Endpoint}}" data-assets="{{.Assets}}" data-version="{{.Version}}">Loading GraphiQL…</div>
<noscript>GraphiQL needs JavaScript.</noscript>
</body>
</html>
`))
