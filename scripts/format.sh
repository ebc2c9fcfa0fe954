#!/usr/bin/env bash
# Applies .clang-format to lede's C sources, or with --check lists the files that differ from it
# and exits 1 (scripts/test.sh runs the check first).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format: clang-format is not installed (scripts/deps.sh)" >&2; exit 1; }
if [ "${1:-}" = --check ]; then
  bad=0
  while IFS= read -r f; do
    if ! clang-format "$f" | cmp -s - "$f"; then
      echo "format: $f differs from .clang-format (scripts/format.sh fixes it)"
      bad=$((bad + 1))
    fi
  done < <(git ls-files '*.c' '*.h')
  [ "$bad" = 0 ] || { echo "format: $bad files differ"; exit 1; }
  echo "format: $(git ls-files '*.c' '*.h' | wc -l) files as .clang-format lays them out"
  exit 0
fi
git ls-files -z '*.c' '*.h' | xargs -0 clang-format -i
