#!/usr/bin/env bash
# Applies .clang-format to lede's C sources (or checks them with --check, exiting 1 on a diff).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(-i)
[ "${1:-}" = --check ] && mode=(--dry-run --Werror)
git ls-files '*.c' '*.h' | xargs clang-format "${mode[@]}"
