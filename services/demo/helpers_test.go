package demo_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testClient is the one client of the tests; the timeout is a safety net
// against hangs, not an assertion.
var testClient = &http.Client{Timeout: 30 * time.Second}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request and reads the whole answer.
func do(t testing.TB, ctx context.Context, method, url, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, url, err)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func get(t testing.TB, url string) response {
	t.Helper()
	return do(t, context.Background(), http.MethodGet, url, "")
}

// decode decodes the body into v, failing the test on error.
func decode(t testing.TB, r response, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(r.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, r.body, err)
	}
}

// checkError checks the status, content type and {"error":"…"} shape of an
// error answer.
func checkError(t testing.TB, r response, wantStatus int) {
	t.Helper()
	if r.status != wantStatus {
		t.Fatalf("got status %d, want %d (body %s)", r.status, wantStatus, r.body)
	}
	checkContentType(t, r)
	var e map[string]any
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body %s: %v", r.body, err)
	}
	msg, ok := e["error"].(string)
	if len(e) != 1 || !ok || msg == "" {
		t.Errorf("got error body %s, want {\"error\":\"<message>\"}", r.body)
	}
}

func checkContentType(t testing.TB, r response) {
	t.Helper()
	if got, want := r.header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
		t.Errorf("got Content-Type %q, want %q", got, want)
	}
}

// ids returns n ids prefix1…prefixN joined by commas.
func ids(prefix string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		b.WriteString(prefix)
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}
