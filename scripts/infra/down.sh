#!/usr/bin/env bash
# Stops Kafka, FerretDB and MinIO (SIGTERM, SIGKILL after 20 s). Data and builds are kept.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
INFRA_NAME=down

services=(kafka mongo minio)
pids=()
for s in "${services[@]}"; do
  "$INFRA_SCRIPT_DIR/$s.sh" stop &
  pids+=($!)
done
failed=()
for i in "${!services[@]}"; do
  wait "${pids[$i]}" || failed+=("${services[$i]}")
done
if ((${#failed[@]})); then
  infra_die "failed to stop: ${failed[*]}"
fi
