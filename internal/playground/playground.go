// Package playground serves GraphiQL from the gateway itself.
//
// The bundle (GraphiQL, React, Monaco and Monaco's web workers) is built
// from web/graphiql by `bash web/graphiql/build.sh` into dist/ and embedded
// at compile time, so the page makes no request to any other host and runs
// under a strict Content-Security-Policy. A binary compiled without the
// bundle falls back to gqlgen's playground, which loads GraphiQL from a CDN.
package playground

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	gqlplayground "github.com/99designs/gqlgen/graphql/playground"
)

//go:embed dist
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

// buildHint tells an operator how to get the self-hosted assets.
const buildHint = "bash web/graphiql/build.sh"

// bundle lists the files build.sh writes into dist/ that the page needs:
// the page loads the first two, graphiql.js loads the workers.
var bundle = []string{
	"graphiql.js",
	"graphiql.css",
	"editor.worker.js",
	"json.worker.js",
	"graphql.worker.js",
}

// Built reports whether the binary embeds the GraphiQL bundle, that is,
// whether web/graphiql/build.sh ran before it was compiled.
func Built() bool { return built(distFS()) }

// Handler serves the playground page at "/" and its assets under
// "/playground/". endpoint is the GraphQL URL path ("/graphql"); it must be
// on the page's own origin, since the page's Content-Security-Policy allows
// no other. Only GET and HEAD are served; any other path under the handler
// is 404.
//
// Without the embedded bundle (see Built) the page is gqlgen's CDN-based
// playground and Handler logs one warning saying how to build the assets.
// A nil logger means slog.Default().
func Handler(endpoint string, logger *slog.Logger) http.Handler {
	return newHandler(endpoint, logger, distFS())
}

// newHandler is Handler over the bundle files in fsys (the contents of dist).
func newHandler(endpoint string, logger *slog.Logger, fsys fs.FS) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	if !built(fsys) {
		logger.Warn("playground: the self-hosted GraphiQL assets were not built, so / serves gqlgen's playground, which loads GraphiQL from a CDN; "+
			"to serve it from the gateway, run `"+buildHint+"` and rebuild", "build", buildHint)
		return newFallback(endpoint)
	}
	s, err := newSite(endpoint, fsys)
	if err != nil {
		logger.Error("playground: cannot load the embedded GraphiQL assets, so / serves gqlgen's playground, which loads GraphiQL from a CDN",
			"err", err, "build", buildHint)
		return newFallback(endpoint)
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

func built(fsys fs.FS) bool {
	for _, name := range bundle {
		fi, err := fs.Stat(fsys, name)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
			return false
		}
	}
	return true
}

// asset is one file of the bundle, held in memory.
type asset struct {
	contentType string
	data, gzip  []byte // gzip is nil when the build wrote no NAME.gz
	etag        string // of data; the gzip variant adds a suffix
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
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("playground: read bundle: %w", err)
	}
	all := sha256.New()
	for _, e := range entries {
		name := e.Name()
		ct, ok := contentTypes[path.Ext(name)]
		if !ok || !e.Type().IsRegular() {
			continue // README.md, .gitignore, NAME.gz
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("playground: read bundle: %w", err)
		}
		gz, err := fs.ReadFile(fsys, name+".gz")
		if errors.Is(err, fs.ErrNotExist) {
			gz = nil
		} else if err != nil {
			return nil, fmt.Errorf("playground: read bundle: %w", err)
		}
		sum := sha256.Sum256(data)
		s.assets[name] = asset{contentType: ct, data: data, gzip: gz, etag: hex.EncodeToString(sum[:8])}
		fmt.Fprintf(all, "%s %x\n", name, sum) // entries are sorted by name
	}
	s.version = hex.EncodeToString(all.Sum(nil)[:8])

	var buf bytes.Buffer
	err = pageTemplate.Execute(&buf, pageData{
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

// contentTypes are the types of the files served from the bundle; other
// files in dist are not served.
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
	data, etag := a.data, a.etag
	if a.gzip != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		data, etag = a.gzip, etag+"-gzip"
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

// newFallback serves gqlgen's playground page, which loads GraphiQL from a
// CDN, at "/". It sends no Content-Security-Policy: the page has inline
// scripts and loads from other hosts.
func newFallback(endpoint string) http.Handler {
	page := gqlplayground.Handler("Tributary", endpoint)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		if !allowMethod(w, r) {
			return
		}
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		page.ServeHTTP(w, r)
	})
}

// setSecurityHeaders sets the headers both modes send with every response.
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
