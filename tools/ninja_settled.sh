#!/usr/bin/env bash
# Runs ninja until no source file changed during the run.
#
#   tools/ninja_settled.sh <source-dir> <ninja args...>      e.g. tools/ninja_settled.sh . -C build/wasm-simd -j2
#
# Why: ninja decides by modification times. A header saved while a compile that includes it is running
# may be read by that compile before the save, yet the object is written after it, so the object looks
# newer than the header and is never rebuilt. Objects built from different versions of a class then
# disagree on its layout: a kernel whose vtable predates a new Kernel virtual makes the runtime call
# through a slot past the end of it ("RuntimeError: table index is out of bounds" in the wasm build).
# So after each run, every file under <source-dir> (except build/, models/, .git and node_modules)
# modified since the run started is touched, which makes it newer than anything built from it, and ninja
# runs again; at most 5 runs.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: ninja_settled.sh <source-dir> <ninja args...>" >&2; exit 2; }
SRC="$1"
shift

stamp="$(mktemp)"
trap 'rm -f "$stamp"' EXIT
for attempt in 1 2 3 4 5; do
  touch "$stamp"
  ninja "$@"
  mapfile -t changed < <(find "$SRC" \( -path "$SRC/build" -o -path "$SRC/models" -o -name .git -o \
    -name node_modules \) -prune -o -type f -newer "$stamp" -print)
  [ ${#changed[@]} -eq 0 ] && exit 0
  echo "ninja_settled.sh: changed during the build, rebuilding what depends on them:" >&2
  printf '  %s\n' "${changed[@]}" >&2
  touch "${changed[@]}"
done
echo "ninja_settled.sh: sources kept changing during 5 builds; the build may be stale" >&2
exit 1
