#!/usr/bin/env bash
# no_accidental_pass.sh: the checks that keep tests from passing by accident (issue 10, §2) work.
# A tree without a shipped program's source (tools/lede-load/lede_load.c, tools/lede/remote.c, a bench
# program, a Check suite) fails to configure; a test whose binary or data is missing exits 77
# (skipped, saying why) and fails (exit 1) under CI=true: the Python harness, the shell helper
# (tests/lib/skip.sh) and the Check suites (tests/unit/skip.h).
set -u
src=${LEDE_SOURCE_DIR:?}
build=${LEDE_BUILD_DIR:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() { # expect WANT_RC DESCRIPTION CMD...: runs CMD, checks its exit code
  local want=$1 what=$2; shift 2
  "$@" >"$tmp/out" 2>&1; local rc=$?
  if [ "$rc" = "$want" ]; then echo "ok   $what: exit $rc ($(grep -m1 -E 'SKIP|FAIL|Error' "$tmp/out" | cut -c1-120))"
  else fail "$what: exit $rc, wanted $want"; tail -5 "$tmp/out"; fi
}

# ---- a missing source fails the configure step ----
mkdir "$tmp/src"
(cd "$src" && tar --exclude='./build*' --exclude=./.git -cf - .) | tar -xf - -C "$tmp/src"
for f in tools/lede-load/lede_load.c tools/lede/remote.c client/client.c gateway/gateway.c bench/bench_engine.c tests/unit/check_client.c; do
  mv "$tmp/src/$f" "$tmp/src/$f.gone"
  expect 1 "configure without $f" cmake -S "$tmp/src" -B "$tmp/b-$(basename "$f")" -G Ninja \
    -DLEDE_EVAL_DIR="$tmp/none"
  mv "$tmp/src/$f.gone" "$tmp/src/$f"
done

# ---- a missing binary or data file: skip, or fail under CI=true ----
nobin=$tmp/no-bin
for ci in "" true; do
  want=77; [ "$ci" = true ] && want=1
  expect $want "CI=${ci:-unset}: harness test without its binaries" \
    env CI="$ci" LEDE_BIN="$nobin" "$src/tests/integration/broker_smoke.py"
  expect $want "CI=${ci:-unset}: shell test without its binaries" \
    env CI="$ci" LEDE_BIN="$nobin" "$src/tests/ops/metrics_live.sh"
  expect $want "CI=${ci:-unset}: quality guard without the evaluation data" \
    env CI="$ci" LEDE_EVAL_DIR="$tmp/none" LEDE_BIN="$build/bin" "$src/tests/quality/eval_guard.sh"
  expect $want "CI=${ci:-unset}: Check suite without the evaluation data" \
    env CI="$ci" LEDE_EVAL_DIR="$tmp/none" "$build/bin/check_segment"
  expect $want "CI=${ci:-unset}: ROUGE vectors without the evaluation data" \
    env CI="$ci" LEDE_EVAL_DIR="$tmp/none" "$build/bin/check_rouge"
done
[ "$fails" = 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo PASS
