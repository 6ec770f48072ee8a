#!/usr/bin/env bash
# Installs (once; builds are cached in $FRAMEWISE_INFRA_DIR) and starts Kafka, FerretDB (MongoDB
# protocol) and MinIO on 127.0.0.1. Returns 0 only when all three are healthy.
# stdout: one line of endpoints, e.g. `export $(scripts/infra/up.sh)`; progress goes to stderr.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
INFRA_NAME=up
infra_require_cmd java mvn go curl flock setsid

t0="$(infra_ms)"
dir="$INFRA_SCRIPT_DIR"

# Installs: Maven's download (network-bound) overlaps the two Go builds, which run one after the
# other (each already uses every core). All three are no-ops once cached.
"$dir/kafka.sh" install &
kafka_install_pid=$!
install_failed=()
"$dir/mongo.sh" install || install_failed+=(mongo)
"$dir/minio.sh" install || install_failed+=(minio)
wait "$kafka_install_pid" || install_failed+=(kafka)
if ((${#install_failed[@]})); then
  infra_die "install failed: ${install_failed[*]}"
fi
t_installed="$(infra_ms)"

# Starts run in parallel; each waits for its own health check.
services=(kafka mongo minio)
pids=()
for s in "${services[@]}"; do
  "$dir/$s.sh" start &
  pids+=($!)
done
start_failed=()
for i in "${!services[@]}"; do
  wait "${pids[$i]}" || start_failed+=("${services[$i]}")
done
if ((${#start_failed[@]})); then
  infra_die "failed to start: ${start_failed[*]} (the others are left running; stop all with $dir/down.sh)"
fi

t_end="$(infra_ms)"
infra_log "all healthy in $((t_end - t0)) ms (install/check $((t_installed - t0)) ms, start $((t_end - t_installed)) ms)"
infra_log "MinIO credentials: MINIO_ROOT_USER=${MINIO_ROOT_USER:-minioadmin} MINIO_ROOT_PASSWORD=${MINIO_ROOT_PASSWORD:-minioadmin}"
echo "KAFKA_BOOTSTRAP_SERVERS=$INFRA_HOST:${KAFKA_PORT:-9092} MONGO_URI=mongodb://$INFRA_HOST:${MONGO_PORT:-27017} MINIO_ENDPOINT=$INFRA_HOST:${MINIO_PORT:-9000}"
