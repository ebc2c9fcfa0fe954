#!/usr/bin/env bash
# install_layout.sh: `cmake --install` into a staging dir (DESTDIR) lays out binaries,
# liblede-client (+ header + pkg-config file), man pages, systemd units and examples; a tiny
# program built against the *installed* library with pkg-config summarizes an article
# through the installed lede-broker + lede-worker (ports chosen by the kernel) and agrees with
# `lede summarize --local`; `cpack -G DEB` makes a package with the same files.
set -u
build=${LEDE_BUILD_DIR:?LEDE_BUILD_DIR is not set}
src=${LEDE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
prefix=$(cache CMAKE_INSTALL_PREFIX); libdir=$(cache CMAKE_INSTALL_LIBDIR)
[ -n "$prefix" ] && [ -n "$libdir" ] || fail "no install prefix/libdir in $build/CMakeCache.txt"
case $libdir in /*) ;; *) libdir=$prefix/$libdir;; esac
stage=$tmp/stage
DESTDIR=$stage cmake --install "$build" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "cmake --install failed"; }
root=$stage$prefix

# ---- layout ----
for b in lede lede-broker lede-worker lede-idf lede-eval; do
  [ -x "$root/bin/$b" ] || fail "bin/$b is not installed"
  [ -s "$root/share/man/man1/$b.1" ] || fail "man page $b.1 is not installed"
  out=$(MANWIDTH=80 man -l "$root/share/man/man1/$b.1" 2>&1 >/dev/null) && [ -z "$out" ] || fail "man $b.1: $out"
  man -l "$root/share/man/man1/$b.1" 2>/dev/null | grep -q -- "--[a-z]" || fail "$b.1 does not list its options"
done
man -l "$root/share/man/man1/lede-broker.1" 2>/dev/null | grep -q "LEDE_BROKER_FRONTEND" || fail "lede-broker.1 lacks the variables"
[ -f "$stage$libdir/liblede-client.so.0" ] || fail "liblede-client.so.0 not in $libdir"
[ -L "$stage$libdir/liblede-client.so" ] || fail "no liblede-client.so development link"
soname=$(readelf -d "$stage$libdir/liblede-client.so.0" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = liblede-client.so.0 ] || fail "SONAME is '$soname'"
exported=$(nm -D --defined-only "$stage$libdir/liblede-client.so.0" | awk '{print $3}' | sed 's/@.*//' | grep -v '^lede_client_\|^lede_strerror$\|^LEDE_CLIENT_[0-9]*$' || true)
[ -z "$exported" ] || fail "liblede-client exports more than lede_client_*: $exported"
# liblede-client carries the frame codec, never the engine (ARCHITECTURE.md: client/ uses
# common and proto only)
engine_syms=$(nm "$stage$libdir/liblede-client.so.0" 2>/dev/null | grep -E ' [TtDdBbRr] (lede_summarize|lede_segment_|lede_tokenize|lede_fmt_|lede_keyphrases_|lede_engine_)' || true)
[ -z "$engine_syms" ] || fail "liblede-client contains the engine: $engine_syms"
for h in client.h error.h; do [ -f "$root/include/lede/$h" ] || fail "include/lede/$h missing"; done
pc=$stage$libdir/pkgconfig/lede-client.pc
[ -f "$pc" ] || fail "lede-client.pc not in $libdir/pkgconfig"
for u in lede-broker.service lede-worker@.service; do
  f=$root/lib/systemd/system/$u
  [ -f "$f" ] || fail "unit $u not installed"
  grep -q "^ExecStart=$prefix/bin/lede-" "$f" || fail "$u: ExecStart does not point at $prefix/bin"
done
for e in broker.env worker.env; do [ -f "$root/share/doc/lede/examples/$e" ] || fail "example $e missing"; done
echo "layout: $(cd "$stage" && find . -type f -o -type l | wc -l) files under $prefix, man pages render, SONAME $soname"

# ---- a program built against the installed library ----
# The example a CMS developer copies (examples/c/summarize.c), and a program that includes glibc's
# <error.h> beside <lede/client.h>: the installed headers must not shadow the system's.
cp "$src/examples/c/summarize.c" "$tmp/tiny.c"
cat >"$tmp/glibc_error.c" <<'C'
#include <error.h>
#include <lede/client.h>
int main(void)
{
    error(0, 0, "%s", lede_strerror(LEDE_OK));
    return 0;
}
C
export PKG_CONFIG_SYSROOT_DIR=$stage PKG_CONFIG_PATH=$stage$libdir/pkgconfig
flags=$(pkg-config --cflags --libs lede-client) || fail "pkg-config does not find lede-client"
echo "pkg-config: $flags"
san=$(cache LEDE_SANITIZE)  # a sanitized library needs a sanitized program
cc -std=c11 -Wall -Werror ${san:+-fsanitize=$san} -o "$tmp/tiny" "$tmp/tiny.c" $flags 2>"$tmp/cc.log" || { cat "$tmp/cc.log"; fail "examples/c/summarize.c does not build against the installed library"; }
cc -std=gnu11 -Wall -Werror ${san:+-fsanitize=$san} -o "$tmp/glibc_error" "$tmp/glibc_error.c" $flags 2>"$tmp/cc.log" || { cat "$tmp/cc.log"; fail "<error.h> with <lede/client.h> does not build"; }
LD_LIBRARY_PATH=$stage$libdir "$tmp/glibc_error" 2>&1 | grep -q "ok" || fail "glibc's error() did not run beside <lede/client.h>"
export LD_LIBRARY_PATH=$stage$libdir
ldd "$tmp/tiny" | grep -q "liblede-client.so.0 => $stage$libdir/" || fail "tiny does not load the staged library: $(ldd "$tmp/tiny" | grep lede)"

cat >"$tmp/article.txt" <<'A'
The city council approved a new budget on Monday that raises spending on schools by 8 percent.
The mayor said the plan would hire 300 teachers and repair 40 buildings over two years.
Opponents argued the increase would require higher property taxes next spring.
The vote was 7 to 2 after a four-hour debate that ran past midnight.
A

ready=$tmp/broker.ready
"$root/bin/lede-broker" --frontend 'tcp://127.0.0.1:*' --backend 'tcp://127.0.0.1:*' \
  --ready-file "$ready" >"$tmp/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$ready" ] && break; sleep 0.05; done
