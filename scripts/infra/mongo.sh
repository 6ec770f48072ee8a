#!/usr/bin/env bash
# MongoDB wire protocol on 127.0.0.1 via FerretDB v1 (SQLite backend), built from
# scripts/infra/ferretdb/ (a small main embedding github.com/FerretDB/FerretDB/ferretdb).
#
#   mongo.sh install|start|stop|restart|status|reset
#   mongo.sh ping          {ping: 1} against the running server (exit 0 if ok)
#
# Env: MONGO_PORT (27017), FRAMEWISE_INFRA_DIR.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
infra_init mongo

FERRETDB_VERSION=v1.24.2 # must match scripts/infra/ferretdb/go.mod
MONGO_PORT="${MONGO_PORT:-27017}"
MONGO_ADDR="$INFRA_HOST:$MONGO_PORT"
FERRETDB_SRC="$INFRA_SCRIPT_DIR/ferretdb"

# The build is keyed by a hash of the sources, so a change to main.go/go.mod/go.sum rebuilds.
src_hash() {
  cat "$FERRETDB_SRC/main.go" "$FERRETDB_SRC/go.mod" "$FERRETDB_SRC/go.sum" | sha256sum | cut -c1-12
}
FERRETDB_BIN="$FRAMEWISE_INFRA_DIR/ferretdb-$FERRETDB_VERSION-$(src_hash)/framewise-ferretdb"
MONGO_MATCH="$FERRETDB_BIN -listen-addr $MONGO_ADDR"

cmd_install() {
  if [[ -x "$FERRETDB_BIN" ]]; then
    return 0
  fi
  infra_require_cmd go
  grep -q "github.com/FerretDB/FerretDB $FERRETDB_VERSION" "$FERRETDB_SRC/go.mod" ||
    infra_die "$FERRETDB_SRC/go.mod does not require FerretDB $FERRETDB_VERSION"
  infra_lock install
  [[ -x "$FERRETDB_BIN" ]] && return 0
  local t0 tmp
  t0="$(infra_ms)"
  infra_log "building FerretDB $FERRETDB_VERSION (SQLite backend) into $FERRETDB_BIN"
  mkdir -p "$(dirname "$FERRETDB_BIN")"
  tmp="$FERRETDB_BIN.tmp.$$"
  # -mod=readonly: go.sum in the repo pins every module; the build never edits it.
  if ! (cd "$FERRETDB_SRC" && GOFLAGS=-mod=readonly go build -trimpath -buildvcs=false -o "$tmp" .); then
    rm -f "$tmp"
    infra_die "go build of $FERRETDB_SRC failed"
  fi
  mv -f "$tmp" "$FERRETDB_BIN"
  infra_log "built in $(($(infra_ms) - t0)) ms"
}

mongo_ping() {
  "$FERRETDB_BIN" ping -q -addr "$MONGO_ADDR" -timeout 2s
}

mongo_healthy() {
  infra_port_open "$MONGO_PORT" && grep -q 'Listening on TCP' "$INFRA_LOG_FILE" 2>/dev/null && mongo_ping
}

cmd_start() {
  local pid t0
  t0="$(infra_ms)"
  cmd_install
  infra_lock
  if pid="$(infra_running_pid "$MONGO_MATCH")"; then
    infra_log "already running (pid $pid) on $MONGO_ADDR"
    infra_wait_healthy "$pid" "FerretDB" keep mongo_healthy
    return 0
  fi
  infra_assert_port_free "$MONGO_PORT"
  mkdir -p "$INFRA_DATA_DIR"
  infra_rotate_log "$INFRA_LOG_FILE"
  pid="$(infra_start_bg "$FERRETDB_BIN" -listen-addr "$MONGO_ADDR" \
    -sqlite-url "file:$INFRA_DATA_DIR/" -log-level "${MONGO_LOG_LEVEL:-info}")"
  infra_log "started pid $pid; waiting for $MONGO_ADDR"
  infra_wait_healthy "$pid" "FerretDB" kill mongo_healthy
  infra_log "ready on mongodb://$MONGO_ADDR (FerretDB $FERRETDB_VERSION, SQLite data in $INFRA_DATA_DIR) in $(($(infra_ms) - t0)) ms"
}

cmd_stop() {
  infra_lock
  infra_stop "$MONGO_MATCH"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart)
    cmd_stop
    cmd_start
    ;;
  status) infra_status "$MONGO_MATCH" "mongodb://$MONGO_ADDR" ;;
  reset)
    infra_lock
    infra_reset "$MONGO_MATCH"
    ;;
  ping)
    [[ -x "$FERRETDB_BIN" ]] || infra_die "not installed; run: $0 install"
    "$FERRETDB_BIN" ping -addr "$MONGO_ADDR"
    ;;
  *)
    echo "usage: $0 install|start|stop|restart|status|reset|ping" >&2
    exit 2
    ;;
esac
