#!/usr/bin/env bash
# Installs what the test suite needs beyond `npm ci`, when it is missing:
#  - Debian's docker-compose (1.29), which validates docker-compose.yml without a Docker engine.
#  - Debian's Chromium, which the web page's end-to-end test drives (test/web/, playwright-core).
# Kafka, MinIO and the MongoDB-protocol server are installed (and cached) by scripts/infra/up.sh,
# which the cluster tests call themselves.
set -euo pipefail
if ! command -v docker-compose >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test-deps: docker-compose is missing and cannot be installed here (needs root and apt-get)" >&2
    exit 1
  fi
  echo "test-deps: installing docker-compose (Debian package) to validate docker-compose.yml" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
fi
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test-deps: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get)" >&2
    exit 1
  fi
  echo "test-deps: installing chromium (Debian package) for the web page's end-to-end test" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
# Schemathesis (PyPI), which the API fuzz test (test/fuzz/) runs against /openapi.json: the pinned
# set of scripts/schemathesis-requirements.txt in a virtualenv cached outside the repository, keyed
# by that file's hash; a second run only checks it is complete. (A virtualenv records its own path,
# so it is built in place and marked complete at the end.)
REQUIREMENTS="$(dirname "$0")/schemathesis-requirements.txt"
SCHEMATHESIS_VENV="${FRAMEWISE_VENV_DIR:-$HOME/.cache/framewise-venv}/schemathesis-$(sha256sum "$REQUIREMENTS" | cut -c1-12)"
if [ ! -f "$SCHEMATHESIS_VENV/.complete" ]; then
  if ! command -v python3 >/dev/null 2>&1; then
    echo "test-deps: python3 is missing; the API fuzz test (test/fuzz/) needs it to install schemathesis" >&2
    exit 1
  fi
  echo "test-deps: installing schemathesis (PyPI, $REQUIREMENTS) into $SCHEMATHESIS_VENV" >&2
  rm -rf "$SCHEMATHESIS_VENV"
  python3 -m venv "$SCHEMATHESIS_VENV"
  # --no-deps: exactly the pinned set, nothing newer (a newer hypothesis broke schemathesis 4.3.0).
  "$SCHEMATHESIS_VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$REQUIREMENTS"
  touch "$SCHEMATHESIS_VENV/.complete"
fi
