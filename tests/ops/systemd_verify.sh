#!/usr/bin/env bash
# systemd_verify.sh: the units in deploy/systemd pass `systemd-analyze verify` (no warnings
# either: an unknown or misspelt key only warns) with ExecStart pointed at the built binaries,
# and their hardening scores at most 2.0 in `systemd-analyze security --offline`.
# Exit 77 (skip) when systemd-analyze or a binary is missing (a failure under CI=true,
# tests/lib/skip.sh), or when it cannot verify even a trivial unit here (the environment).
set -u
. "$(dirname "$0")/../lib/skip.sh"
src=${LEDE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${LEDE_BIN:-$src/build/bin}
command -v systemd-analyze >/dev/null || lede_missing "systemd-analyze is not installed (scripts/deps.sh installs systemd)"
for b in lede-broker lede-worker; do
  [ -x "$bin/$b" ] || lede_missing "$bin/$b is not built"
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '[Unit]\nDescription=probe\n[Service]\nType=exec\nExecStart=/bin/true\n' >"$tmp/probe.service"
if ! systemd-analyze verify --man=no "$tmp/probe.service" >"$tmp/probe.log" 2>&1; then
  cat "$tmp/probe.log"; lede_skip_env "systemd-analyze verify cannot run in this environment (log above)"
fi
fail=0
units=()
for u in "$src"/deploy/systemd/*.service; do
  name=$(basename "$u")
  sed "s|/usr/bin/|$bin/|g" "$u" >"$tmp/$name"
  # a template is verified as an instance of itself
  case $name in *@.service) cp "$tmp/$name" "$tmp/${name/@./@test.}"; name=${name/@./@test.};; esac
  units+=("$tmp/$name")
done
[ ${#units[@]} -ge 2 ] || { echo "FAIL: expected lede-broker.service and lede-worker@.service"; exit 1; }
for u in "${units[@]}"; do
  out=$(cd "$tmp" && systemd-analyze verify --man=no "./$(basename "$u")" 2>&1); rc=$?
  if [ $rc -ne 0 ] || [ -n "$out" ]; then
    echo "FAIL: systemd-analyze verify $(basename "$u") (rc $rc):"; echo "$out"; fail=1
  else
    echo "verify $(basename "$u"): clean"
  fi
  score=$(systemd-analyze security --offline=true "$u" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  if ! systemd-analyze security --offline=true --threshold=20 "$u" >/dev/null 2>&1; then
    echo "FAIL: $(basename "$u") exposure ${score:-?} is above 2.0"; fail=1
  else
    echo "security $(basename "$u"): exposure $score (at most 2.0)"
  fi
done
# what the units must say, beyond being valid
for key in DynamicUser=yes ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes ProtectHome=yes \
           RestrictAddressFamilies= SystemCallFilter=@system-service Restart=on-failure EnvironmentFile=; do
  for u in "$src"/deploy/systemd/*.service; do
    grep -q "^$key" "$u" || { echo "FAIL: $(basename "$u") lacks $key"; fail=1; }
  done
done
[ $fail -eq 0 ] && echo PASS
exit $fail
