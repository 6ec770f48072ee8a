# shellcheck shell=bash
# Common settings and helpers for the scripts/infra/*.sh server scripts.
# Sourced, never executed. The sourcing script sets `set -euo pipefail` itself.
#
# Layout (everything outside the repository):
#   $FRAMEWISE_INFRA_DIR/                 builds and downloads (cached, survive reset.sh)
#   $FRAMEWISE_INFRA_DIR/run/data/<name>  server data (deleted by `<name>.sh reset` / reset.sh)
#   $FRAMEWISE_INFRA_DIR/run/logs/<name>.log (+ .log.prev from the previous start)
#   $FRAMEWISE_INFRA_DIR/run/pids/<name>.pid
#   $FRAMEWISE_INFRA_DIR/run/locks/<name>.lock

# Variables below are used by the scripts that source this file.
# shellcheck disable=SC2034
FRAMEWISE_INFRA_DIR="${FRAMEWISE_INFRA_DIR:-$HOME/.cache/framewise-infra}"
mkdir -p "$FRAMEWISE_INFRA_DIR"
FRAMEWISE_INFRA_DIR="$(cd "$FRAMEWISE_INFRA_DIR" && pwd)" # absolute: scripts cd elsewhere
INFRA_RUN_DIR="$FRAMEWISE_INFRA_DIR/run"
# Every server binds to this address only.
INFRA_HOST=127.0.0.1
# Seconds to wait for a server to become healthy / to exit after SIGTERM.
INFRA_START_TIMEOUT="${INFRA_START_TIMEOUT:-90}"
INFRA_STOP_TIMEOUT="${INFRA_STOP_TIMEOUT:-20}"

INFRA_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INFRA_NAME="${INFRA_NAME:-infra}"

infra_log() { printf '[%s] %s\n' "$INFRA_NAME" "$*" >&2; }
infra_die() {
  printf '[%s] ERROR: %s\n' "$INFRA_NAME" "$*" >&2
  exit 1
}

# infra_init NAME: sets per-server paths and creates the run directories.
infra_init() {
  INFRA_NAME="$1"
  INFRA_DATA_DIR="$INFRA_RUN_DIR/data/$INFRA_NAME"
  INFRA_LOG_FILE="$INFRA_RUN_DIR/logs/$INFRA_NAME.log"
  INFRA_PID_FILE="$INFRA_RUN_DIR/pids/$INFRA_NAME.pid"
  INFRA_LOCK_FILE="$INFRA_RUN_DIR/locks/$INFRA_NAME.lock"
  mkdir -p "$FRAMEWISE_INFRA_DIR" "$INFRA_RUN_DIR/data" "$INFRA_RUN_DIR/logs" \
    "$INFRA_RUN_DIR/pids" "$INFRA_RUN_DIR/locks"
}

infra_require_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || infra_die "required command '$c' not found in PATH"
  done
}

# infra_lock [SUFFIX]: exclusive lock (fd 9) held until the script exits, so that two
# concurrent invocations (e.g. two `up.sh`) never build or start the same server twice.
infra_lock() {
  local f="$INFRA_LOCK_FILE${1:+.$1}"
  exec 9>"$f"
  if ! flock -w 1800 9; then
    infra_die "could not acquire lock $f"
  fi
}

