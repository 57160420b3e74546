#!/usr/bin/env bash
# Builds the three WebAssembly variants of edgeinfer from the same sources and reports their sizes.
#
#   tools/build_wasm.sh [--tests] [--jobs N] [variant...]
#
#   variants: simd-threads (SIMD128 + pthreads), simd (SIMD128, single thread), baseline (neither),
#             relaxed-threads (simd-threads + relaxed SIMD's 8-bit dot product for int8 GEMMs; its
#             .wasm is patched after linking by tools/relaxed_simd_patch.mjs, which needs npm's wabt;
#             built when named: not in the npm package yet); the other three when none is named.
#   --tests   also builds edgeinfer_tests.{js,wasm} per variant (run them with tests/wasm/run_wasm_tests.sh).
#   --jobs N  ninja parallelism (default 2: the machine has 2 shared cores).
#
# Output: build/wasm-<variant>/ (the CMake build), build/wasm-dist/<variant>/edgeinfer.{js,wasm}
# (+ edgeinfer.worker.js for the threaded variant): the files that ship. Each variant's .wasm size is
# printed raw, gzip -9 and brotli (brotli CLI if installed, else Node's zlib at quality 11).
# Needs Emscripten (Debian: apt-get install emscripten), cmake and ninja.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TESTS=0
JOBS=2
VARIANTS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tests) TESTS=1 ;;
    --jobs) JOBS="$2"; shift ;;
    --jobs=*) JOBS="${1#--jobs=}" ;;
    simd-threads|simd|baseline|relaxed-threads) VARIANTS+=("$1") ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "build_wasm.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
[ ${#VARIANTS[@]} -eq 0 ] && VARIANTS=(simd-threads simd baseline)

for tool in emcmake emcc cmake ninja; do
  command -v "$tool" >/dev/null || { echo "build_wasm.sh: '$tool' not found (apt-get install emscripten cmake ninja-build)" >&2; exit 1; }
done
# Debian's Emscripten finds acorn (used by its JS optimizer) through NODE_PATH.
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"

variant_flags() {
  case "$1" in
    simd-threads) echo "-DEDGEINFER_SIMD=ON -DEDGEINFER_THREADS=ON -DEDGEINFER_RELAXED_SIMD=OFF" ;;
    relaxed-threads) echo "-DEDGEINFER_SIMD=ON -DEDGEINFER_THREADS=ON -DEDGEINFER_RELAXED_SIMD=ON" ;;
    simd) echo "-DEDGEINFER_SIMD=ON -DEDGEINFER_THREADS=OFF -DEDGEINFER_RELAXED_SIMD=OFF" ;;
    baseline) echo "-DEDGEINFER_SIMD=OFF -DEDGEINFER_THREADS=OFF -DEDGEINFER_RELAXED_SIMD=OFF" ;;
  esac
}

# Brotli size of a file: the CLI when present, else Node's built-in zlib (same format, quality 11).
brotli_size() {
  if command -v brotli >/dev/null; then
    brotli -c -q 11 "$1" | wc -c
  elif command -v node >/dev/null; then
    node -e 'const z=require("zlib"),f=require("fs");const b=f.readFileSync(process.argv[1]);
      process.stdout.write(String(z.brotliCompressSync(b,{params:{[z.constants.BROTLI_PARAM_QUALITY]:11,
      [z.constants.BROTLI_PARAM_SIZE_HINT]:b.length}}).length))' "$1"
  else
    echo "n/a"
  fi
}

targets="edgeinfer_wasm"
[ "$TESTS" = 1 ] && targets="$targets edgeinfer_tests"

DIST="$ROOT/build/wasm-dist"
report=()
for v in "${VARIANTS[@]}"; do
  bdir="$ROOT/build/wasm-$v"
  echo "== wasm-$v: configure"
  tests_flag=""
  if [ "$TESTS" = 1 ]; then tests_flag="-DEDGEINFER_TESTS=ON"
  elif [ ! -d /usr/src/googletest ]; then tests_flag="-DEDGEINFER_TESTS=OFF"; fi
  mkdir -p "$bdir"
  # shellcheck disable=SC2046,SC2086
  emcmake cmake -S "$ROOT" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=Release $tests_flag $(variant_flags "$v") \
    >"$bdir/configure.log" 2>&1 || { cat "$bdir/configure.log" >&2; exit 1; }
  echo "== wasm-$v: build ($targets, -j$JOBS)"
  start=$(date +%s)
  # Reruns ninja for sources saved during the build (ninja alone would keep objects compiled from the
  # old version of a header that was saved mid-compile).
  # shellcheck disable=SC2086
  bash "$ROOT/tools/ninja_settled.sh" "$ROOT" -C "$bdir" -j"$JOBS" $targets
  echo "== wasm-$v: built in $(( $(date +%s) - start ))s"

  mkdir -p "$DIST/$v"
  rm -f "$DIST/$v"/edgeinfer.*
  cp "$bdir/edgeinfer.js" "$bdir/edgeinfer.wasm" "$DIST/$v/"
  [ -f "$bdir/edgeinfer.worker.js" ] && cp "$bdir/edgeinfer.worker.js" "$DIST/$v/"
  # CommonJS output: keep Node from reading it as an ES module under the repo's "type": "module".
  echo '{"type": "commonjs"}' >"$DIST/$v/package.json"

  wasm="$DIST/$v/edgeinfer.wasm"
  raw=$(wc -c <"$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  br=$(brotli_size "$wasm")
  js=$(cat "$DIST/$v"/edgeinfer*.js | wc -c)
  report+=("$(printf '%-15s %10s %10s %10s %10s' "$v" "$raw" "$gz" "$br" "$js")")
done

echo
echo "edgeinfer.wasm sizes in bytes (build/wasm-dist/<variant>/):"
printf '%-15s %10s %10s %10s %10s\n' variant raw gzip-9 brotli js-glue
printf '%s\n' "${report[@]}"

# Budget: the full-featured variant must stay within 2 MB uncompressed.
if [ -f "$DIST/simd-threads/edgeinfer.wasm" ]; then
  size=$(wc -c <"$DIST/simd-threads/edgeinfer.wasm")
  limit=$((2 * 1024 * 1024))
  if [ "$size" -gt "$limit" ]; then
    echo "build_wasm.sh: simd-threads edgeinfer.wasm is $size bytes, over the 2 MB budget ($limit)" >&2
    exit 3
  fi
  echo "simd-threads within the 2 MB budget ($size <= $limit bytes)"
fi
