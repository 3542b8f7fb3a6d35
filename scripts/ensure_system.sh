#!/usr/bin/env bash
# Install the system tools Parley needs (ffmpeg; chromium for browser tests) when missing.
# Usage: ensure_system.sh [--browser]
set -eu
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
if [ "${1:-}" = "--browser" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "parley: installing ${need[*]} with apt-get"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
else
  echo "parley: please install these system packages first: ${need[*]} (e.g. sudo apt-get install ${need[*]})" >&2
  # ffmpeg is needed for voice notes; gettext only to recompile translations (compiled files are committed).
  for n in "${need[@]}"; do [ "$n" = "gettext" ] || exit 1; done
fi
