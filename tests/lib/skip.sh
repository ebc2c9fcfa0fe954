# skip.sh: sourced by lede's shell tests. How a test that cannot run says so.
#   lede_missing MSG  a program, binary or data file the test needs is absent: exit 77 (ctest
#                     "skipped") with MSG, except under CI=true, where it is a failure (exit 1).
#   lede_skip_env MSG this machine cannot do what the test needs (no root for namespaces, a
#                     sandbox that refuses a probe): exit 77 with MSG, CI or not.
#   lede_ci           true under CI=true.
lede_ci() { [ "${CI:-}" = true ]; }
lede_missing() {
  if lede_ci; then
    echo "FAIL: $* (CI=true: a missing program, binary or data file is a failure, not a skip)"
    exit 1
  fi
  echo "SKIP: $*"
  exit 77
}
lede_skip_env() {
  echo "SKIP (environment): $*"
  exit 77
}
