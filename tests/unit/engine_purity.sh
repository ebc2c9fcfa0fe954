#!/usr/bin/env bash
# engine_purity.sh: the engine is pure (no I/O, sockets, clock, environment or randomness).
# Fails when liblede_engine.a references any such symbol from libc, or holds mutable globals.
set -euo pipefail
lib=${1:?usage: engine_purity.sh path/to/liblede_engine.a}
forbidden='^(open|open64|openat|fopen|fopen64|fdopen|freopen|read|write|pread|pwrite|fread|fwrite|fgets|fputs|puts|printf|fprintf|vfprintf|putchar|fputc|getline|getdelim|socket|connect|bind|listen|accept|send|sendto|recv|recvfrom|time|clock|clock_gettime|gettimeofday|getenv|secure_getenv|rand|random|srand|srandom|system|popen|exec.*|fork|mmap|stat|fstat|lstat|unlink|exit|_exit|abort|zmq_.*|protobuf_c_.*)$'
bad=$(nm -u "$lib" | awk '{print $2}' | sed 's/@.*//' | sort -u | grep -E "$forbidden" || true)
if [ -n "$bad" ]; then
  echo "engine_purity: liblede_engine references I/O, clock or process symbols:" >&2
  echo "$bad" >&2
  exit 1
fi
# No mutable globals either: every table is const (read-only data), all state is in handles.
# (.data.rel.ro holds const pointer tables in position-independent code: read-only after load.)
globals=$(objdump -t "$lib" | grep -E '\s\.(data|bss)(\.[A-Za-z_0-9.]*)?\s' | grep -v '\.data\.rel\.ro' |
          grep -vE '^\S+\s+l\s+d\s' | awk '{print $NF}' |
          grep -v '^__odr_asan\.' | sort -u || true) # ASan's one-byte ODR markers are not data
if [ -n "$globals" ]; then
  echo "engine_purity: liblede_engine has mutable global data:" >&2
  echo "$globals" >&2
  exit 1
fi
echo "engine_purity: ok ($(nm -u "$lib" | awk '{print $2}' | sort -u | wc -l) external symbols, none forbidden)"
