#!/usr/bin/env bash
# Real-browser tests of the playground (internal/playground, tag `browser`):
# installs Debian's Chromium if it is missing, then runs the tests, which
# build the gateway with a plain `go build .` (the committed GraphiQL bundle;
# no Node.js), start the binary on its demo backends and drive the page in
# headless Chromium: GraphiQL renders and runs a query with no request off
# the gateway's origin; the Fan-out panel shows one row per backend call the
# demo backends counted, a slowed pricing's timeout and the deadline, and
# a downed pricing's retries until its circuit opens; the Plan view shows the
# product page's rounds before it runs (no backend call) and, after a run,
# the planned calls against those the demo backends counted.
#
#   bash .ci/browser.sh
#
# BROWSER_ARTIFACTS_DIR (default .ci/artifacts, relative to the repository
# root) receives graphiql.png, fanout-panel.png, fanout-timeout.png,
# fanout-circuit-open.png, plan-view.png and plan-compare.png.
# Exits non-zero if any step fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

chromium=/usr/bin/chromium

if [[ ! -x $chromium ]]; then
	echo "$chromium not found: installing Debian's chromium"
	sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		if ! command -v sudo >/dev/null 2>&1; then
			echo "need root (or sudo) to apt-get install chromium" >&2
			exit 1
		fi
		sudo=(sudo)
	fi
	log=$(mktemp)
	trap 'rm -f "$log"' EXIT
	if ! { "${sudo[@]}" apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium; } >"$log" 2>&1; then
		cat "$log" >&2
		echo "apt-get install chromium failed" >&2
		exit 1
	fi
fi
# Debian's wrapper script prints a harmless shell warning on stderr.
echo "chromium: $("$chromium" --version 2>/dev/null)"

artifacts=${BROWSER_ARTIFACTS_DIR:-.ci/artifacts}
# go test runs in the package's directory: make the path absolute.
if [[ $artifacts != /* ]]; then
	artifacts=$root/$artifacts
fi
mkdir -p "$artifacts"
# Keep the artifacts out of git when they land inside the work tree.
if [[ $artifacts == "$root"/* && ! -e $artifacts/.gitignore ]]; then
	printf '*\n' >"$artifacts/.gitignore"
fi

BROWSER_ARTIFACTS_DIR=$artifacts go test -tags browser -run Browser -count=1 -v ./internal/playground/
