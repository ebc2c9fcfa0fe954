#!/usr/bin/env bash
# Installs what lede needs to build, test and demo on Debian 12 (apt-get; run as root or with sudo).
# Every dependency goes through here, so a fresh machine and CI get the same set.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config git
      libzmq3-dev libprotobuf-c-dev protobuf-c-compiler check libstemmer-dev
      libutf8proc-dev libxxhash-dev libjansson-dev libmicrohttpd-dev
      python3 python3-zmq python3-protobuf protobuf-compiler
      clang libclang-rt-14-dev valgrind iproute2 procps
      curl systemd python3-yaml help2man chromium
      gnuplot-nox libots-dev libglib2.0-dev)
pkgs+=(libgnutls28-dev python3-websocket openssl python3-pip python3-setuptools wrk)  # gateway
pkgs+=(libxml2-dev libgumbo-dev) # HTML bodies in the engine; gumbo for bench/bench_html.c
pkgs+=(libcld2-dev) # lang: auto (language detection, engine/langid_cld2.cc)
pkgs+=(clang-format) # scripts/format.sh --check, run by scripts/test.sh
[ "${LEDE_DEPS_EXTRA:-}" ] && read -r -a extra <<<"$LEDE_DEPS_EXTRA" && pkgs+=("${extra[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