[ -s "$ready" ] || { cat "$tmp/broker.log"; fail "the installed broker did not start"; }
fe=$(sed -n 's/^frontend=//p' "$ready"); be=$(sed -n 's/^backend=//p' "$ready")
"$root/bin/lede-worker" --broker "$be" --threads 1 --name staged >"$tmp/worker.log" 2>&1 &
pids+=($!)
# the example fails fast (no wait_for_ready): call once the broker has the worker, which under
# load can take longer than starting tiny does
for _ in $(seq 600); do grep -q 'worker staged ready' "$tmp/broker.log" && break; sleep 0.05; done
grep -q 'worker staged ready' "$tmp/broker.log" || { cat "$tmp/broker.log" "$tmp/worker.log"; fail "the installed worker did not register within 30 s"; }
remote=$(timeout 60 "$tmp/tiny" "$fe" <"$tmp/article.txt") || { cat "$tmp/broker.log" "$tmp/worker.log"; fail "tiny through $fe failed"; }
local_=$("$root/bin/lede" summarize --local --sentences 3 "$tmp/article.txt") || fail "installed lede --local failed"
[ -n "$remote" ] || fail "empty summary through the broker"
[ "$remote" = "$local_" ] || fail "through the broker: '$remote'; local: '$local_'"
echo "client: examples/c/summarize.c, built against the staged install, summarized through $fe (3 sentences, equal to --local)"

# ---- the Debian package ----
if command -v cpack >/dev/null && command -v dpkg-deb >/dev/null; then
  (cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1) || { tail -20 "$tmp/cpack.log"; fail "cpack -G DEB failed"; }
  deb=$(ls "$tmp"/pkg/*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || fail "cpack made no .deb"
  contents=$(dpkg-deb -c "$deb")
  for f in bin/lede-broker bin/lede-worker bin/lede lib/systemd/system/lede-worker@.service \
           share/man/man1/lede-broker.1 include/lede/client.h liblede-client.so.0; do
    grep -q "$f" <<<"$contents" || fail "$(basename "$deb") lacks $f"
  done
  depends=$(dpkg-deb -f "$deb" Depends)
  grep -q libzmq5 <<<"$depends" || fail "package Depends lacks libzmq5: $depends"
  echo "package: $(basename "$deb") ($(stat -c %s "$deb") bytes), Depends: $depends"
elif [ "${CI:-}" = true ]; then
  fail "cpack or dpkg-deb missing (CI=true: a missing program is a failure)"
else
  echo "package: cpack or dpkg-deb missing; DEB not checked"
fi
echo PASS
