#!/usr/bin/env bash
# Prints the path of a virtualenv holding exactly the pinned packages of a requirements file,
# installing it first if it is missing or incomplete:
#
#   scripts/python-venv.sh scripts/plain-loop-requirements.txt   # → ~/.cache/framewise-venv/plain-loop-<hash>
#
# The virtualenv lives outside the repository (FRAMEWISE_VENV_DIR, default ~/.cache/framewise-venv),
# keyed by the file's name and hash, so a changed pin gets a fresh one. `--no-deps`: exactly the
# pinned set, nothing newer. A virtualenv records its own path, so it is built in place and marked
# complete only at the end; progress goes to stderr, the path alone to stdout.
set -euo pipefail
REQUIREMENTS="$1"
NAME="$(basename "$REQUIREMENTS" -requirements.txt)"
VENV="${FRAMEWISE_VENV_DIR:-$HOME/.cache/framewise-venv}/$NAME-$(sha256sum "$REQUIREMENTS" | cut -c1-12)"
if [ ! -f "$VENV/.complete" ]; then
  if ! command -v python3 >/dev/null 2>&1; then
    echo "python-venv: python3 is missing; it is needed for $REQUIREMENTS" >&2
    exit 1
  fi
  echo "python-venv: installing $REQUIREMENTS (PyPI) into $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$REQUIREMENTS" >&2
  touch "$VENV/.complete"
fi
echo "$VENV"
