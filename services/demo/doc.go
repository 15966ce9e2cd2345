// Package demo implements the six demo backend REST services (catalog, pricing,
// inventory, reviews, users, orders) described in BACKENDS.md, over a
// deterministic, seeded, in-memory [Dataset].
//
// Each service is a [Server]: an http.Handler with per-endpoint counters
// ([Stats]) and run-time fault injection ([Faults]) for tests and load
// benchmarks. [Start] runs all six on loopback; package demotest does the same
// with httptest for tests.
//
// The package has its own wire structs (ProductRecord, PriceRecord, …), as a
// separate service would, so that a client tested against it catches JSON-tag
// drift instead of sharing the mistake.
//
// The three writes of contract 1.1 (POST /reviews, POST /orders/{id}/cancel,
// PATCH /users/{id}) change the server's own copy of what it serves (the
// dataset is shared and stays as generated), remember every
// Idempotency-Key with its answer, and can be made to apply a write and then
// answer 503 or drop the connection ([Faults].AfterWrite), so that a
// client's retry with the same key is seen to apply it once.
//
// Every server also answers admin requests under the reserved prefix /_demo/
// (not counted in Stats and not subject to faults):
//
//	GET  /_demo/stats          Stats as JSON
//	POST /_demo/stats/reset    reset the counters; 204
//	GET  /_demo/faults         Faults as JSON: {"latency":"20ms","jitter":"0s","errorRate":0,"down":false,"status":503}
//	PUT  /_demo/faults         same JSON, partial updates allowed; 200 with the new Faults (POST works too)
//
// Files: server.go the Server and its state; handler.go a call's life
// (count, faults, route, answer); routes.go paths and parameters to
// endpoints; catalog.go … orders.go each service's reads; writes.go the
// writes; faults.go, stats.go, admin.go the test switches; dataset.go the
// data; wire.go the wire structs; contract.go the published contracts;
// backends.go all six on loopback.
package demo
