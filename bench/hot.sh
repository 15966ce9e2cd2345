#!/usr/bin/env bash
# The hot-product workload (issue 19): product pages for 20 distinct
# products, 32 connections, 20 ms backends, entity cache off — backend calls
# per page with sharing across requests on (batch.share) and off, anonymous
# and with a different Authorization on every request. Also one request at
# a time (p50). Prints the load generator's table; numbers in
# bench/README.md ("Sharing calls across requests").
#
#   bash bench/hot.sh            # about a minute
#
# Knobs (environment): BENCH_DURATION (5s), BENCH_CONCURRENCY (32),
# BENCH_LATENCY (20ms), BENCH_PORT (9201: backends on 9201…9206),
# BENCH_GW_PORT (8181, +1 for the gateway with sharing off).
#
# All traffic is to 127.0.0.1. Every process started here is stopped on exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

duration=${BENCH_DURATION:-5s}
conc=${BENCH_CONCURRENCY:-32}
latency=${BENCH_LATENCY:-20ms}
port=${BENCH_PORT:-9201}
gwport=${BENCH_GW_PORT:-8181}

bin=$(mktemp -d)
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$bin"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$bin/tributary" .
go build -o "$bin/backends" ./bench/cmd/backends
go build -o "$bin/load" ./bench/cmd/load

services=(catalog pricing inventory reviews users orders)
backend_urls=()
gw_env=()
for i in "${!services[@]}"; do
	u="http://127.0.0.1:$((port + i))"
	backend_urls+=("$u")
	gw_env+=("TRIBUTARY_$(tr '[:lower:]' '[:upper:]' <<<"${services[$i]}")_URL=$u")
done
backends_csv=$(
	IFS=,
	echo "${backend_urls[*]}"
)

wait_http() { # url
	local i
	for i in $(seq 1 100); do
		if curl -fsS -o /dev/null "$1" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "not ready: $1" >&2
	return 1
}

"$bin/backends" -addr "127.0.0.1:$port" >"$bin/backends.log" 2>&1 &
pids+=($!)
wait_http "${backend_urls[0]}/_demo/stats"
wait_http "${backend_urls[5]}/_demo/stats"
for u in "${backend_urls[@]}"; do
	curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' \
		-d "{\"latency\":\"$latency\",\"jitter\":\"0s\",\"errorRate\":0,\"down\":false}" "$u/_demo/faults"
done

# The entity cache is off by default (cache.enabled); the rate limit too.
env "${gw_env[@]}" TRIBUTARY_LISTEN_ADDR="127.0.0.1:$gwport" TRIBUTARY_LOG_LEVEL=warn \
	"$bin/tributary" >"$bin/share.log" 2>&1 &
pids+=($!)
env "${gw_env[@]}" TRIBUTARY_LISTEN_ADDR="127.0.0.1:$((gwport + 1))" TRIBUTARY_LOG_LEVEL=warn TRIBUTARY_BATCH_SHARE=false \
	"$bin/tributary" >"$bin/noshare.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$gwport/healthz"
wait_http "http://127.0.0.1:$((gwport + 1))/healthz"

header=true
for target in "share:$gwport" "noshare:$((gwport + 1))"; do
	name=${target%%:*}
	p=${target##*:}
	for auth in false true; do
		label=$name
		[[ $auth == true ]] && label="$name+auth"
		"$bin/load" -target "http://127.0.0.1:$p/graphql" -label "$label" -workload hot-product \
			-backends "$backends_csv" -c "$conc" -duration "$duration" -warmup 1s -auth-each="$auth" -header="$header"
		header=false
	done
	"$bin/load" -target "http://127.0.0.1:$p/graphql" -label "$name,c=1" -workload hot-product \
		-backends "$backends_csv" -c 1 -n 200 -duration 3s -warmup 200ms -header=false
done
