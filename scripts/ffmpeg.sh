#!/usr/bin/env bash
# Makes sure a maintained ffmpeg and ffprobe are on PATH: ffmpeg parses every uploaded video, and
# the npm fallback (@ffmpeg-installer/linux-x64) is a static build from 2018. Where none is on PATH
# and this runs as root with apt-get (Debian, Ubuntu), it installs the distribution's ffmpeg, which
# the distribution's security team maintains (Debian 12: 5.1). Otherwise it warns, loudly, and
# Framewise falls back to the npm build (and warns again at start). FFMPEG_PATH / FFPROBE_PATH set:
# nothing to do.
set -euo pipefail
if [ -n "${FFMPEG_PATH:-}" ] && [ -n "${FFPROBE_PATH:-}" ]; then exit 0; fi
if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ffmpeg: installing the distribution's ffmpeg (apt-get install ffmpeg)" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
  echo "ffmpeg: $(ffmpeg -version | head -1)" >&2
  exit 0
fi
cat >&2 <<'WARN'
ffmpeg: WARNING — no ffmpeg on PATH, and it cannot be installed here (needs root and apt-get).
ffmpeg: Framewise will use the npm fallback, a static build from 2018 that parses every uploaded
ffmpeg: video. Install your distribution's ffmpeg (e.g. `sudo apt-get install ffmpeg`), or set
ffmpeg: FFMPEG_PATH and FFPROBE_PATH to a maintained build.
WARN
