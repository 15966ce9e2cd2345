#!/usr/bin/env bash
# GraphQL-over-HTTP conformance audit of the gateway.
#
# Builds the gateway, starts it on a free loopback port with the embedded demo
# backends, waits (bounded) for /healthz, runs graphql-http's serverAudits
# against /graphql (.ci/graphql-http-audit/audit.mjs) and exits with the
# audit's status: non-zero when any MUST audit failed.
#
# Needs: go, node, npm. No network beyond the npm registry (for `npm ci`).
#
# Environment:
#   AUDIT_HEALTH_TIMEOUT  seconds to wait for /healthz (default 60)
#   AUDIT_TIMEOUT_MS      per-request timeout of the audit (default 10000)
#   AUDIT_DEADLINE_MS     time for all audits (default 120000)
#   AUDIT_JSON            also write the results as JSON to this file
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
auditdir="$root/.ci/graphql-http-audit"
health_timeout=${AUDIT_HEALTH_TIMEOUT:-60}

work=$(mktemp -d "${TMPDIR:-/tmp}/tributary-audit.XXXXXX")
gw_pid=""
gw_log="$work/gateway.log"

stop_gateway() {
	if [[ -n "$gw_pid" ]] && kill -0 "$gw_pid" 2>/dev/null; then
		kill -TERM "$gw_pid" 2>/dev/null || true
		# Graceful shutdown, bounded; then force.
		for _ in $(seq 1 50); do
			kill -0 "$gw_pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$gw_pid" 2>/dev/null; then
			echo "audit: gateway did not stop within 5s, killing it" >&2
			kill -KILL "$gw_pid" 2>/dev/null || true
		fi
		wait "$gw_pid" 2>/dev/null || true
	fi
	gw_pid=""
}
cleanup() {
	stop_gateway
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_log() {
	echo "---- gateway log (last 40 lines) ----" >&2
	tail -n 40 "$gw_log" >&2 2>/dev/null || true
	echo "-------------------------------------" >&2
}

# A port that is free right now on 127.0.0.1 (the OS picks it).
free_port() {
	node -e '
		const s = require("net").createServer();
		s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
	'
}

# Exit 0 once GET url answers 200, within the given number of seconds.
healthy() {
	node -e '
		fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
			.then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1));
	' "$1"
}

echo "audit: building the gateway"
(cd "$root" && go build -o "$work/tributary" .)

echo "audit: installing the audit tool (npm ci)"
(cd "$auditdir" && npm ci --no-audit --no-fund)

# Demo mode needs every backend URL unset: drop any TRIBUTARY_* from the
# environment so only the listen address below is configured.
unset_args=()
while IFS= read -r v; do
	unset_args+=(-u "$v")
done < <(compgen -e | grep '^TRIBUTARY_' || true)

# Start on a free port; another process may grab it between the pick and
# the listen, so retry a few times if the gateway exits early.
base=""
for attempt in 1 2 3; do
	port=$(free_port)
	addr="127.0.0.1:$port"
	echo "audit: starting the gateway on $addr (demo backends), attempt $attempt"
	env "${unset_args[@]}" TRIBUTARY_LISTEN_ADDR="$addr" "$work/tributary" >"$gw_log" 2>&1 &
	gw_pid=$!
	deadline=$((SECONDS + health_timeout))
	while ((SECONDS < deadline)); do
		if ! kill -0 "$gw_pid" 2>/dev/null; then
			break
		fi
		if healthy "http://$addr/healthz"; then
			base="http://$addr"
			break
		fi
		sleep 0.2
	done
	if [[ -n "$base" ]]; then
		break
	fi
	if kill -0 "$gw_pid" 2>/dev/null; then
		echo "audit: gateway on $addr not healthy after ${health_timeout}s" >&2
		show_log
		exit 1
	fi
	wait "$gw_pid" 2>/dev/null && rc=0 || rc=$?
	gw_pid=""
	echo "audit: gateway exited early with status $rc" >&2
	show_log
	if ! grep -qi 'address already in use' "$gw_log"; then
		exit 1
	fi
done
if [[ -z "$base" ]]; then
	echo "audit: could not start the gateway on a free port" >&2
	exit 1
fi
echo "audit: gateway healthy at $base/healthz"

set +e
(cd "$auditdir" && node audit.mjs "$base/graphql")
status=$?
set -e

if ! kill -0 "$gw_pid" 2>/dev/null; then
	echo "audit: the gateway died during the audit" >&2
	show_log
	status=1
fi
stop_gateway
if ((status != 0)); then
	show_log
fi
echo "audit: exit status $status"
exit "$status"
