#!/usr/bin/env bash
# Stops Kafka, FerretDB and MinIO and deletes their data (fresh cluster on the next up.sh).
# The cached builds in $FRAMEWISE_INFRA_DIR are kept.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
INFRA_NAME=reset

for s in kafka mongo minio; do
  "$INFRA_SCRIPT_DIR/$s.sh" reset
done
