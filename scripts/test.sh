#!/usr/bin/env bash
# The test command: installs what is missing, builds lede (plain and with sanitizers), and runs
# every test with ctest. LEDE_TEST_FAST=1 skips the sanitizer and fuzz builds (for local loops).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/deps.sh
jobs=$(nproc)
eval_dir=${LEDE_EVAL_DIR:-$root/../shared/eval}

echo "== format (.clang-format, scripts/format.sh --check)"
scripts/format.sh --check

echo "== build (release, -Werror)"
cmake -S . -B build -G Ninja -DLEDE_WERROR=ON -DLEDE_EVAL_DIR="$eval_dir" >/dev/null
cmake --build build -j "$jobs"
echo "== tests (release)"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 900

if [ "${LEDE_TEST_FAST:-0}" != 1 ]; then
  echo "== build (address,undefined sanitizers)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLEDE_WERROR=ON \
        -DLEDE_SANITIZE=address,undefined -DLEDE_EVAL_DIR="$eval_dir" >/dev/null
  cmake --build build-asan -j "$jobs"
  echo "== tests (sanitizers; quality and bench labels run in the release build only)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE 'quality|bench' --timeout 900

  echo "== fuzz targets (clang, libFuzzer, short bounded runs)"
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
        -DLEDE_FUZZ=ON -DLEDE_EVAL_DIR="$eval_dir" >/dev/null
  cmake --build build-fuzz -j "$jobs" --target lede_fuzzers
  ctest --test-dir build-fuzz --output-on-failure -L fuzz --timeout 900
fi
