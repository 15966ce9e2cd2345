#!/usr/bin/env bash
# Memory soak: the gateway (on its demo backends) under a steady open-loop
# mix of dashboards (150/s) and listings (40/s) for 5 minutes, its RSS
# sampled every 20 s. Bounded in time and requests; 127.0.0.1 only.
#
#   bash bench/soak.sh           steady load, then the hostile soak
#   bash bench/soak.sh hostile   the hostile soak only
#
# The hostile soak is TestMemorySoak's long form: 20,000 requests of each
# hostile kind (unique 100 KB documents, unique APQ registrations, unique
# 1 KB categories, unique Boolean variables, 100 KB arguments) with the
# default memory bounds; it fails if the process passes 512 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
hostile() {
	TRIBUTARY_SOAK=long go test -run '^TestMemorySoak$' -count=1 -timeout 60m -v ./internal/gateway | grep -E 'soak_test|^(---|ok|FAIL)'
}
if [ "${1:-}" = hostile ]; then
	hostile
	exit
fi
out=$(mktemp -d)
go build -o "$out/tributary" . && go build -o "$out/load" ./bench/cmd/load
TRIBUTARY_LISTEN_ADDR=127.0.0.1:18090 TRIBUTARY_LOG_LEVEL=error "$out/tributary" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 50); do curl -fs http://127.0.0.1:18090/readyz >/dev/null && break; sleep 0.2; done
(for i in $(seq 1 16); do
	sleep 20
	echo "t=$((i * 20))s rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status) hwm_kb=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)"
done) &
sampler=$!
"$out/load" -target http://127.0.0.1:18090/graphql -workload dashboard -rate 150 -duration 300s -n 100000 -warmup 2s -pid $pid &
"$out/load" -target http://127.0.0.1:18090/graphql -workload listing -rate 40 -duration 300s -n 100000 -warmup 2s -pid $pid
wait %2 2>/dev/null || true
kill $sampler 2>/dev/null || true
kill $pid 2>/dev/null || true
hostile
