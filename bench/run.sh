#!/usr/bin/env bash
# Load benchmark: the gateway, the gateway with batching off, and the
# hand-written floor, over the demo backends in their own process, on the
# four workloads, at backend latency 0 ms and 20 ms; then the hot-product
# workload (issue 19 item 4: product pages for 20 distinct products, 32
# connections, 20 ms backends, entity cache off) on the gateway, the gateway
# with a different Authorization on every request (gateway+auth), the
# gateway with sharing across requests off (gateway-noshare) and the floor.
# Writes bench/results/{runs.jsonl,results.json,results.md,chart.png}.
#
#   bash bench/run.sh            # about 9 minutes on 2 cores
#   bash bench/hot.sh            # the hot-product workload alone
#
# Knobs (environment): BENCH_REPS (3), BENCH_DURATION (5s), BENCH_N (20000),
# BENCH_WARMUP (1s), BENCH_CONCURRENCY (50), BENCH_LATENCIES ("0ms 20ms"),
# BENCH_WORKLOADS ("listing dashboard product user"), BENCH_HOT (1: run the
# hot-product workload; 0: not), BENCH_HOT_CONCURRENCY (32),
# BENCH_HOT_LATENCY (20ms), BENCH_PORT (9101: backends on 9101…9106),
# BENCH_GW_PORT (8081, +1 for the unbatched gateway, +2 for the floor, +3
# for the gateway without sharing), BENCH_OUT (bench/results),
# BENCH_COMMIT (recorded; default: git rev-parse), BENCH_NICE (-10 as root,
# else 0: the priority of every process started here).
#
# Pinning, when taskset exists and there are at least 2 CPUs: the demo
# backends and the load generator share CPU 0; the system under test (each
# gateway and the floor, loaded one at a time) gets CPU 1 to itself. Go sizes
# GOMAXPROCS from the affinity mask, so every process runs with
# GOMAXPROCS=1. The SUT's CPU time per request is then its own, and at 0 ms
# backend latency "SUT cores" near 1.0 means the SUT was the bottleneck.
#
# On a machine that other work shares, the benchmark's processes run at nice
# -10 (as root) so that builds and test runs elsewhere disturb them less; the
# "host busy cores" column shows how busy the whole machine was.
#
# All traffic is to 127.0.0.1. Every process started here is stopped on exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

