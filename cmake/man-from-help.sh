#!/bin/sh
# man-from-help.sh PROGRAM NAME VERSION OUT [HELP-ARGS...]: a minimal man page from a program's
# --help output, for machines without help2man (which gives nicer pages; CMake prefers it).
set -eu
prog=$1 name=$2 version=$3 out=$4
shift 4
[ $# -gt 0 ] || set -- --help
base=$(basename "$prog")
upper=$(printf '%s' "$base" | tr '[:lower:]' '[:upper:]')
{
  printf '.TH %s 1 "" "lede %s" "User Commands"\n' "$upper" "$version"
  printf '.SH NAME\n%s \\- %s\n' "$base" "$name"
  printf '.SH DESCRIPTION\n.nf\n'
  "$prog" "$@" 2>&1 | sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/"
  printf '.fi\n'
} >"$out.tmp"
mv "$out.tmp" "$out"
