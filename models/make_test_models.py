#!/usr/bin/python3
"""Generates the small ONNX models under models/test/ that exercise operators the real models do not.

Each model NAME.onnx comes with NAME.inputs.json, which tells models/golden.mjs how to build its inputs:
  {"cases": {"main": {"<input>": {"shape": [...], "dtype": "float32", "low": -1, "high": 1}}, "shape2": {...}}}
"main" is the first run; further cases run on the same session with other shapes (or values that take
another branch), which is how the golden test checks that plans are redone.

Run with Debian's python (it has the onnx package):  /usr/bin/python3 models/make_test_models.py [OUT_DIR]
Weights come from a fixed seed, so the output is deterministic.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "test")
RNG = np.random.RandomState(20240611)
F = TensorProto.FLOAT
I64 = TensorProto.INT64


def w(name, *shape, scale=0.3):
    return numpy_helper.from_array((RNG.randn(*shape) * scale).astype(np.float32), name)


def c64(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def cf(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.float32), name)


def save(name, nodes, inputs, outputs, inits, opset, cases, domain_opsets=None):
    nodes = topo_sort(nodes, {i.name for i in inits} | {i.name for i in inputs})
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    imports = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in (domain_opsets or {}).items()]
    model = helper.make_model(graph, opset_imports=imports, producer_name="edgeinfer-make_test_models")
    model.ir_version = 8 if opset <= 18 else (9 if opset <= 20 else 10)
    if opset <= onnx.defs.onnx_opset_version():
        fill_output_ranks(model)
        onnx.checker.check_model(model, full_check=True)
    # Newer opsets than the installed onnx package knows are validated by onnxruntime in golden.mjs.
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".onnx")
    onnx.save(model, path)
    with open(os.path.join(OUT, name + ".inputs.json"), "w") as f:
        json.dump({"opset": opset, "cases": cases}, f, indent=1)
        f.write("\n")
    size = os.path.getsize(path)
    assert size < 200 * 1024, f"{name} is {size} bytes"
    print(f"{path}: {len(nodes)} nodes, {size} bytes")


def fill_output_ranks(model):
    """Outputs declared without a shape get one of the inferred rank with unnamed (unknown) dims."""
    inferred = onnx.shape_inference.infer_shapes(model)
    known = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for out in model.graph.output:
        if out.type.tensor_type.HasField("shape"):
            continue
        src = known.get(out.name)
        rank = len(src.type.tensor_type.shape.dim) if src is not None and src.type.tensor_type.HasField("shape") else None
        assert rank is not None, f"cannot infer the rank of output {out.name}"
        out.type.tensor_type.shape.SetInParent()
        for _ in range(rank):
            out.type.tensor_type.shape.dim.add()


def fin(shape, low=-1.0, high=1.0):
    return {"shape": shape, "dtype": "float32", "low": low, "high": high}


def cnn_ops():
    """Conv family and image ops: Conv (strided, padded, grouped, dilated, auto_pad SAME_LOWER), InstanceNormalization, Pad
    (reflect/constant/edge), ConvTranspose, Resize (linear half_pixel, nearest asymmetric, cubic),
    MaxPool/AveragePool/GlobalAveragePool/GlobalMaxPool, BatchNormalization, HardSwish, activations, Flatten, Gemm, Softmax."""
    x = helper.make_tensor_value_info("image", F, ["N", 3, "H", "W"])
    nodes = [
        helper.make_node("Conv", ["image", "c1_w", "c1_b"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("InstanceNormalization", ["c1", "in_s", "in_b"], ["in1"], epsilon=1e-5),
        helper.make_node("LeakyRelu", ["in1"], ["a1"], alpha=0.1),
        helper.make_node("Pad", ["a1", "pads_reflect"], ["p1"], mode="reflect"),
        helper.make_node("Conv", ["p1", "dw_w"], ["dw"], kernel_shape=[3, 3], group=8, strides=[2, 2]),
        helper.make_node("BatchNormalization", ["dw", "bn_s", "bn_b", "bn_m", "bn_v"], ["bn"], epsilon=1e-3),
        helper.make_node("Clip", ["bn", "clip_lo", "clip_hi"], ["r6"]),
        helper.make_node("Conv", ["r6", "dil_w", "dil_b"], ["dil"], kernel_shape=[3, 3], dilations=[2, 2], pads=[2, 2, 2, 2]),
        helper.make_node("HardSigmoid", ["dil"], ["hs"], alpha=0.2, beta=0.5),
        helper.make_node("Mul", ["dil", "hs"], ["hswish1"]),
        helper.make_node("HardSwish", ["dil"], ["hswish2"]),
        helper.make_node("Add", ["hswish1", "hswish2"], ["hswish"]),
        helper.make_node("Conv", ["hswish", "same_w"], ["same"], kernel_shape=[2, 2], auto_pad="SAME_LOWER"),
        helper.make_node("ConvTranspose", ["same", "ct_w", "ct_b"], ["ct"], kernel_shape=[3, 3], strides=[2, 2],
                         pads=[1, 1, 1, 1], output_padding=[1, 1]),
        helper.make_node("Resize", ["ct", "", "scales2"], ["up_lin"], mode="linear",
                         coordinate_transformation_mode="half_pixel"),
        helper.make_node("Resize", ["ct", "", "scales2"], ["up_near"], mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        helper.make_node("Resize", ["ct", "", "scales_half"], ["down_cubic"], mode="cubic", cubic_coeff_a=-0.75,
                         coordinate_transformation_mode="align_corners"),
        helper.make_node("Add", ["up_lin", "up_near"], ["up"]),
        helper.make_node("Pad", ["up", "pads_const", "pad_value"], ["up_p"], mode="constant"),
        helper.make_node("Pad", ["down_cubic", "pads_const"], ["down_p"], mode="edge"),
        helper.make_node("MaxPool", ["up_p"], ["mp"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("AveragePool", ["mp"], ["ap"], kernel_shape=[2, 2], strides=[2, 2], count_include_pad=0),
        helper.make_node("Sigmoid", ["ap"], ["seg"]),
        helper.make_node("GlobalAveragePool", ["down_p"], ["gap_a"]),
        helper.make_node("GlobalMaxPool", ["down_p"], ["gap_m"]),
        helper.make_node("Add", ["gap_a", "gap_m"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["fc"], transB=1, alpha=0.9, beta=1.1),
        helper.make_node("Tanh", ["fc"], ["fc_t"]),
        helper.make_node("Softmax", ["fc_t"], ["probs"], axis=-1),
    ]
    inits = [
        w("c1_w", 8, 3, 3, 3), w("c1_b", 8), cf("in_s", RNG.rand(8) + 0.5), w("in_b", 8),
        c64("pads_reflect", [0, 0, 1, 1, 0, 0, 1, 1]), w("dw_w", 8, 1, 3, 3),
        cf("bn_s", RNG.rand(8) + 0.5), w("bn_b", 8), w("bn_m", 8), cf("bn_v", RNG.rand(8) + 0.5),
        cf("clip_lo", 0.0), cf("clip_hi", 6.0), w("dil_w", 8, 8, 3, 3, scale=0.2), w("dil_b", 8),
        w("same_w", 8, 8, 2, 2, scale=0.3), w("ct_w", 8, 4, 3, 3, scale=0.2), w("ct_b", 4), cf("scales2", [1, 1, 2, 2]), cf("scales_half", [1, 1, 0.5, 0.5]),
        c64("pads_const", [0, 0, 1, 2, 0, 0, 2, 1]), cf("pad_value", -0.5), w("fc_w", 10, 4), w("fc_b", 10),
    ]
    outs = [helper.make_tensor_value_info("seg", F, None), helper.make_tensor_value_info("probs", F, ["N", 10])]
    save("cnn_ops", nodes, [x], outs, inits, 14,
         {"main": {"image": fin([1, 3, 16, 16], 0, 1)}, "shape2": {"image": fin([2, 3, 12, 20], 0, 1)}})


def transformer_block():
    """A small encoder block over token ids: Gather embeddings, Range positions, a padding mask built with
    Equal/Not/Where/Expand/Unsqueeze, LayerNormalization, MatMul, multi-head attention with Einsum and
    Reshape/Transpose driven by Shape/Gather/Concat, Softmax, Gelu (opset 20), Erf-based GELU, residuals."""
    D, H, V, FF = 16, 2, 40, 32
    dh = D // H
    ids = helper.make_tensor_value_info("input_ids", I64, ["batch", "seq"])
    nodes = [
        helper.make_node("Gather", ["tok_emb", "input_ids"], ["tok"]),
        helper.make_node("Shape", ["input_ids"], ["ids_shape"]),
        helper.make_node("Gather", ["ids_shape", "one"], ["seq_len"], axis=0),
        helper.make_node("Gather", ["ids_shape", "zero"], ["batch_n"], axis=0),
        helper.make_node("Range", ["zero", "seq_len", "one"], ["positions"]),
        helper.make_node("Gather", ["pos_emb", "positions"], ["pos"]),
        helper.make_node("Add", ["tok", "pos"], ["x0"]),
        # mask: token id 0 is padding -> -1e4 on the attention logits
        helper.make_node("Equal", ["input_ids", "zero"], ["is_pad"]),
        helper.make_node("Not", ["is_pad"], ["keep"]),
        helper.make_node("Unsqueeze", ["keep", "axes_1_2"], ["keep4"]),
        helper.make_node("Concat", ["batch_n_1", "heads_1", "seq_len_1", "seq_len_1"], ["mask_shape"], axis=0),
        helper.make_node("Unsqueeze", ["batch_n", "zero_axes"], ["batch_n_1"]),
        helper.make_node("Unsqueeze", ["seq_len", "zero_axes"], ["seq_len_1"]),
        helper.make_node("Expand", ["keep4", "mask_shape"], ["keep_full"]),
        helper.make_node("Where", ["keep_full", "f_zero", "f_neg"], ["mask_add"]),
        helper.make_node("LayerNormalization", ["x0", "ln1_s", "ln1_b"], ["h1"], axis=-1, epsilon=1e-5),
        helper.make_node("MatMul", ["h1", "wq"], ["q"]),
        helper.make_node("MatMul", ["h1", "wk"], ["k"]),
        helper.make_node("MatMul", ["h1", "wv"], ["v"]),
        helper.make_node("Concat", ["batch_n_1", "seq_len_1", "heads_1", "dh_1"], ["head_shape"], axis=0),
        helper.make_node("Reshape", ["q", "head_shape"], ["q4"]),
        helper.make_node("Reshape", ["k", "head_shape"], ["k4"]),
        helper.make_node("Reshape", ["v", "head_shape"], ["v4"]),
        helper.make_node("Transpose", ["q4"], ["qh"], perm=[0, 2, 1, 3]),
        helper.make_node("Einsum", ["q4", "k4"], ["scores"], equation="bqhd,bkhd->bhqk"),
        helper.make_node("Div", ["scores", "sqrt_dh"], ["scaled"]),
        helper.make_node("Add", ["scaled", "mask_add"], ["masked"]),
        helper.make_node("Softmax", ["masked"], ["attn"], axis=-1),
        helper.make_node("Transpose", ["v4"], ["vh"], perm=[0, 2, 1, 3]),
        helper.make_node("MatMul", ["attn", "vh"], ["ctx_h"]),
        helper.make_node("Transpose", ["ctx_h"], ["ctx_t"], perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["ctx_t", "flat_shape"], ["ctx"]),
        helper.make_node("MatMul", ["ctx", "wo"], ["attn_out"]),
        helper.make_node("Add", ["x0", "attn_out"], ["x1"]),
        helper.make_node("LayerNormalization", ["x1", "ln2_s"], ["h2"], axis=2, epsilon=1e-6),
        helper.make_node("MatMul", ["h2", "w1"], ["f1m"]),
        helper.make_node("Add", ["f1m", "b1"], ["f1"]),
        helper.make_node("Gelu", ["f1"], ["g_exact"]),
        helper.make_node("Gelu", ["f1"], ["g_tanh"], approximate="tanh"),
        # the pre-opset-20 GELU form: 0.5*x*(1+erf(x/sqrt2))
        helper.make_node("Div", ["f1", "sqrt2"], ["f1s"]),
        helper.make_node("Erf", ["f1s"], ["erf"]),
        helper.make_node("Add", ["erf", "f_one"], ["erf1"]),
        helper.make_node("Mul", ["f1", "erf1"], ["g_erf2"]),
        helper.make_node("Mul", ["g_erf2", "f_half"], ["g_erf"]),
        helper.make_node("Sum", ["g_exact", "g_tanh", "g_erf"], ["g"]),
        helper.make_node("MatMul", ["g", "w2"], ["f2"]),
        helper.make_node("Add", ["x1", "f2"], ["y"]),
        helper.make_node("ReduceMean", ["y", "axes_1"], ["pooled"], keepdims=0),
        helper.make_node("Gemm", ["pooled", "cls_w"], ["logits"]),
        helper.make_node("LogSoftmax", ["logits"], ["log_probs"], axis=1),
        helper.make_node("Identity", ["qh"], ["q_heads"]),
    ]
    inits = [
        w("tok_emb", V, D, scale=0.5), w("pos_emb", 64, D, scale=0.1),
        c64("zero", 0), c64("one", 1), c64("zero_axes", [0]), c64("axes_1_2", [1, 2]), c64("heads_1", [H]),
        c64("dh_1", [dh]), c64("flat_shape", [0, 0, D]), cf("f_zero", 0.0), cf("f_neg", -1e4),
        cf("ln1_s", RNG.rand(D) + 0.5), w("ln1_b", D), w("wq", D, D), w("wk", D, D), w("wv", D, D), w("wo", D, D),
        cf("sqrt_dh", np.sqrt(dh)), cf("ln2_s", RNG.rand(D) + 0.5), w("w1", D, FF), w("b1", FF), w("w2", FF, D),
        cf("sqrt2", np.sqrt(2.0)), cf("f_one", 1.0), cf("f_half", 0.5), c64("axes_1", [1]), w("cls_w", D, 5),
    ]
    # Nodes above are listed out of order on purpose (Unsqueeze after its consumer): ONNX requires
    # topological order, so sort them.
    nodes = topo_sort(nodes, {i.name for i in inits} | {"input_ids"})
    outs = [helper.make_tensor_value_info("y", F, ["batch", "seq", D]),
            helper.make_tensor_value_info("log_probs", F, ["batch", 5]),
            helper.make_tensor_value_info("q_heads", F, ["batch", H, "seq", dh])]
    ids_main = {"shape": [2, 7], "dtype": "int64", "low": 0, "high": V - 1}
    ids_2 = {"shape": [3, 12], "dtype": "int64", "low": 0, "high": V - 1}
    save("transformer_block", nodes, [ids], outs, inits, 20, {"main": {"input_ids": ids_main}, "shape2": {"input_ids": ids_2}})


def topo_sort(nodes, available):
    avail = set(available)
    out, pending = [], list(nodes)
    while pending:
        progressed = False
        for n in list(pending):
            if all(i == "" or i in avail for i in n.input):
                out.append(n)
                avail.update(n.output)
                pending.remove(n)
                progressed = True
        assert progressed, "cycle or missing input"
    return out


def rnn_models():
    """GRU (bidirectional, linear_before_reset=1, initial_h) and LSTM (forward, peepholes, initial state,
    Y/Y_h/Y_c), seq-major with symbolic seq and batch."""
    I, Hd = 6, 8
    x = helper.make_tensor_value_info("x", F, ["seq", "batch", I])
    h0 = helper.make_tensor_value_info("h0", F, [2, "batch", Hd])
    nodes = [
        helper.make_node("GRU", ["x", "gru_w", "gru_r", "gru_b", "", "h0"], ["y", "y_h"], hidden_size=Hd,
                         direction="bidirectional", linear_before_reset=1),
        helper.make_node("GRU", ["x", "gru2_w", "gru2_r", "gru2_b"], ["y2", "y2_h"], hidden_size=Hd,
                         direction="reverse", linear_before_reset=0),
    ]
    inits = [w("gru_w", 2, 3 * Hd, I), w("gru_r", 2, 3 * Hd, Hd), w("gru_b", 2, 6 * Hd),
             w("gru2_w", 1, 3 * Hd, I), w("gru2_r", 1, 3 * Hd, Hd), w("gru2_b", 1, 6 * Hd)]
    outs = [helper.make_tensor_value_info(n, F, None) for n in ["y", "y_h", "y2", "y2_h"]]
    save("gru_model", nodes, [x, h0], outs, inits, 14,
         {"main": {"x": fin([5, 2, I]), "h0": fin([2, 2, Hd], -0.5, 0.5)},
          "shape2": {"x": fin([9, 3, I]), "h0": fin([2, 3, Hd], -0.5, 0.5)}})

    xl = helper.make_tensor_value_info("x", F, ["seq", "batch", I])
    nodes = [helper.make_node("LSTM", ["x", "w", "r", "b", "", "h0", "c0", "p"], ["y", "y_h", "y_c"], hidden_size=Hd,
                              direction="forward"),
             helper.make_node("LSTM", ["x", "w2", "r2", "b2"], ["yb", "yb_h"], hidden_size=Hd, direction="bidirectional"),
             helper.make_node("Tanh", ["y_c"], ["c_tanh"])]
    inits = [w("w", 1, 4 * Hd, I), w("r", 1, 4 * Hd, Hd), w("b", 1, 8 * Hd), w("p", 1, 3 * Hd),
             w("w2", 2, 4 * Hd, I), w("r2", 2, 4 * Hd, Hd), w("b2", 2, 8 * Hd)]
    h0l = helper.make_tensor_value_info("h0", F, [1, "batch", Hd])
    c0l = helper.make_tensor_value_info("c0", F, [1, "batch", Hd])
    outs = [helper.make_tensor_value_info(n, F, None) for n in ["y", "y_h", "c_tanh", "yb", "yb_h"]]
    save("lstm_model", nodes, [xl, h0l, c0l], outs, inits, 14,
         {"main": {"x": fin([4, 2, I]), "h0": fin([1, 2, Hd], -0.5, 0.5), "c0": fin([1, 2, Hd], -0.5, 0.5)},
          "shape2": {"x": fin([7, 1, I]), "h0": fin([1, 1, Hd], -0.5, 0.5), "c0": fin([1, 1, Hd], -0.5, 0.5)}})


def if_model():
    """If with a data-dependent condition; the branches use outer-scope values and yield different shapes."""
    x = helper.make_tensor_value_info("x", F, ["N", 4])
    flag = helper.make_tensor_value_info("flag", TensorProto.BOOL, [])
    then_g = helper.make_graph(
        [helper.make_node("Mul", ["x", "two"], ["t_out"]), helper.make_node("Add", ["t_out", "bias"], ["t_res"])],
        "then_branch", [], [helper.make_tensor_value_info("t_res", F, None)], [cf("two", 2.0)])
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["nx"]), helper.make_node("Concat", ["x", "nx"], ["e_res"], axis=1)],
        "else_branch", [], [helper.make_tensor_value_info("e_res", F, None)])
    nodes = [
        helper.make_node("ReduceSum", ["x"], ["total"], keepdims=0),
        helper.make_node("Greater", ["total", "zero"], ["positive"]),
        helper.make_node("Xor", ["positive", "flag"], ["cond"]),
        helper.make_node("If", ["cond"], ["branch_out"], then_branch=then_g, else_branch=else_g),
        helper.make_node("Relu", ["branch_out"], ["out"]),
    ]
    inits = [cf("zero", 0.0), w("bias", 4)]
    outs = [helper.make_tensor_value_info("out", F, None), helper.make_tensor_value_info("cond", TensorProto.BOOL, [])]
    flag_t = {"shape": [], "dtype": "bool", "value": True}
    flag_f = {"shape": [], "dtype": "bool", "value": False}
    save("if_model", nodes, [x, flag], outs, inits, 13,
         {"main": {"x": fin([3, 4], 0, 1), "flag": flag_f},
          "else_branch": {"x": fin([3, 4], 0, 1), "flag": flag_t},
          "shape2": {"x": fin([5, 4], -1, 0), "flag": flag_f}})


def shape_arith():
    """Shape arithmetic on a symbolic input: Shape/Gather/Concat/Reshape, Slice with computed ends and
    negative steps, Range, ConstantOfShape, Tile, Squeeze/Unsqueeze (axes inputs), Split, Expand, Flatten,
    Transpose, Size, Cast of shape values into float math, Dropout (inference), Constant, GatherElements."""
    x = helper.make_tensor_value_info("x", F, ["N", "C", "L"])
    nodes = [
        helper.make_node("Shape", ["x"], ["shp"]),
        helper.make_node("Gather", ["shp", "idx_last"], ["L"]),
        helper.make_node("Slice", ["shp", "s0", "s2"], ["nc"]),
        helper.make_node("ReduceProd", ["nc"], ["nc_prod"], keepdims=1),
        helper.make_node("Concat", ["nc_prod", "L"], ["shape2d"], axis=0),
        helper.make_node("Reshape", ["x", "shape2d"], ["x2d"]),
        # half of L, computed from the shape
        helper.make_node("Div", ["L", "two"], ["half"]),
        helper.make_node("Slice", ["x2d", "zero1", "half", "one1", "one1"], ["left"]),
        helper.make_node("Slice", ["x2d", "neg1", "big_neg", "one1", "neg1_step"], ["reversed"]),
        helper.make_node("Squeeze", ["L", "zero1"], ["L_scalar"]),
        helper.make_node("Range", ["zero_s", "L_scalar", "one_s"], ["rng"]),
        helper.make_node("Cast", ["rng"], ["rng_f"], to=F),
        helper.make_node("Add", ["reversed", "rng_f"], ["rev_plus"]),
        helper.make_node("ConstantOfShape", ["shp"], ["ones"], value=numpy_helper.from_array(np.array([1.5], np.float32))),
        helper.make_node("Mul", ["x", "ones"], ["x15"]),
        helper.make_node("Unsqueeze", ["x15", "axes_0_3"], ["x5"]),
        helper.make_node("Tile", ["x5", "reps"], ["tiled"]),
        helper.make_node("Squeeze", ["tiled", "zero1"], ["tiled_sq"]),
        helper.make_node("Split", ["tiled_sq", "split_sizes"], ["sp_a", "sp_b"], axis=-1),
        helper.make_node("Sub", ["sp_a", "sp_b"], ["sp_diff"]),
        helper.make_node("Expand", ["left", "exp_shape"], ["left_exp"]),
        helper.make_node("Transpose", ["left_exp"], ["left_t"], perm=[2, 1, 0]),
        helper.make_node("Flatten", ["left_t"], ["left_flat"], axis=2),
        helper.make_node("Size", ["x"], ["size"]),
        helper.make_node("Cast", ["size"], ["size_f"], to=F),
        helper.make_node("Mul", ["rev_plus", "size_f"], ["rev_scaled0"]),
        helper.make_node("Dropout", ["rev_scaled0"], ["rev_scaled"], seed=3),
        helper.make_node("Constant", [], ["ge_idx"], value=numpy_helper.from_array(np.array([[3, 0], [1, 1]], np.int64))),
        helper.make_node("GatherElements", ["left_flat", "ge_idx"], ["gathered"], axis=0),
    ]
    inits = [c64("idx_last", [2]), c64("s0", [0]), c64("s2", [2]), c64("two", [2]), c64("zero1", [0]),
             c64("one1", [1]), c64("neg1", [-1]), c64("big_neg", [-(2**62)]), c64("neg1_step", [-1]),
             c64("zero_s", 0), c64("one_s", 1), c64("axes_0_3", [0, 3]), c64("reps", [1, 1, 2, 1, 1]),
             c64("split_sizes", [3, 1]), c64("exp_shape", [2, 1, 1])]
    outs = [helper.make_tensor_value_info(n, F, [None] * r) for n, r in [("rev_scaled", 2), ("sp_diff", 4), ("left_flat", 2), ("gathered", 2)]]
    save("shape_arith", nodes, [x], outs, inits, 13,
         {"main": {"x": fin([2, 3, 4])}, "shape2": {"x": fin([3, 5, 4])}})


def shape_ops_opset11():
    """The attribute forms that later opsets turned into inputs: Squeeze/Unsqueeze axes, Split split,
    ReduceSum axes, Pad with pads input (opset 11), Slice with inputs (>=10), Upsample-era Resize (opset 11,
    with roi input), Clip with inputs (11)."""
    x = helper.make_tensor_value_info("x", F, ["N", 4, 6])
    nodes = [
        helper.make_node("Unsqueeze", ["x"], ["xu"], axes=[1]),
        helper.make_node("Squeeze", ["xu"], ["xs"], axes=[1]),
        helper.make_node("Split", ["xs"], ["a", "b"], axis=2, split=[2, 4]),
        helper.make_node("ReduceSum", ["b"], ["bs"], axes=[2], keepdims=1),
        helper.make_node("ReduceMax", ["a"], ["am"], axes=[-1], keepdims=0),
        helper.make_node("Pad", ["a", "pads", "pv"], ["ap"], mode="constant"),
        helper.make_node("Slice", ["ap", "starts", "ends", "axes", "steps"], ["sl"]),
        helper.make_node("Unsqueeze", ["sl"], ["sl4"], axes=[1]),
        helper.make_node("Resize", ["sl4", "roi", "scales"], ["rs"], mode="nearest",
                         coordinate_transformation_mode="half_pixel", nearest_mode="round_prefer_ceil"),
        helper.make_node("Clip", ["rs", "lo", "hi"], ["clipped"]),
        helper.make_node("Mul", ["bs", "am_u"], ["prod"]),
        helper.make_node("Unsqueeze", ["am"], ["am_u"], axes=[2]),
    ]
    nodes = topo_sort(nodes, {"x", "pads", "pv", "starts", "ends", "axes", "steps", "roi", "scales", "lo", "hi"})
    inits = [c64("pads", [0, 1, 0, 0, 1, 2]), cf("pv", 0.25), c64("starts", [1, -1]), c64("ends", [100, -100]),
             c64("axes", [1, 2]), c64("steps", [1, -1]), cf("roi", []), cf("scales", [1, 1, 2, 1.5]), cf("lo", -0.3), cf("hi", 0.6)]
    outs = [helper.make_tensor_value_info(n, F, None) for n in ["clipped", "prod"]]
    save("shape_ops_opset11", nodes, [x], outs, inits, 11,
         {"main": {"x": fin([2, 4, 6])}, "shape2": {"x": fin([1, 4, 6])}})


def reductions():
    """Reductions (opset 18: axes as input), ArgMax/ArgMin (select_last_index), TopK, CumSum, CastLike."""
    x = helper.make_tensor_value_info("x", F, ["N", 6, 10])
    nodes = [
        helper.make_node("ReduceSum", ["x", "ax_last"], ["r_sum"], keepdims=1),
        helper.make_node("ReduceMean", ["x", "ax_1"], ["r_mean"], keepdims=0),
        helper.make_node("ReduceMax", ["x", "ax_12"], ["r_max"], keepdims=0),
        helper.make_node("ReduceMin", ["x"], ["r_min"], keepdims=1),
        helper.make_node("ReduceProd", ["x_small", "ax_1"], ["r_prod"], keepdims=1),
        helper.make_node("Mul", ["x", "f_half"], ["x_small"]),
        helper.make_node("ReduceL2", ["x", "ax_last"], ["r_l2"], keepdims=0),
        helper.make_node("ReduceL1", ["x", "ax_1"], ["r_l1"], keepdims=0),
        helper.make_node("ReduceLogSumExp", ["x", "ax_last"], ["r_lse"], keepdims=0),
        helper.make_node("ReduceSumSquare", ["x", "ax_1"], ["r_ss"], keepdims=0),
        helper.make_node("ReduceSum", ["x", "empty_axes"], ["r_noop"], keepdims=1, noop_with_empty_axes=1),
        helper.make_node("ArgMax", ["x"], ["amax"], axis=-1, keepdims=0),
        helper.make_node("ArgMin", ["x_round"], ["amin"], axis=1, keepdims=1, select_last_index=1),
        helper.make_node("Round", ["x2"], ["x_round"]),
        helper.make_node("Mul", ["x", "f_two"], ["x2"]),
        helper.make_node("TopK", ["x", "k3"], ["top_v", "top_i"], axis=-1, largest=1, sorted=1),
        helper.make_node("TopK", ["x", "k2"], ["low_v", "low_i"], axis=1, largest=0, sorted=1),
        helper.make_node("CumSum", ["x", "ax_s1"], ["cs"]),
        helper.make_node("Abs", ["x"], ["x_abs"]),
        helper.make_node("ReduceLogSum", ["x_abs", "ax_1"], ["r_ls"], keepdims=0),
        helper.make_node("CastLike", ["amax", "x"], ["amax_f"]),
        helper.make_node("CumSum", ["x", "ax_s2"], ["cs_rev"], exclusive=1, reverse=1),
    ]
    nodes = topo_sort(nodes, {"x", "ax_last", "ax_1", "ax_12", "f_half", "empty_axes", "f_two", "k3", "k2", "ax_s1", "ax_s2"})
    inits = [c64("ax_last", [-1]), c64("ax_1", [1]), c64("ax_12", [1, 2]), cf("f_half", 0.5), c64("empty_axes", []),
             cf("f_two", 2.0), c64("k3", [3]), c64("k2", [2]), numpy_helper.from_array(np.array(1, np.int32), "ax_s1"),
             c64("ax_s2", -1)]
    names = ["r_sum", "r_mean", "r_max", "r_min", "r_prod", "r_l2", "r_l1", "r_lse", "r_ss", "r_noop", "amax", "amin",
             "top_v", "top_i", "low_v", "low_i", "cs", "cs_rev", "r_ls", "amax_f"]
    ranks = {"r_sum": 3, "r_mean": 2, "r_max": 1, "r_min": 3, "r_prod": 3, "r_l2": 2, "r_l1": 2, "r_lse": 2, "r_ss": 2,
             "r_noop": 3, "amax": 2, "amin": 3, "top_v": 3, "top_i": 3, "low_v": 3, "low_i": 3, "cs": 3, "cs_rev": 3, "r_ls": 2, "amax_f": 2}
    outs = [helper.make_tensor_value_info(n, I64 if n in ("amax", "amin", "top_i", "low_i") else F, [None] * ranks[n])
            for n in names]
    save("reductions", nodes, [x], outs, inits, 18,
         {"main": {"x": fin([2, 6, 10], -2, 2)}, "shape2": {"x": fin([4, 6, 10], -2, 2)}})


def logic_cast():
    """Comparisons, logic, Where, Cast between float/int/bool, elementwise math and variadic Max/Min/Mean."""
    a = helper.make_tensor_value_info("a", F, ["N", 5])
    b = helper.make_tensor_value_info("b", F, [1, 5])
    nodes = [
        helper.make_node("Round", ["a"], ["ar"]),
        helper.make_node("Round", ["b"], ["br"]),
        helper.make_node("Equal", ["ar", "br"], ["eq"]),
        helper.make_node("Greater", ["a", "b"], ["gt"]),
        helper.make_node("Less", ["a", "zero"], ["lt0"]),
        helper.make_node("GreaterOrEqual", ["ar", "br"], ["ge"]),
        helper.make_node("LessOrEqual", ["a", "b"], ["le"]),
        helper.make_node("And", ["gt", "lt0"], ["and"]),
        helper.make_node("Or", ["eq", "lt0"], ["or"]),
        helper.make_node("Xor", ["ge", "le"], ["xor"]),
        helper.make_node("Not", ["xor"], ["nxor"]),
        helper.make_node("Where", ["or", "a", "b"], ["sel"]),
        helper.make_node("Cast", ["a"], ["a_i32"], to=TensorProto.INT32),
        helper.make_node("Cast", ["a_i32"], ["a_i64"], to=I64),
        helper.make_node("Cast", ["and"], ["and_f"], to=F),
        helper.make_node("Cast", ["sel"], ["sel_b"], to=TensorProto.BOOL),
        helper.make_node("Cast", ["abs"], ["a_u8"], to=TensorProto.UINT8),
        helper.make_node("Abs", ["a"], ["abs"]),
        helper.make_node("Sqrt", ["abs"], ["sqrt"]),
        helper.make_node("Add", ["abs", "one"], ["abs1"]),
        helper.make_node("Log", ["abs1"], ["log"]),
        helper.make_node("Exp", ["b"], ["exp"]),
        helper.make_node("Pow", ["abs1", "b"], ["pow"]),
        helper.make_node("Reciprocal", ["abs1"], ["recip"]),
        helper.make_node("Floor", ["a"], ["floor"]),
        helper.make_node("Ceil", ["a"], ["ceil"]),
        helper.make_node("Sign", ["a"], ["sign"]),
        helper.make_node("Neg", ["a"], ["neg"]),
        helper.make_node("Softsign", ["a"], ["fmod"]),
        helper.make_node("Mul", ["a_i64", "three"], ["imod"]),
        helper.make_node("Max", ["a", "b", "floor"], ["vmax"]),
        helper.make_node("Min", ["a", "b"], ["vmin"]),
        helper.make_node("Mean", ["a", "b", "ceil"], ["vmean"]),
        helper.make_node("Sum", ["sqrt", "log", "exp", "pow", "recip", "sign", "neg", "fmod", "vmax", "vmin", "vmean",
                                 "and_f"], ["math"]),
        helper.make_node("Softplus", ["a"], ["softplus"]),
        helper.make_node("Selu", ["a"], ["selu"]),
        helper.make_node("Elu", ["a"], ["elu"], alpha=0.7),
        helper.make_node("PRelu", ["a", "slope"], ["prelu"]),
        helper.make_node("Sin", ["a"], ["sin"]),
        helper.make_node("Cos", ["a"], ["cos"]),
        helper.make_node("Sum", ["softplus", "selu", "elu", "prelu", "sin", "cos"], ["act"]),
    ]
    inits = [cf("zero", 0.0), cf("one", 1.0), c64("three", 3), cf("slope", [0.1, 0.2, 0.3, 0.4, 0.5])]
    outs = [helper.make_tensor_value_info("nxor", TensorProto.BOOL, ["N", 5]),
            helper.make_tensor_value_info("sel_b", TensorProto.BOOL, ["N", 5]),
            helper.make_tensor_value_info("a_u8", TensorProto.UINT8, ["N", 5]),
            helper.make_tensor_value_info("imod", I64, ["N", 5]),
            helper.make_tensor_value_info("math", F, ["N", 5]),
            helper.make_tensor_value_info("act", F, ["N", 5])]
    save("logic_cast", nodes, [a, b], outs, inits, 13,
         {"main": {"a": fin([4, 5], -3, 3), "b": fin([1, 5], -2, 2)},
          "shape2": {"a": fin([7, 5], -3, 3), "b": fin([1, 5], -2, 2)}})


def upsample_opset9():
    """Upsample (deprecated after opset 9, still in old exporters' models): nearest and linear, scales input."""
    x = helper.make_tensor_value_info("x", F, ["N", 2, "H", "W"])
    nodes = [helper.make_node("Upsample", ["x", "sc_near"], ["near"], mode="nearest"),
             helper.make_node("Upsample", ["x", "sc_lin"], ["lin"], mode="linear")]
    inits = [cf("sc_near", [1, 1, 2, 3]), cf("sc_lin", [1, 1, 2, 2])]
    outs = [helper.make_tensor_value_info(n, F, [None] * 4) for n in ["near", "lin"]]
    save("upsample_opset9", nodes, [x], outs, inits, 9,
         {"main": {"x": fin([1, 2, 3, 4])}, "shape2": {"x": fin([2, 2, 5, 3])}})


if __name__ == "__main__":
    cnn_ops()
    transformer_block()
    rnn_models()
    if_model()
    shape_arith()
    shape_ops_opset11()
    reductions()
    logic_cast()
    upsample_opset9()