reps=${BENCH_REPS:-3}
duration=${BENCH_DURATION:-5s}
maxn=${BENCH_N:-20000}
warmup=${BENCH_WARMUP:-1s}
conc=${BENCH_CONCURRENCY:-50}
latencies=${BENCH_LATENCIES:-"0ms 20ms"}
port=${BENCH_PORT:-9101}
gwport=${BENCH_GW_PORT:-8081}
out=${BENCH_OUT:-$root/bench/results}
commit=${BENCH_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
workloads=${BENCH_WORKLOADS-"listing dashboard product user"}
hot=${BENCH_HOT:-1}
hot_conc=${BENCH_HOT_CONCURRENCY:-32}
hot_latency=${BENCH_HOT_LATENCY:-20ms}

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

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---- pinning

niceness=${BENCH_NICE:-$([[ $(id -u) -eq 0 ]] && echo -10 || echo 0)}
prio=()
if [[ $niceness != 0 ]]; then
	prio=(nice -n "$niceness")
fi
cpu_a=("${prio[@]}") # backends and the load generator
cpu_b=("${prio[@]}") # the system under test
pinning="none (taskset missing or fewer than 2 CPUs)"
if command -v taskset >/dev/null 2>&1 && (($(nproc) >= 2)); then
	cpu_a+=(taskset -c 0)
	cpu_b+=(taskset -c 1)
	pinning="backends+loadgen on CPU 0, system under test on CPU 1 (GOMAXPROCS=1 each)"
fi
log "pinning: $pinning; nice $niceness"

# ---- build

log "building into $bin"
go build -o "$bin/tributary" .
go build -o "$bin/floor" ./bench/floor
go build -o "$bin/backends" ./bench/cmd/backends
go build -o "$bin/load" ./bench/cmd/load
go build -o "$bin/report" ./bench/cmd/report

# ---- start

for p in $(seq "$port" $((port + 5))) $(seq "$gwport" $((gwport + 3))); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		echo "port $p on 127.0.0.1 is in use; set BENCH_PORT / BENCH_GW_PORT" >&2
		exit 1
	fi
done

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

"${cpu_a[@]}" "$bin/backends" -addr "127.0.0.1:$port" >"$bin/backends.log" 2>&1 &
pids+=($!)
backends_pid=$!

declare -A sut_pid sut_url sut_kind
start_sut() { # name kind url command...
	local name=$1 kind=$2 url=$3
	shift 3
	"$@" >"$bin/$name.log" 2>&1 &
	pids+=($!)
	sut_pid[$name]=$!
	sut_url[$name]=$url
	sut_kind[$name]=$kind
}

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

wait_http "${backend_urls[0]}/_demo/stats"
wait_http "${backend_urls[5]}/_demo/stats"

start_sut gateway graphql "http://127.0.0.1:$gwport/graphql" \
	env "${gw_env[@]}" TRIBUTARY_LISTEN_ADDR="127.0.0.1:$gwport" TRIBUTARY_LOG_LEVEL=warn \
	"${cpu_b[@]}" "$bin/tributary"
start_sut gateway-nobatch graphql "http://127.0.0.1:$((gwport + 1))/graphql" \
	env "${gw_env[@]}" TRIBUTARY_LISTEN_ADDR="127.0.0.1:$((gwport + 1))" TRIBUTARY_LOG_LEVEL=warn TRIBUTARY_BATCH_MODE=off \
	"${cpu_b[@]}" "$bin/tributary"
start_sut floor floor "http://127.0.0.1:$((gwport + 2))" \
	env "${gw_env[@]}" "${cpu_b[@]}" "$bin/floor" -listen "127.0.0.1:$((gwport + 2))"
start_sut gateway-noshare graphql "http://127.0.0.1:$((gwport + 3))/graphql" \
	env "${gw_env[@]}" TRIBUTARY_LISTEN_ADDR="127.0.0.1:$((gwport + 3))" TRIBUTARY_LOG_LEVEL=warn TRIBUTARY_BATCH_SHARE=false \
	"${cpu_b[@]}" "$bin/tributary"
# The gateway again, each request with an Authorization of its own.
sut_pid[gateway+auth]=${sut_pid[gateway]}
sut_url[gateway+auth]=${sut_url[gateway]}
sut_kind[gateway+auth]=graphql
targets="gateway gateway-nobatch floor"
hot_targets="gateway gateway+auth gateway-noshare floor"
for p in $(seq "$gwport" $((gwport + 3))); do
	wait_http "http://127.0.0.1:$p/healthz"
done

set_latency() {
	local u
	for u in "${backend_urls[@]}"; do
		curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' \
			-d "{\"latency\":\"$1\",\"jitter\":\"0s\",\"errorRate\":0,\"down\":false}" "$u/_demo/faults"
	done
}

# ---- run

mkdir -p "$out"
runs="$out/runs.jsonl"
: >"$runs"
header=true
load() { # target workload latency args...
	local t=$1 w=$2 lat=$3
	shift 3
	local auth=false
	[[ $t == *+auth ]] && auth=true
	if ! "${cpu_a[@]}" "$bin/load" -target "${sut_url[$t]}" -kind "${sut_kind[$t]}" -label "$t" -workload "$w" -auth-each="$auth" \
		-pid "${sut_pid[$t]}" -driver-pids "$backends_pid" -backends "$backends_csv" -out "$runs" -set "latency=$lat" -header="$header" "$@"; then
		log "run failed: $t $w at $lat (see above); going on"
	fi
	header=false
}

t0=$SECONDS
for lat in $latencies; do
	log "backend latency $lat"
	set_latency "$lat"
	log "calls check: concurrency 1"
	for w in $workloads; do
		for t in $targets; do
			load "$t" "$w" "$lat" -c 1 -n 200 -duration 3s -warmup 200ms -set phase=calls
		done
	done
	for rep in $(seq 1 "$reps"); do
		log "concurrency $conc, repeat $rep of $reps"
		for w in $workloads; do
			for t in $targets; do
				load "$t" "$w" "$lat" -c "$conc" -n "$maxn" -duration "$duration" -warmup "$warmup" -set "rep=$rep"
			done
		done
	done
done
if [[ $hot == 1 ]]; then
	log "hot-product: backend latency $hot_latency"
	set_latency "$hot_latency"
	for t in $hot_targets; do
		load "$t" hot-product "$hot_latency" -c 1 -n 200 -duration 3s -warmup 200ms -set phase=calls
	done
	for rep in $(seq 1 "$reps"); do
		log "hot-product: concurrency $hot_conc, repeat $rep of $reps"
		for t in $hot_targets; do
			load "$t" hot-product "$hot_latency" -c "$hot_conc" -n "$maxn" -duration "$duration" -warmup "$warmup" -set "rep=$rep"
		done
	done
fi
log "runs took $((SECONDS - t0)) s"

cpu_model=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || echo unknown)
"$bin/report" -in "$runs" -dir "$out" -targets "gateway,gateway-nobatch,floor,gateway+auth,gateway-noshare" \
	-meta "commit=$commit" -meta "go=$(go env GOVERSION)" -meta "cpu=$cpu_model, $(nproc) cores" \
	-meta "pinning=$pinning" -meta "nice=$niceness" -meta "bounds=closed loop c=$conc (hot-product c=$hot_conc), each run ${duration} or ${maxn} requests after ${warmup} warm-up, ${reps} repeats, median"
log "wrote $out/results.json, results.md, chart.png"
cat "$out/results.md"
