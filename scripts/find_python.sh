#!/usr/bin/env bash
# Print the path of a Python >= 3.12, or explain and fail.
set -u
candidates=("${PYTHON:-}" python3.13 python3.12 python3 python)
for dir in "$HOME"/.pyenv/versions/3.1[2-9]* /usr/local/bin /usr/bin; do
  [ -x "$dir/bin/python3" ] && candidates+=("$dir/bin/python3")
  [ -x "$dir/python3.13" ] && candidates+=("$dir/python3.13")
  [ -x "$dir/python3.12" ] && candidates+=("$dir/python3.12")
done
for c in "${candidates[@]}"; do
  [ -n "$c" ] || continue
  path=$(command -v "$c" 2>/dev/null) || continue
  if "$path" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
echo "parley: Python 3.12 or newer is required and none was found (tried python3.13, python3.12, python3, ~/.pyenv/versions). Install one, or set PYTHON=/path/to/python3.12." >&2
exit 1
