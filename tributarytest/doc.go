// Package tributarytest is the test harness of the whole repository: every
// package's tests start gateways, backends and processes through it, so
// that one fix or one new counter serves them all. It is not under
// internal/ because it assembles real gateways — Tributary's graph
// (graph/served) over the demo backends (services/demo) — and nothing
// under internal/ may import those; internal/ packages' tests use it.
//
//   - [StartBackends]: the demo backends on httptest servers, started
//     concurrently, with their own call counters and fault switches, and
//     counters across all of them (calls in flight, rounds of calls).
//   - [StartGateway] and [New]: a gateway (gateway.New over graph/served,
//     behind httptest) over the demo backends, or over custom backends
//     (httptest servers given in the configuration), with a [Client] that
//     speaks GraphQL over HTTP.
//   - [Backend]: a custom backend: any handler with a call counter, a
//     record of the queries it was sent and a down switch.
//   - [StartProcess]: the gateway binary as a process, stopped with SIGINT
//     when the test ends; [StartRedis]: a real redis-server.
//   - Package poll: waiting until a condition holds, instead of sleeping.
package tributarytest
