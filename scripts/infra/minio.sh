#!/usr/bin/env bash
# MinIO (S3 API) on 127.0.0.1, built from source with `go install` (pinned pseudo-version).
#
#   minio.sh install|start|stop|restart|status|reset
#
# Env: MINIO_PORT (9000), MINIO_CONSOLE_PORT (9001), MINIO_ROOT_USER / MINIO_ROOT_PASSWORD
# (minioadmin / minioadmin), FRAMEWISE_INFRA_DIR.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
infra_init minio

# github.com/minio/minio publishes no semver tags (RELEASE.* tags only, which the Go module
# proxy here refuses to resolve: 403), so a commit pseudo-version is pinned. This is
# `go list -m github.com/minio/minio@latest` as of 2026-11-22 (commit 7aac2a2c5b7c, 2026-02-12).
MINIO_MODULE_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

MINIO_PORT="${MINIO_PORT:-9000}"
MINIO_CONSOLE_PORT="${MINIO_CONSOLE_PORT:-9001}"
export MINIO_ROOT_USER="${MINIO_ROOT_USER:-minioadmin}"
export MINIO_ROOT_PASSWORD="${MINIO_ROOT_PASSWORD:-minioadmin}"
MINIO_ADDR="$INFRA_HOST:$MINIO_PORT"

MINIO_HOME="$FRAMEWISE_INFRA_DIR/minio-$MINIO_MODULE_VERSION"
MINIO_BIN="$MINIO_HOME/bin/minio"
MINIO_MATCH="$MINIO_BIN server $INFRA_DATA_DIR --address $MINIO_ADDR"

cmd_install() {
  if [[ -x "$MINIO_BIN" ]]; then
    return 0
  fi
  infra_require_cmd go
  infra_lock install
  [[ -x "$MINIO_BIN" ]] && return 0
  local t0 tmpbin
  t0="$(infra_ms)"
  infra_log "building MinIO $MINIO_MODULE_VERSION with go install (takes minutes; cached afterwards)"
  tmpbin="$MINIO_HOME/bin.tmp.$$"
  mkdir -p "$tmpbin"
  # Run outside any module so the repository's files cannot influence the build.
  if ! (cd "$MINIO_HOME" && GOBIN="$tmpbin" GOFLAGS=-buildvcs=false \
    go install "github.com/minio/minio@$MINIO_MODULE_VERSION"); then
    rm -rf "$tmpbin"
    infra_die "go install github.com/minio/minio@$MINIO_MODULE_VERSION failed"
  fi
  mkdir -p "$MINIO_HOME/bin"
  mv -f "$tmpbin/minio" "$MINIO_BIN"
  rm -rf "$tmpbin"
  infra_log "built in $(($(infra_ms) - t0)) ms"
}

minio_healthy() {
  [[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://$MINIO_ADDR/minio/health/ready")" == 200 ]]
}

cmd_start() {
  local pid t0
  t0="$(infra_ms)"
  cmd_install
  infra_require_cmd curl
  infra_lock
  if pid="$(infra_running_pid "$MINIO_MATCH")"; then
    infra_log "already running (pid $pid) on http://$MINIO_ADDR"
    infra_wait_healthy "$pid" "MinIO" keep minio_healthy
    return 0
  fi
  infra_assert_port_free "$MINIO_PORT"
  infra_assert_port_free "$MINIO_CONSOLE_PORT"
  mkdir -p "$INFRA_DATA_DIR"
  infra_rotate_log "$INFRA_LOG_FILE"
  # No update checks / call-home; the web console listens on 127.0.0.1 only as well.
  export MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off
  pid="$(infra_start_bg "$MINIO_BIN" server "$INFRA_DATA_DIR" \
    --address "$MINIO_ADDR" --console-address "$INFRA_HOST:$MINIO_CONSOLE_PORT")"
  infra_log "started pid $pid; waiting for http://$MINIO_ADDR/minio/health/ready"
  infra_wait_healthy "$pid" "MinIO" kill minio_healthy
  infra_log "ready on http://$MINIO_ADDR (console http://$INFRA_HOST:$MINIO_CONSOLE_PORT, user $MINIO_ROOT_USER) in $(($(infra_ms) - t0)) ms"
}

cmd_stop() {
  infra_lock
  infra_stop "$MINIO_MATCH"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart)
    cmd_stop
    cmd_start
    ;;
  status) infra_status "$MINIO_MATCH" "http://$MINIO_ADDR" ;;
  reset)
    infra_lock
    infra_reset "$MINIO_MATCH"
    ;;
  *)
    echo "usage: $0 install|start|stop|restart|status|reset" >&2
    exit 2
    ;;
esac
