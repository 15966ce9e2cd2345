package ratelimit_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tributary-gw/tributary/internal/ratelimit"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// byHeader keys requests by their X-Client header.
func byHeader(r *http.Request) string { return r.Header.Get("X-Client") }

type result struct {
	status     int
	retryAfter string
	code       string
}

// harness is a Limiter in front of a handler over real HTTP.
type harness struct {
	t   *testing.T
	url string
	hc  *http.Client
}

func newHarness(t *testing.T, l *ratelimit.Limiter, h http.Handler) *harness {
	t.Helper()
	if h == nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	}
	srv := httptest.NewServer(l.Middleware(h))
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	return &harness{t: t, url: srv.URL, hc: hc}
}

// do sends a request as client and reads the whole answer. It may run in
// another goroutine, so it reports failures with Errorf.
func (h *harness) do(client string, header ...string) result {
	req, err := http.NewRequestWithContext(h.t.Context(), http.MethodPost, h.url, nil)
	if err != nil {
		h.t.Errorf("new request: %v", err)
		return result{}
	}
	req.Header.Set("X-Client", client)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Errorf("request as %q: %v", client, err)
		return result{}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Errorf("read body: %v", err)
	}
	res := result{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if resp.StatusCode == http.StatusTooManyRequests {
		var ge struct {
			Errors []struct {
				Message    string `json:"message"`
				Extensions struct {
					Code string `json:"code"`
				} `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(body, &ge); err != nil || len(ge.Errors) != 1 || ge.Errors[0].Message == "" {
			h.t.Errorf("got 429 body %s, want one GraphQL error with a message", body)
		} else {
			res.code = ge.Errors[0].Extensions.Code
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			h.t.Errorf("got Content-Type %q, want application/json; charset=utf-8", ct)
		}
	}
	return res
}

func TestRateLimit(t *testing.T) {
	tests := []struct {
		name           string
		giveRPS        float64
		giveBurst      int
		wantAdmitted   int // before the first 429
		wantRetryAfter [2]int
	}{
		{name: "burst 3 at 0.1/s", giveRPS: 0.1, giveBurst: 3, wantAdmitted: 3, wantRetryAfter: [2]int{1, 10}},
		{name: "burst 1 at 1/s", giveRPS: 1, giveBurst: 1, wantAdmitted: 1, wantRetryAfter: [2]int{1, 1}},
		{name: "default burst is RPS rounded up", giveRPS: 1.5, wantAdmitted: 2, wantRetryAfter: [2]int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ratelimit.New(ratelimit.Config{RPS: tt.giveRPS, Burst: tt.giveBurst}, byHeader)
			h := newHarness(t, l, nil)
			for i := range tt.wantAdmitted {
				if got := h.do("greedy"); got.status != http.StatusOK {
					t.Fatalf("request %d: got status %d, want 200", i+1, got.status)
				}
			}
			got := h.do("greedy")
			if got.status != http.StatusTooManyRequests || got.code != ratelimit.CodeRateLimited {
				t.Fatalf("request %d: got status %d code %q, want 429 %s", tt.wantAdmitted+1, got.status, got.code, ratelimit.CodeRateLimited)
			}
			ra, err := strconv.Atoi(got.retryAfter)
			if err != nil || ra < tt.wantRetryAfter[0] || ra > tt.wantRetryAfter[1] {
				t.Errorf("got Retry-After %q, want whole seconds in [%d, %d]", got.retryAfter, tt.wantRetryAfter[0], tt.wantRetryAfter[1])
			}
			if got := h.do("polite"); got.status != http.StatusOK {
				t.Errorf("another client: got status %d, want 200", got.status)
			}
		})
	}
}

// TestRefusedRequestSpendsNoToken: a 429 does not push the client's next
// admission further out (rate.Limiter reservations are cancelled).
func TestRefusedRequestSpendsNoToken(t *testing.T) {
	clock := newClock()
	l := ratelimit.New(ratelimit.Config{RPS: 1, Burst: 1}, byHeader)
	ratelimit.SetClock(l, clock.Now)
	h := newHarness(t, l, nil)

	if got := h.do("c"); got.status != http.StatusOK {
		t.Fatalf("first: got status %d, want 200", got.status)
	}
	for i := range 5 {
		if got := h.do("c"); got.status != http.StatusTooManyRequests || got.retryAfter != "1" {
			t.Fatalf("refused %d: got status %d Retry-After %q, want 429 and 1", i, got.status, got.retryAfter)
		}
	}
	clock.Advance(time.Second)
	if got := h.do("c"); got.status != http.StatusOK {
		t.Errorf("after Retry-After: got status %d, want 200", got.status)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	const limit = 2
	l := ratelimit.New(ratelimit.Config{MaxConcurrent: limit}, byHeader)
	entered := make(chan struct{})
	release := make(chan struct{})
	h := newHarness(t, l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Hold") != "" {
			entered <- struct{}{}
			<-release
		}
		_, _ = io.WriteString(w, "ok")
	}))

	held := make([]result, limit)
	var wg sync.WaitGroup
	for i := range limit {
		wg.Go(func() { held[i] = h.do("busy", "X-Hold", "1") })
	}
	for range limit {
		<-entered
	}

	got := h.do("busy")
	if got.status != http.StatusTooManyRequests || got.code != ratelimit.CodeTooManyConcurrent || got.retryAfter != "1" {
		t.Errorf("request %d in flight: got status %d code %q Retry-After %q, want 429 %s 1",
			limit+1, got.status, got.code, got.retryAfter, ratelimit.CodeTooManyConcurrent)
	}
	if got := h.do("idle"); got.status != http.StatusOK {
		t.Errorf("another client: got status %d, want 200", got.status)
	}

	close(release)
	wg.Wait()
	for i, r := range held {
		if r.status != http.StatusOK {
			t.Errorf("held request %d: got status %d, want 200", i, r.status)
		}
	}
	if got := h.do("busy"); got.status != http.StatusOK {
		t.Errorf("after the held requests finished: got status %d, want 200", got.status)
	}
}

// TestPanicReleasesSlot: a handler that panics still gives its slot back.
func TestPanicReleasesSlot(t *testing.T) {
	l := ratelimit.New(ratelimit.Config{MaxConcurrent: 1}, byHeader)
	h := l.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Panic") != "" {
			panic(http.ErrAbortHandler)
		}
	}))
	serve := func(panics bool) (code int) {
		defer func() { _ = recover() }()
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("X-Client", "c")
		if panics {
			r.Header.Set("X-Panic", "1")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	serve(true)
	if got := serve(false); got != http.StatusOK {
		t.Errorf("after a panic: got status %d, want 200", got)
	}
}

func TestClientsBounded(t *testing.T) {
	t.Run("many clients", func(t *testing.T) {
		const maxClients = 50
		clock := newClock()
		l := ratelimit.New(ratelimit.Config{RPS: 10, Burst: 10, MaxClients: maxClients}, byHeader)
		ratelimit.SetClock(l, clock.Now)
		h := newHarness(t, l, nil)
		for i := range 500 {
			clock.Advance(100 * time.Millisecond) // the clients before have refilled
			if got := h.do(fmt.Sprintf("203.0.113.%d", i)); got.status != http.StatusOK {
				t.Fatalf("client %d: got status %d, want 200", i, got.status)
			}
			if got := l.Len(); got > maxClients {
				t.Fatalf("after client %d: got %d tracked clients, want at most %d", i, got, maxClients)
			}
		}
		if got := l.Len(); got != maxClients {
			t.Errorf("got %d tracked clients, want %d", got, maxClients)
		}
	})

	// Only a client whose bucket is full again (and nothing in flight) is
	// forgotten to make room, the least recently seen first; with none,
	// a new client shares the overflow bucket, and limited clients stay
	// limited.
	t.Run("only refilled clients are evicted", func(t *testing.T) {
		clock := newClock()
		l := ratelimit.New(ratelimit.Config{RPS: 1, Burst: 1, MaxClients: 2}, byHeader)
		ratelimit.SetClock(l, clock.Now)
		h := newHarness(t, l, nil)
		steps := []struct {
			advance    time.Duration
			client     string
			wantStatus int
		}{
			{0, "a", http.StatusOK},
			{0, "a", http.StatusTooManyRequests},
			{0, "b", http.StatusOK},
			{0, "c", http.StatusOK},              // table full of limited clients: the overflow bucket
			{0, "d", http.StatusTooManyRequests}, // shares it, now empty
			{0, "a", http.StatusTooManyRequests}, // a was not forgotten
			{0, "b", http.StatusTooManyRequests},
			{2 * time.Second, "e", http.StatusOK}, // a and b refilled: e takes a's place
			{0, "b", http.StatusOK},               // b kept its (refilled) bucket
			{0, "b", http.StatusTooManyRequests},
			{0, "a", http.StatusOK}, // a refilled; forgotten or not, that is the same
		}
		for i, s := range steps {
			clock.Advance(s.advance)
			if got := h.do(s.client); got.status != s.wantStatus {
				t.Fatalf("step %d (%s): got status %d, want %d", i, s.client, got.status, s.wantStatus)
			}
			if got := l.Len(); got > 2 {
				t.Fatalf("step %d: got %d tracked clients, want at most 2", i, got)
			}
		}
	})
}

// A client being limited stays limited however many other clients come:
// with trusted proxies, one client exhausts its burst, then 12,000
// requests arrive from other IPv6 /64s (a /48 holds 65,536 of them) into a
// table of 1,000. Before, the limited client's bucket was evicted and it
// came back with a fresh burst.
func TestFloodOfNetworksCannotResetLimitedClient(t *testing.T) {
	clock := newClock()
	proxy := netip.MustParsePrefix("127.0.0.0/8")
	l := ratelimit.New(ratelimit.Config{RPS: 1, Burst: 5, MaxClients: 1000}, func(r *http.Request) string {
		return ratelimit.ClientNetwork(r, []netip.Prefix{proxy}, 64)
	})
	ratelimit.SetClock(l, clock.Now)
	h := newHarness(t, l, nil)
	const victim = "2001:db8:ffff:1::7"
	for i := range 5 {
		if got := h.do("", "X-Forwarded-For", victim); got.status != http.StatusOK {
			t.Fatalf("victim request %d: got %d, want 200", i, got.status)
		}
	}
	if got := h.do("", "X-Forwarded-For", victim); got.status != http.StatusTooManyRequests {
		t.Fatalf("victim after its burst: got %d, want 429", got.status)
	}
	admitted := 0
	for i := range 12_000 {
		// Each request from a /64 of its own within one /48.
		ip := fmt.Sprintf("2001:db8:aaaa:%x::1", i)
		if got := h.do("", "X-Forwarded-For", ip); got.status == http.StatusOK {
			admitted++
		}
		clock.Advance(100 * time.Microsecond) // 1.2 s in all: the victim earns one token
		if got := l.Len(); got > 1000 {
			t.Fatalf("after %d networks: %d tracked clients, want at most 1000", i, got)
		}
	}
	// One token earned in 1.2 s, as it would have without the flood; a
	// reset bucket would admit 5.
	ok := 0
	for range 5 {
		if h.do("", "X-Forwarded-For", victim).status == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("victim after the flood: %d of 5 requests admitted, want 1 (its bucket was reset)", ok)
	}
	t.Logf("flood: %d of 12,000 requests admitted; victim: %d of 5", admitted, ok)
}

func TestIdleExpiry(t *testing.T) {
	tests := []struct {
		name     string
		giveRPS  float64
		wantLen  int
		wantNext int // status of the idle client's next request
	}{
		{name: "refilled bucket is forgotten", giveRPS: 1, wantLen: 1, wantNext: http.StatusOK},
		{name: "bucket still refilling is kept", giveRPS: 0.001, wantLen: 2, wantNext: http.StatusTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			l := ratelimit.New(ratelimit.Config{RPS: tt.giveRPS, Burst: 1, IdleTTL: time.Minute}, byHeader)
			ratelimit.SetClock(l, clock.Now)
			h := newHarness(t, l, nil)

			if got := h.do("idle"); got.status != http.StatusOK {
				t.Fatalf("first: got status %d, want 200", got.status)
			}
			clock.Advance(2 * time.Minute)
			if got := h.do("other"); got.status != http.StatusOK {
				t.Fatalf("other: got status %d, want 200", got.status)
			}
			if got := l.Len(); got != tt.wantLen {
				t.Errorf("got %d tracked clients, want %d", got, tt.wantLen)
			}
			if got := h.do("idle"); got.status != tt.wantNext {
				t.Errorf("idle client again: got status %d, want %d", got.status, tt.wantNext)
			}
		})
	}
}

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name        string
		giveRemote  string
		giveXFF     []string
		giveTrusted []netip.Prefix
		want        string
	}{
		{name: "direct", giveRemote: "203.0.113.7:5000", want: "203.0.113.7"},
		{name: "direct, spoofed header ignored", giveRemote: "203.0.113.7:5000", giveXFF: []string{"1.2.3.4"}, want: "203.0.113.7"},
		{name: "untrusted remote, proxies configured", giveRemote: "203.0.113.7:5000", giveXFF: []string{"1.2.3.4"}, giveTrusted: proxies, want: "203.0.113.7"},
		{name: "no proxies trusted, proxy remote", giveRemote: "10.0.0.1:1234", giveXFF: []string{"198.51.100.9"}, want: "10.0.0.1"},
		{name: "one trusted proxy", giveRemote: "10.0.0.1:1234", giveXFF: []string{"198.51.100.9"}, giveTrusted: proxies, want: "198.51.100.9"},
		{name: "spoofed left-most hop", giveRemote: "10.0.0.1:1234", giveXFF: []string{"6.6.6.6, 198.51.100.9"}, giveTrusted: proxies, want: "198.51.100.9"},
		{name: "chain of trusted proxies", giveRemote: "10.0.0.1:1234", giveXFF: []string{"6.6.6.6,198.51.100.9, 10.0.0.2"}, giveTrusted: proxies, want: "198.51.100.9"},
		{name: "several header lines", giveRemote: "10.0.0.1:1234", giveXFF: []string{"6.6.6.6", "198.51.100.9, 10.0.0.2"}, giveTrusted: proxies, want: "198.51.100.9"},
		{name: "every hop trusted", giveRemote: "10.0.0.1:1234", giveXFF: []string{"10.0.0.3, 10.0.0.2"}, giveTrusted: proxies, want: "10.0.0.3"},
		{name: "trusted proxy, no header", giveRemote: "10.0.0.1:1234", giveTrusted: proxies, want: "10.0.0.1"},
		{name: "unreadable hop stops the walk", giveRemote: "10.0.0.1:1234", giveXFF: []string{"198.51.100.9, garbage, 10.0.0.2"}, giveTrusted: proxies, want: "10.0.0.2"},
		{name: "hop with port", giveRemote: "10.0.0.1:1234", giveXFF: []string{"198.51.100.9:5555"}, giveTrusted: proxies, want: "198.51.100.9"},
		{name: "IPv6 hop in brackets", giveRemote: "10.0.0.1:1234", giveXFF: []string{"[2001:db8::9]"}, giveTrusted: proxies, want: "2001:db8::9"},
		{name: "IPv6 remote", giveRemote: "[2001:db8::1]:443", want: "2001:db8::1"},
		{name: "IPv6 trusted proxy", giveRemote: "[fd00::1]:443", giveXFF: []string{"2001:db8::9"}, giveTrusted: proxies, want: "2001:db8::9"},
		{name: "IPv4-mapped remote", giveRemote: "[::ffff:10.0.0.1]:80", giveXFF: []string{"198.51.100.9"}, giveTrusted: proxies, want: "198.51.100.9"},
		{name: "zone dropped", giveRemote: "[fe80::1%eth0]:80", want: "fe80::1"},
		{name: "not an address", giveRemote: "@", giveXFF: []string{"1.2.3.4"}, giveTrusted: proxies, want: "@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.giveRemote
			for _, v := range tt.giveXFF {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ratelimit.ClientIP(r, tt.giveTrusted); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// IPv6 clients count per network: every address of one /64 is one client.
func TestClientNetwork(t *testing.T) {
	tests := []struct {
		name       string
		giveRemote string
		giveBits   int
		want       string
	}{
		{"IPv4 as is", "203.0.113.7:5000", 64, "203.0.113.7"},
		{"IPv6 /64", "[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:443", 64, "2001:db8:1:2::/64"},
		{"another address of the same /64", "[2001:db8:1:2::1]:443", 64, "2001:db8:1:2::/64"},
		{"IPv6 /48", "[2001:db8:1:2::1]:443", 48, "2001:db8:1::/48"},
		{"IPv6 /128", "[2001:db8:1:2::1]:443", 128, "2001:db8:1:2::1/128"},
		{"out of range means /64", "[2001:db8:1:2::1]:443", 0, "2001:db8:1:2::/64"},
		{"IPv4-mapped is IPv4", "[::ffff:198.51.100.9]:80", 64, "198.51.100.9"},
		{"not an address", "@", 64, "@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.giveRemote
			if got := ratelimit.ClientNetwork(r, nil, tt.giveBits); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
