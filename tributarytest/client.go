package tributarytest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// Client speaks GraphQL over HTTP to one gateway, in process or a process
// of its own. Its methods fail the test on a failed exchange.
type Client struct {
	T testing.TB
	// URL is the gateway's base URL (no path): /graphql, /metrics and the
	// rest hang off it.
	URL  string
	HTTP *http.Client
}

// newClient is a client for the gateway at url with a bounded timeout.
func newClient(t testing.TB, url string) *Client {
	return &Client{T: t, URL: url, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// For is c reporting to t: for a subtest, whose failures must not be
// reported on its parent.
func (c *Client) For(t testing.TB) *Client {
	cc := *c
	cc.T = t
	return &cc
}

// Error is one GraphQL error of a response.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Response is a decoded GraphQL response and its exchange.
type Response struct {
	Status     int             `json:"-"`
	Header     http.Header     `json:"-"`
	Data       map[string]any  `json:"data"`
	Errors     []Error         `json:"errors"`
	Extensions map[string]any  `json:"extensions"`
	Raw        json.RawMessage `json:"-"`
}

// Query POSTs a GraphQL request, with extra headers as name, value pairs,
// and decodes the answer.
func (c *Client) Query(q string, vars map[string]any, header ...string) Response {
	c.T.Helper()
	return c.Post(map[string]any{"query": q, "variables": vars}, header...)
}

// Post POSTs a GraphQL request body (query, variables, extensions …) to
// /graphql with extra headers as name, value pairs.
func (c *Client) Post(body map[string]any, header ...string) Response {
	c.T.Helper()
	return c.Do(c.Request(body, header...))
}

// Request is the POST of body to /graphql that Post sends, for a test to
// adjust before Do.
func (c *Client) Request(body map[string]any, header ...string) *http.Request {
	c.T.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		c.T.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.URL+"/graphql", bytes.NewReader(b))
	if err != nil {
		c.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// Do sends req and decodes the answer as a GraphQL response; an answer
// that is not JSON fails the test.
func (c *Client) Do(req *http.Request) Response {
	c.T.Helper()
	r, err := c.send(req)
	if err != nil {
		c.T.Fatal(err)
	}
	return r
}

// QueryNoFatal is Query for goroutines other than the test's: nil when
// the exchange fails or the answer is not JSON.
func (c *Client) QueryNoFatal(q string, vars map[string]any) *Response {
	body, err := json.Marshal(map[string]any{"query": q, "variables": vars})
	if err != nil {
		return nil
	}
	req, err := http.NewRequest(http.MethodPost, c.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil
	}
	req.Header.Set("Content-Type", "application/json")
	r, err := c.send(req)
	if err != nil {
		return nil
	}
	return &r
}

func (c *Client) send(req *http.Request) (Response, error) {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, err
	}
	r := Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if err := json.Unmarshal(raw, &r); err != nil {
		return Response{}, &notJSONError{status: resp.StatusCode, raw: raw, err: err}
	}
	return r, nil
}

type notJSONError struct {
	status int
	raw    []byte
	err    error
}

func (e *notJSONError) Error() string {
	return "response is not JSON (" + e.err.Error() + "): " + http.StatusText(e.status) + ": " + string(e.raw)
}

// QueryInto POSTs a GraphQL request and decodes the whole answer into out.
func (c *Client) QueryInto(q string, vars map[string]any, out any) {
	c.T.Helper()
	r := c.Query(q, vars)
	if err := json.Unmarshal(r.Raw, out); err != nil {
		c.T.Fatalf("%s: %v", r.Raw, err)
	}
}

// Get GETs path (e.g. "/metrics") and returns the status and body.
func (c *Client) Get(path string) (int, []byte) {
	c.T.Helper()
	resp, err := c.HTTP.Get(c.URL + path)
	if err != nil {
		c.T.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.T.Fatal(err)
	}
	return resp.StatusCode, body
}

// At walks a decoded JSON value along keys (strings) and indices (ints);
// nil where the path leads nowhere.
func At(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k < 0 || k >= len(l) {
				return nil
			}
			v = l[k]
		default:
			return nil
		}
	}
	return v
}
