#!/usr/bin/env bash
# The hot-product workload alone (issue 19 item 4): bench/run.sh with no
# other workload — product pages for 20 distinct products, 32 connections,
# 20 ms backends, entity cache off, on the gateway, the gateway with a
# different Authorization on every request, the gateway with sharing across
# requests off and the hand-written floor; one request at a time too.
# Pinned and bounded as run.sh is; writes bench/results/hot/.
#
#   bash bench/hot.sh            # about 2 minutes
#
# Knobs: those of run.sh (BENCH_REPS, BENCH_DURATION, BENCH_HOT_CONCURRENCY,
# BENCH_HOT_LATENCY, BENCH_PORT, BENCH_GW_PORT, BENCH_OUT, …).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BENCH_WORKLOADS="" BENCH_HOT=1 BENCH_OUT=${BENCH_OUT:-$root/bench/results/hot}
exec bash "$root/bench/run.sh"
