#!/usr/bin/env bash
# Runs test tiers one after another, each `node --test` over its files, and prints how long each
# took; exits non-zero if any tier failed (every tier still runs). `npm test` runs them all:
#
#   scripts/test-tiers.sh fast web fuzz cluster chaos
#
#   fast     no servers, no root: unit, HTTP API (inject), adapters on real ffmpeg and the real
#            detectors, the embedded contract suites, embedded end to end
#   web      the web page in Debian's Chromium (scripts/test-deps.sh installs it: root)
#   fuzz     schemathesis over the whole API (a PyPI virtualenv, cached)
#   cluster  real Kafka, MinIO and FerretDB (scripts/infra/up.sh installs and starts them, cached)
#   chaos    kill -9 schedules, embedded and cluster
set -uo pipefail
cd "$(dirname "$0")/.."
files() {
  case "$1" in
    fast) echo test/unit/*.test.ts test/api/*.test.ts test/adapters/*.test.ts test/e2e/*.test.ts ;;
    web) echo test/web/*.test.ts ;;
    fuzz) echo test/fuzz/*.test.ts ;;
    cluster) echo test/cluster/*.test.ts ;;
    chaos) echo test/chaos/*.test.ts ;;
    *) echo "test-tiers: unknown tier $1 (fast, web, fuzz, cluster, chaos)" >&2; return 1 ;;
  esac
}
failed=()
summary=()
for tier in "$@"; do
  list="$(files "$tier")" || exit 2
  start=$(date +%s)
  # shellcheck disable=SC2086 # the file list is meant to split
  node --import tsx --test --test-concurrency=1 $list
  status=$?
  took=$(( $(date +%s) - start ))
  summary+=("$tier: ${took} s$([ $status -ne 0 ] && echo ' (FAILED)')")
  [ $status -ne 0 ] && failed+=("$tier")
  echo "test-tiers: $tier took ${took} s on $(node --version)$([ $status -ne 0 ] && echo ', FAILED')" >&2
done
(IFS=','; echo "test-tiers: ${summary[*]}" | sed 's/,/, /g' >&2)
[ ${#failed[@]} -eq 0 ] || { echo "test-tiers: failed: ${failed[*]}" >&2; exit 1; }
