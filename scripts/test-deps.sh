#!/usr/bin/env bash
# Installs what the test suite needs beyond `npm ci`, when it is missing:
#  - a maintained ffmpeg (scripts/ffmpeg.sh: the distribution's, where root and apt-get allow; else
#    a loud warning, and the tests run on the npm fallback, a 2018 build).
#  - Debian's docker-compose (1.29), which validates docker-compose.yml without a Docker engine.
#  - Debian's Chromium, which the web page's end-to-end test drives (test/web/, playwright-core).
#  - Python packages from PyPI in cached virtualenvs (below).
# Kafka, MinIO and the MongoDB-protocol server are installed (and cached) by scripts/infra/up.sh,
# which the cluster tests call themselves.
set -euo pipefail
bash "$(dirname "$0")/ffmpeg.sh"
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
# Python packages, each pinned set in a virtualenv cached outside the repository, keyed by its
# file's hash (scripts/python-venv.sh); a second run only checks it is complete:
#  - schemathesis, which the API fuzz test (test/fuzz/) runs against /openapi.json;
#  - OpenCV, onnxruntime and NumPy: the bench's plain loop, and the tests that compare Framewise's
#    preprocessing, resizing and detections with OpenCV and Python's onnxruntime themselves.
for REQUIREMENTS in schemathesis-requirements.txt plain-loop-requirements.txt; do
  bash "$(dirname "$0")/python-venv.sh" "$(dirname "$0")/$REQUIREMENTS" >/dev/null
done
