#!/usr/bin/env bash
# Runs the whole test suite (`npm test`) again on the current Node.js LTS (scripts/node-runtime.sh),
# as CI does after the run on the machine's own Node. The one add-on built for a Node ABI,
# better-sqlite3, is rebuilt for it from the runtime's own headers (no download), and rebuilt for
# the machine's Node again afterwards, so the checkout works on both.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNTIME="$(bash scripts/node-runtime.sh)"
SYSTEM_NODE="$(command -v node)"
rebuild() { # $1: the node binary's directory; $2: its headers' directory (empty: node-gyp's own lookup)
  PATH="$1:$PATH" npm_config_nodedir="$2" npm rebuild better-sqlite3 --foreground-scripts >/dev/null 2>&1 \
    || PATH="$1:$PATH" npm_config_nodedir="$2" npm rebuild better-sqlite3 --foreground-scripts
}
restore() {
  echo "test-lts: rebuilding better-sqlite3 for $("$SYSTEM_NODE" --version) again" >&2
  rebuild "$(dirname "$SYSTEM_NODE")" ""
}
trap restore EXIT
echo "test-lts: rebuilding better-sqlite3 for Node $("$RUNTIME/bin/node" --version)" >&2
rebuild "$RUNTIME/bin" "$RUNTIME"
echo "test-lts: npm test on Node $("$RUNTIME/bin/node" --version)" >&2
start=$(date +%s)
PATH="$RUNTIME/bin:$PATH" npm test
echo "test-lts: the suite passed on Node $("$RUNTIME/bin/node" --version) in $(( $(date +%s) - start )) s" >&2
