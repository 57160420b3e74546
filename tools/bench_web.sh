#!/usr/bin/env bash
# In-browser benchmark of edgeinfer against onnxruntime-web 1.30 (wasm backend, SIMD + threads, proxy off)
# in headless Chromium: start-up, session creation, first inference, warm p50/p95, wasm memory, and the
# max abs difference of the two runtimes' outputs, per model and thread count.
#
#   tools/bench_web.sh [--models ppocr_det,ppocr_rec,melspectrogram,embedding_model,hey_jarvis]
#                      [--threads 1,2] [--runs N] [--warmup-seconds S] [--min-seconds S] [--verbose]
#   tools/bench_web.sh --int8 [--int8-config tools/int8/models.json] [--models mnist_cnn,...] [same options]
#     (fp32 and int8 of each model pair, ours and onnxruntime-web's; see tools/bench-web/README.md)
#
# Prints a markdown table; writes build/bench-web/results.json. Builds the wasm module only when
# build/wasm-dist/relaxed-threads/edgeinfer.js is missing (tools/build_wasm.sh relaxed-threads: what the
# package loads in Chromium; --variant simd-threads measures the other) and fetches the
# models only when models/cache is missing (models/prepare.sh). Needs /usr/bin/chromium (or $CHROMIUM)
# and npm install (puppeteer-core, onnxruntime-web). Takes a few minutes: one fresh browser per
# (model, runtime, threads).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

case "${1:-}" in -h|--help) sed -n '2,15p' "$0"; exit 0 ;; esac

for v in relaxed-threads simd-threads; do
  if [ ! -f "build/wasm-dist/$v/edgeinfer.js" ]; then
    echo "bench_web.sh: build/wasm-dist/$v/edgeinfer.js missing; building it" >&2
    tools/build_wasm.sh "$v"
  fi
done
if [ ! -d models/cache ]; then
  echo "bench_web.sh: models/cache missing; running models/prepare.sh" >&2
  models/prepare.sh
fi
for dep in puppeteer-core onnxruntime-web; do
  [ -d "node_modules/$dep" ] || { echo "bench_web.sh: node_modules/$dep missing (npm install)" >&2; exit 1; }
done
exec node tools/bench-web/bench.mjs "$@"
