package gateway

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/tributary-gw/tributary/internal/upstream"
)

// buildFanout on made-up calls: outcomes, rounds, the time axis and the
// totals, without a network.
func TestBuildFanout(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	call := func(svc, ep string, attempt, startMS, durMS int, code upstream.Code) upstream.Call {
		return upstream.Call{Service: svc, Endpoint: ep, IDs: 2, Attempt: attempt, Start: at(startMS),
			Duration: time.Duration(durMS) * time.Millisecond, Status: 200, Code: code}
	}
	type row struct {
		service, outcome string
		startMS, latency float64
		round            int
	}
	tests := []struct {
		name                        string
		giveCalls, giveRefused      []upstream.Call
		giveStale                   []string
		giveEnd                     int // ms
		giveDeadline                time.Time
		wantRows                    []row // by start, then service
		wantCalls, wantIDs, wantRnd int
		wantBackend, wantGateway    float64
		wantDeadline                float64
		wantNotSent                 map[string]int
	}{
		{
			name: "two levels",
			giveCalls: []upstream.Call{
				call("catalog", "products.byIds", 0, 1, 10, ""),
				call("users", "users.byIds", 0, 2, 5, ""),
				call("pricing", "prices.byIds", 0, 12, 8, ""), // after both ended: level 2
			},
			giveEnd:      25,
			giveDeadline: at(5000),
			wantRows: []row{
				{"catalog", "ok", 1, 10, 1}, {"users", "ok", 2, 5, 1}, {"pricing", "ok", 12, 8, 2},
			},
			wantCalls: 3, wantIDs: 6, wantRnd: 2,
			wantBackend: 18, wantGateway: 7, wantDeadline: 5000,
		},
		{
			name: "a call that starts while the level is in flight is in its round",
			giveCalls: []upstream.Call{
				call("catalog", "products.byIds", 0, 0, 10, ""),
				call("reviews", "reviews.byProduct", 0, 4, 10, ""),
			},
			giveEnd:   20,
			wantRows:  []row{{"catalog", "ok", 0, 10, 1}, {"reviews", "ok", 4, 10, 1}},
			wantCalls: 2, wantIDs: 4, wantRnd: 1,
			wantBackend: 14, wantGateway: 6,
		},
		{
			name: "levels overlap: each call waits on the one it followed",
			giveCalls: []upstream.Call{
				call("orders", "orders.byUser", 0, 0, 6, ""),
				call("reviews", "reviews.byAuthor", 0, 0, 12, ""),
				call("pricing", "prices", 0, 7, 1000, upstream.CodeTimeout), // after orders, while reviews runs
				call("catalog", "products.byIds", 0, 13, 1, ""),             // after reviews
			},
			giveEnd: 1008,
			wantRows: []row{
				{"orders", "ok", 0, 6, 1}, {"reviews", "ok", 0, 12, 1}, {"pricing", "error", 7, 1000, 2}, {"catalog", "ok", 13, 1, 2},
			},
			wantCalls: 4, wantIDs: 8, wantRnd: 2,
			wantBackend: 1007, wantGateway: 1,
		},
		{
			name: "retried, then served stale",
			giveCalls: []upstream.Call{
				call("reviews", "ratings.byIds", 0, 0, 5, upstream.CodeUnavailable),
				call("reviews", "ratings.byIds", 1, 25, 5, upstream.CodeUnavailable),
			},
			giveStale: []string{"reviews"},
			giveEnd:   40,
			wantRows:  []row{{"reviews", "error", 0, 5, 1}, {"reviews", "stale", 25, 5, 1}},
			wantCalls: 2, wantIDs: 4, wantRnd: 1,
			wantBackend: 10, wantGateway: 30,
		},
		{
			name:      "timeout, no fallback",
			giveCalls: []upstream.Call{call("pricing", "prices.byIds", 0, 3, 1000, upstream.CodeTimeout)},
			giveEnd:   1004, giveDeadline: at(5000),
			wantRows:  []row{{"pricing", "error", 3, 1000, 1}},
			wantCalls: 1, wantIDs: 2, wantRnd: 1,
			wantBackend: 1000, wantGateway: 4, wantDeadline: 5000,
		},
		{
			name:      "circuit open and budget: not sent",
			giveCalls: []upstream.Call{call("catalog", "products.byIds", 0, 0, 4, "")},
			giveRefused: []upstream.Call{
				{Service: "pricing", Endpoint: "prices.byIds", IDs: 3, Start: at(5), Code: upstream.CodeCircuitOpen},
				{Service: "inventory", Endpoint: "stock.byIds", IDs: 3, Start: at(5).Add(time.Microsecond), Code: upstream.CodeBudgetExceeded},
			},
			giveEnd:   10,
			wantRows:  []row{{"catalog", "ok", 0, 4, 1}, {"pricing", "circuit_open", 5, 0, 2}, {"inventory", "not_sent", 5.001, 0, 2}},
			wantCalls: 1, wantIDs: 2, wantRnd: 2,
			wantBackend: 4, wantGateway: 6,
			wantNotSent: map[string]int{"pricing": 1, "inventory": 1},
		},
		{
			name:        "no calls",
			giveEnd:     2,
			wantRows:    nil,
			wantGateway: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stale := map[string]int{}
			for _, s := range tt.giveStale {
				stale[s]++
			}
			fields := func(s string) []string { return []string{s + ".field"} }
			rep := buildFanout(t0, at(tt.giveEnd), tt.giveDeadline, tt.giveCalls, tt.giveRefused, stale, fields)

			var got []row
			for svc, sr := range rep.Services {
				for _, b := range sr.Batches {
					got = append(got, row{svc, b.Outcome, b.StartMS, b.LatencyMS, b.Round})
				}
				if want := []string{svc + ".field"}; !slices.Equal(sr.Fields, want) {
					t.Errorf("%s fields: got %v, want %v", svc, sr.Fields, want)
				}
				if sr.Stale != stale[svc] {
					t.Errorf("%s staleServed: got %d, want %d", svc, sr.Stale, stale[svc])
				}
				if sr.NotSent != tt.wantNotSent[svc] {
					t.Errorf("%s notSent: got %d, want %d", svc, sr.NotSent, tt.wantNotSent[svc])
				}
			}
			slices.SortFunc(got, func(a, b row) int {
				return cmp.Or(cmp.Compare(a.startMS, b.startMS), cmp.Compare(a.service, b.service))
			})
			if !slices.Equal(got, tt.wantRows) {
				t.Errorf("rows: got %+v, want %+v", got, tt.wantRows)
			}
			if rep.TotalCalls != tt.wantCalls || rep.TotalIDs != tt.wantIDs || rep.Rounds != tt.wantRnd {
				t.Errorf("calls, ids, rounds: got %d, %d, %d, want %d, %d, %d",
					rep.TotalCalls, rep.TotalIDs, rep.Rounds, tt.wantCalls, tt.wantIDs, tt.wantRnd)
			}
			if rep.DurationMS != float64(tt.giveEnd) || rep.BackendMS != tt.wantBackend || rep.GatewayMS != tt.wantGateway {
				t.Errorf("duration, backend, gateway: got %v, %v, %v ms, want %v, %v, %v",
					rep.DurationMS, rep.BackendMS, rep.GatewayMS, float64(tt.giveEnd), tt.wantBackend, tt.wantGateway)
			}
			if rep.DeadlineMS != tt.wantDeadline {
				t.Errorf("deadline: got %v ms, want %v", rep.DeadlineMS, tt.wantDeadline)
			}
		})
	}
}