# infra_proc_alive PID: true if PID exists and has not finished exiting. A zombie counts as
# gone, except while a multi-threaded process (the JVM) is still tearing down its other threads:
# its leader already shows Z then, but the process still holds its files and sockets.
infra_proc_alive() {
  local pid="$1" state tasks
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  case "$state" in
    '' | X) return 1 ;;
    Z)
      tasks=("/proc/$pid/task/"*)
      ((${#tasks[@]} > 1))
      ;;
    *) return 0 ;;
  esac
}

# infra_running_pid MATCH: prints the pid from the pid file if that process is alive and its
# command line contains MATCH (guards against pid reuse); removes a stale pid file.
infra_running_pid() {
  local match="$1" pid cmdline
  [[ -f "$INFRA_PID_FILE" ]] || return 1
  pid="$(tr -dc '0-9' <"$INFRA_PID_FILE")"
  if infra_proc_alive "$pid"; then
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    if [[ "$cmdline" == *"$match"* ]]; then
      printf '%s\n' "$pid"
      return 0
    fi
  fi
  rm -f "$INFRA_PID_FILE"
  return 1
}

# infra_port_open PORT [HOST]: true if a TCP connection to HOST:PORT succeeds.
infra_port_open() {
  local port="$1" host="${2:-$INFRA_HOST}"
  # shellcheck disable=SC2016 # expanded by the inner bash ($0, $1)
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
}

# infra_assert_port_free PORT: fails if something not started by us still listens there
# after a few seconds (a server that was just stopped may take a moment to release it).
infra_assert_port_free() {
  local port="$1" deadline=$((SECONDS + 10))
  while infra_port_open "$port" && ((SECONDS < deadline)); do
    sleep 0.5
  done
  if infra_port_open "$port"; then
    infra_die "port $INFRA_HOST:$port is already in use by a process not started by this script" \
      "(check with: ss -ltnp 'sport = :$port')"
  fi
}

# infra_show_log_tail: prints the last 30 lines of the server's log file(s).
infra_show_log_tail() {
  local f
  for f in "$INFRA_LOG_FILE" "$@"; do
    if [[ -s "$f" ]]; then
      printf '[%s] ---- last 30 lines of %s ----\n' "$INFRA_NAME" "$f" >&2
      tail -n 30 "$f" >&2
      printf '[%s] ---- end of %s ----\n' "$INFRA_NAME" "$f" >&2
    fi
  done
}

# infra_rotate_log FILE...: keeps the previous run's log as FILE.prev.
infra_rotate_log() {
  local f
  for f in "$@"; do
    if [[ -f "$f" ]]; then mv -f "$f" "$f.prev"; fi
  done
}

# infra_start_bg CMD...: starts CMD detached (own session, stdin closed, stdout/stderr appended
# to $INFRA_LOG_FILE) and writes its pid to $INFRA_PID_FILE. Prints the pid.
infra_start_bg() {
  local pid
  # fd 9 (the lock, see infra_lock) must not leak into the long-running server.
  setsid "$@" >>"$INFRA_LOG_FILE" 2>&1 </dev/null 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$INFRA_PID_FILE"
  printf '%s\n' "$pid"
}

# infra_wait_healthy PID DESCRIPTION KILL CHECK_CMD...: polls CHECK_CMD until it succeeds.
# Fails (log tail) if PID exits or $INFRA_START_TIMEOUT seconds pass; on a timeout the process
# is stopped when KILL is "kill" (a server we just started), left alone when it is "keep".
infra_wait_healthy() {
  local pid="$1" desc="$2" kill_on_timeout="$3" deadline
  shift 3
  deadline=$((SECONDS + INFRA_START_TIMEOUT))
  while true; do
    if ! infra_proc_alive "$pid"; then
      rm -f "$INFRA_PID_FILE"
      infra_show_log_tail "${INFRA_EXTRA_LOGS[@]}"
      infra_die "$desc: the process (pid $pid) exited during start-up; see the log above ($INFRA_LOG_FILE)"
    fi
    if "$@"; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      infra_show_log_tail "${INFRA_EXTRA_LOGS[@]}"
      if [[ "$kill_on_timeout" == kill ]]; then
        infra_log "$desc: not healthy after ${INFRA_START_TIMEOUT}s; stopping pid $pid"
        infra_kill_pid "$pid" || true
        rm -f "$INFRA_PID_FILE"
        infra_die "$desc: start-up timed out; see the log above ($INFRA_LOG_FILE)"
      fi
      infra_die "$desc: running (pid $pid) but not healthy after ${INFRA_START_TIMEOUT}s; see the log above ($INFRA_LOG_FILE)"
    fi
    sleep 0.3
  done
}

# infra_kill_pid PID: SIGTERM, wait up to $INFRA_STOP_TIMEOUT s, then SIGKILL.
# Returns 0 after a clean exit, 2 if SIGKILL was needed.
infra_kill_pid() {
  local pid="$1" deadline
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + INFRA_STOP_TIMEOUT))
  while infra_proc_alive "$pid"; do
    if ((SECONDS >= deadline)); then
      infra_log "pid $pid still running ${INFRA_STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do
        infra_proc_alive "$pid" || break
        sleep 0.1
      done
      return 2
    fi
    sleep 0.2
  done
  return 0
}

# infra_stop MATCH: stops the server recorded in the pid file.
infra_stop() {
  local match="$1" pid rc=0
  if ! pid="$(infra_running_pid "$match")"; then
    infra_log "not running"
    return 0
  fi
  infra_log "stopping (pid $pid, SIGTERM)"
  infra_kill_pid "$pid" || rc=$?
  rm -f "$INFRA_PID_FILE"
  if ((rc == 2)); then
    infra_log "stopped (killed with SIGKILL)"
  else
    infra_log "stopped"
  fi
}

# infra_status MATCH ENDPOINT: prints the state; exit status 0 running, 3 stopped.
infra_status() {
  local match="$1" endpoint="$2" pid
  if pid="$(infra_running_pid "$match")"; then
    printf '%s: running (pid %s) on %s\n' "$INFRA_NAME" "$pid" "$endpoint"
    return 0
  fi
  printf '%s: stopped\n' "$INFRA_NAME"
  return 3
}

# infra_reset MATCH: stops the server and deletes its data directory.
infra_reset() {
  infra_stop "$1"
  if [[ -d "$INFRA_DATA_DIR" ]]; then
    rm -rf "$INFRA_DATA_DIR"
    infra_log "deleted data directory $INFRA_DATA_DIR"
  fi
}

# infra_ms: milliseconds since the epoch (for timings).
infra_ms() { date +%s%3N; }

INFRA_EXTRA_LOGS=()
