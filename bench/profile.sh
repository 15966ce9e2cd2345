#!/usr/bin/env bash
# CPU per request of the gateway beside the hand-written floor, one
# workload at a time, with a CPU profile of the gateway under load.
#
#   bash bench/profile.sh [workload ...]      (default: listing dashboard product user)
#
# Backends (bench/cmd/backends, 0 ms) and the load generator share CPU 0;
# the gateway and the floor each get CPU 1 while loaded (taskset, when
# there are two CPUs). Each workload: closed loop, BENCH_CONCURRENCY (32)
# workers, BENCH_DURATION (5s) or 20,000 requests after 1 s of warm-up;
# a 3 s CPU profile of the gateway is taken from its admin listener
# (/debug/pprof) during its run. Out: $BENCH_OUT (bench/results/profile)
# with runs.jsonl and <workload>.pprof; the table goes to stdout.
# BENCH_GATEWAY picks a prebuilt gateway (to compare two commits);
# BENCH_GATEWAY_ENV adds settings to its environment (space-separated
# NAME=value, e.g. TRIBUTARY_BATCH_SHARE=false to compare engines without
# calls shared across requests).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-bench/results/profile}
conc=${BENCH_CONCURRENCY:-32}
duration=${BENCH_DURATION:-5s}
port=${BENCH_PORT:-9301}
workloads=${*:-listing dashboard product user}
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; cp "$bin"/*.log "$out"/ 2>/dev/null || true; rm -rf "$bin"' EXIT
gw=${BENCH_GATEWAY:-}
if [[ -z $gw ]]; then
	go build -o "$bin/tributary" .
	gw=$bin/tributary
fi
go build -o "$bin/floor" ./bench/floor
go build -o "$bin/backends" ./bench/cmd/backends
go build -o "$bin/load" ./bench/cmd/load

cpu0=() cpu1=()
if command -v taskset >/dev/null 2>&1 && (($(nproc) >= 2)); then
	cpu0=(taskset -c 0) cpu1=(taskset -c 1)
fi
env_urls=() urls=()
i=0
for s in catalog pricing inventory reviews users orders; do
	u=http://127.0.0.1:$((port + i))
	urls+=("$u")
	env_urls+=("TRIBUTARY_${s^^}_URL=$u")
	i=$((i + 1))
done
backends=$(IFS=,; echo "${urls[*]}")
gwaddr=127.0.0.1:$((port + 80)) admin=127.0.0.1:$((port + 90)) flooraddr=127.0.0.1:$((port + 82))

"${cpu0[@]}" "$bin/backends" -addr "127.0.0.1:$port" >"$bin/backends.log" 2>&1 &
bp=$!
pids+=($bp)
read -ra gw_extra <<<"${BENCH_GATEWAY_ENV:-}"
env "${env_urls[@]}" "${gw_extra[@]}" TRIBUTARY_LISTEN_ADDR=$gwaddr TRIBUTARY_ADMIN_ADDR=$admin TRIBUTARY_LOG_LEVEL=warn \
	"${cpu1[@]}" "$gw" >"$bin/gw.log" 2>&1 &
gp=$!
pids+=($gp)
env "${env_urls[@]}" "${cpu1[@]}" "$bin/floor" -listen $flooraddr >"$bin/floor.log" 2>&1 &
fp=$!
pids+=($fp)
for _ in $(seq 100); do
	curl -fsS -o /dev/null "http://$gwaddr/healthz" 2>/dev/null && curl -fsS -o /dev/null "http://$flooraddr/healthz" 2>/dev/null && break
	sleep 0.1
done

: >"$out/runs.jsonl"
header=true
for w in $workloads; do
	(sleep 1.5 && curl -fsS -o "$out/$w.pprof" "http://$admin/debug/pprof/profile?seconds=3") &
	cp=$!
	"${cpu0[@]}" "$bin/load" -target "http://$gwaddr/graphql" -label gateway -workload "$w" -c "$conc" \
		-duration "$duration" -n 20000 -warmup 1s -pid $gp -driver-pids $bp -backends "$backends" \
		-out "$out/runs.jsonl" -header=$header
	header=false
	wait $cp
	"${cpu0[@]}" "$bin/load" -kind floor -target "http://$flooraddr" -label floor -workload "$w" -c "$conc" \
		-duration "$duration" -n 20000 -warmup 1s -pid $fp -driver-pids $bp -backends "$backends" \
		-out "$out/runs.jsonl" -header=false
done
echo "profiles: go tool pprof -top -cum $out/<workload>.pprof (binary: go build .)"
