#!/usr/bin/python3
"""Generates a transformer encoder made of MatMuls (the int8 evaluation's MatMul-heavy model):
models/cache/generated/transformer_encoder.onnx with its inputs.json (golden.mjs makes its goldens like
the models in models/test/), and a calibration folder of inputs for `edgeinfer quantize`.

    /usr/bin/python3 models/make_transformer_model.py [--layers 2] [--hidden 256] [--heads 4] [--ffn 1024]

Model (opset 17): input `x` float [batch, seq, hidden] (token embeddings), output `y` same shape.
Per layer (post-LayerNorm, BERT style):
    q, k, v = x W + b                          MatMul + Add, W hidden x hidden
    split heads: Reshape [0, 0, heads, d] + Transpose (q, v: 0 2 1 3; k: 0 2 3 1)
    attention = Softmax(q k^T / sqrt(d)) v     MatMul, Mul, Softmax(-1), MatMul
    merge heads: Transpose 0 2 1 3 + Reshape [0, 0, hidden]; out = attention Wo + bo
    x = LayerNormalization(x + out)
    ffn = GELU(x W1 + b1) W2 + b2              GELU as x * 0.5 * (1 + Erf(x / sqrt 2))
    x = LayerNormalization(x + ffn)
Weights: seeded (20261204) normal with std 1/sqrt(fan_in) (attention that is not uniform, activations of
order 1 like a trained encoder's), biases N(0, 0.02), LayerNorm gamma 1 + N(0, 0.1), beta N(0, 0.05).
Default size: 2 layers, seq 128 at run time, hidden 256, 4 heads, FFN 1024: 1.58 M parameters, 6.3 MB.

Calibration (models/int8_data.py): <cache>/transformer/calibration/<i>/x.npy, 16 inputs 1x128x256, N(0, 1);
<cache>/transformer/eval/<i>/x.npy: 4 other such inputs for tools/int8/output_agreement.mjs.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import int8_data  # noqa: E402

OUT_DIR = os.path.join(HERE, "cache", "generated")
NAME = "transformer_encoder"
SEED = 20261204


def build(layers, hidden, heads, ffn, rng):
    d = hidden // heads
    inits, nodes = [], []

    def w(name, *shape, std):
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * std).astype(np.float32), name))
        return name

    def c(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(op, ins, out, **attrs):
        nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out

    def linear(x, p, k, n):
        mm = node("MatMul", [x, w(p + ".weight", k, n, std=1 / np.sqrt(k))], p + ".matmul")
        return node("Add", [mm, w(p + ".bias", n, std=0.02)], p + ".out")

    def layer_norm(x, p):
        g = c(p + ".gamma", (1 + 0.1 * rng.standard_normal(hidden)).astype(np.float32))
        b = w(p + ".beta", hidden, std=0.05)
        return node("LayerNormalization", [x, g, b], p + ".out", axis=-1, epsilon=1e-5)

    c("heads_shape", np.array([0, 0, heads, d], np.int64))
    c("merge_shape", np.array([0, 0, hidden], np.int64))
    c("inv_sqrt_d", np.float32(1 / np.sqrt(d)))
    c("half", np.float32(0.5))
    c("one", np.float32(1.0))
    c("inv_sqrt2", np.float32(1 / np.sqrt(2)))
    x = "x"
    for i in range(layers):
        p = "layer%d" % i
        q = linear(x, p + ".attn.q", hidden, hidden)
        k = linear(x, p + ".attn.k", hidden, hidden)
        v = linear(x, p + ".attn.v", hidden, hidden)
        qh = node("Transpose", [node("Reshape", [q, "heads_shape"], p + ".attn.q_heads")], p + ".attn.q_t", perm=[0, 2, 1, 3])
        kh = node("Transpose", [node("Reshape", [k, "heads_shape"], p + ".attn.k_heads")], p + ".attn.k_t", perm=[0, 2, 3, 1])
        vh = node("Transpose", [node("Reshape", [v, "heads_shape"], p + ".attn.v_heads")], p + ".attn.v_t", perm=[0, 2, 1, 3])
        s = node("Mul", [node("MatMul", [qh, kh], p + ".attn.qk"), "inv_sqrt_d"], p + ".attn.scores")
        a = node("MatMul", [node("Softmax", [s], p + ".attn.probs", axis=-1), vh], p + ".attn.context")
        merged = node("Reshape", [node("Transpose", [a], p + ".attn.context_t", perm=[0, 2, 1, 3]), "merge_shape"], p + ".attn.merged")
        o = linear(merged, p + ".attn.o", hidden, hidden)
        x = layer_norm(node("Add", [x, o], p + ".attn.residual"), p + ".ln1")
        h = linear(x, p + ".ffn.fc1", hidden, ffn)
        erf = node("Erf", [node("Mul", [h, "inv_sqrt2"], p + ".ffn.gelu.scaled")], p + ".ffn.gelu.erf")
        gelu = node("Mul", [node("Mul", [h, "half"], p + ".ffn.gelu.half"),
                            node("Add", [erf, "one"], p + ".ffn.gelu.erf1")], p + ".ffn.gelu")
        f = linear(gelu, p + ".ffn.fc2", ffn, hidden)
        x = layer_norm(node("Add", [x, f], p + ".ffn.residual"), p + ".ln2")
    nodes.append(helper.make_node("Identity", [x], ["y"], name="output"))
    graph = helper.make_graph(
        nodes, NAME,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", hidden])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", hidden])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="edgeinfer models/make_transformer_model.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    ap = argparse.ArgumentParser(description="transformer encoder test model (see the module docstring)")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=1024)
    ap.add_argument("--seq", type=int, default=128, help="sequence length of the golden input and the calibration data")
    ap.add_argument("--calibration", type=int, default=16, help="calibration inputs to write (0: none)")
    a = ap.parse_args()
    if a.hidden % a.heads:
        sys.exit("make_transformer_model.py: --hidden must be a multiple of --heads")
    rng = np.random.default_rng(SEED)
    model = build(a.layers, a.hidden, a.heads, a.ffn, rng)
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, NAME + ".onnx")
    onnx.save(model, path)
    # Input spec in the models/test/ format (golden.mjs): uniform values of unit variance.
    lim = float(np.sqrt(3.0))
    spec = {"opset": 17, "cases": {
        "main": {"x": {"shape": [1, a.seq, a.hidden], "dtype": "float32", "low": -lim, "high": lim}},
        "shape2": {"x": {"shape": [2, 37, a.hidden], "dtype": "float32", "low": -lim, "high": lim}}}}
    with open(os.path.join(OUT_DIR, NAME + ".inputs.json"), "w") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    print("wrote %s (%d bytes, %d parameters)" % (path, os.path.getsize(path), params))
    if a.calibration:
        crng = np.random.default_rng(SEED + 1)
        samples = [{"x": crng.standard_normal((1, a.seq, a.hidden)).astype(np.float32)} for _ in range(a.calibration)]
        d = os.path.join(int8_data.model_dir("transformer"), "calibration")
        print("wrote %d calibration inputs to %s" % (int8_data.write_calibration(d, samples), d))
        erng = np.random.default_rng(SEED + 2)
        samples = [{"x": erng.standard_normal((1, a.seq, a.hidden)).astype(np.float32)} for _ in range(4)]
        d = os.path.join(int8_data.model_dir("transformer"), "eval")
        print("wrote %d evaluation inputs to %s" % (int8_data.write_calibration(d, samples), d))


if __name__ == "__main__":
    main()
