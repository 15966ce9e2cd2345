#!/usr/bin/env bash
# Builds the self-hosted GraphiQL into internal/playground/dist, which the
# gateway embeds (go:embed) at compile time. Run from anywhere:
#
#   bash web/graphiql/build.sh && go build .
#
# Needs Node.js >= 20 and npm; installs exactly what package-lock.json pins.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

npm ci --no-audit --no-fund
node build.mjs "$@"
