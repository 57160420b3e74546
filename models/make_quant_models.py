#!/usr/bin/python3
"""Generates the small quantized ONNX models under models/test/quant_*.onnx (with NAME.inputs.json, see
make_test_models.py) that cover every quantized operator edgeinfer runs, in QOperator form (QLinearConv,
QLinearMatMul, MatMulInteger, ConvInteger, DynamicQuantizeLinear and the com.microsoft QLinear* ops) and
in QDQ form (DequantizeLinear -> op -> QuantizeLinear, which the runtime rewrites into integer operators:
quant_qdq, and quant_qdq_cnn covering every pattern of runtime/qdq_rewrite.cc). Intermediate integer
tensors are graph outputs, so each operator's result is compared with onnxruntime-node.

Tolerance (written into inputs.json, copied by golden.mjs into the manifest): integer outputs within
1 unit (int_atol 1: requantization in float may round a tie differently), floats atol 1e-4 rtol 1e-3.

Run: /usr/bin/python3 models/make_quant_models.py [OUT_DIR]   (deterministic: fixed seed)
     /usr/bin/python3 models/make_quant_models.py --bench DIR  (DIR/qdq_cnn_bench.onnx, 1x3x112x112, 32 channels)
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "--bench" else os.path.join(os.path.dirname(os.path.abspath(__file__)), "test")
RNG = np.random.RandomState(20261204)
F, U8, I8, I32 = TensorProto.FLOAT, TensorProto.UINT8, TensorProto.INT8, TensorProto.INT32
TOL = {"atol": 1e-4, "rtol": 1e-3, "int_atol": 1}


def t(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def f32(name, v):
    return t(name, np.array(v, dtype=np.float32))


def u8(name, v):
    return t(name, np.array(v, dtype=np.uint8))


def i8(name, v):
    return t(name, np.array(v, dtype=np.int8))


def rand_i8(*shape):
    return RNG.randint(-127, 128, size=shape).astype(np.int8)


def rand_u8(*shape):
    return RNG.randint(0, 256, size=shape).astype(np.uint8)


def out(name, elem):
    return helper.make_tensor_value_info(name, elem, None)


def save(name, nodes, inputs, outputs, inits, opset, cases):
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    # Outputs carry no shape (onnx.checker wants one); onnxruntime validates the models in golden.mjs.
    onnx.save(model, os.path.join(OUT, name + ".onnx"))
    with open(os.path.join(OUT, name + ".inputs.json"), "w") as f:
        json.dump({"opset": opset, "cases": cases, "tolerance": TOL}, f, indent=1)


def ms(name, op, inputs, outputs, **attrs):
    return helper.make_node(op, inputs, outputs, name=name, domain="com.microsoft", **attrs)


def qoperator_cnn():
    inits = [
        f32("xs", 0.01), u8("xz", 128),
        t("w1", rand_i8(6, 4, 3, 3)), f32("w1s", RNG.uniform(0.002, 0.01, 6)), i8("w1z", np.zeros(6)),
        f32("c1s", 0.05), u8("c1z", 120), t("b1", RNG.randint(-3000, 3000, 6).astype(np.int32)),
        t("w2", rand_u8(4, 3, 3, 3)), f32("w2s", 0.004), u8("w2z", 128), f32("c2s", 0.08), u8("c2z", 128),
        f32("lrs", 0.03), u8("lrz", 60), f32("sgs", 1.0 / 256), u8("sgz", 0),
        t("addc", rand_u8(6, 1, 1)), f32("addcs", 0.02), u8("addcz", 128), f32("ads", 0.04), u8("adz", 100),
        f32("mus", 0.01), u8("muz", 30), f32("gps", 0.005), u8("gpz", 10), f32("cts", 0.06), u8("ctz", 110),
        t("w3", rand_u8(5, 4, 2, 2)), u8("w3z", 120),
        f32("aps", 0.04), u8("apz", 125),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="q_x"),
        helper.make_node("QLinearConv", ["xq", "xs", "xz", "w1", "w1s", "w1z", "c1s", "c1z", "b1"], ["c1"],
                         name="conv_pads_strides_perchannel", pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("QLinearConv", ["c1", "c1s", "c1z", "w2", "w2s", "w2z", "c2s", "c2z"], ["c2"],
                         name="conv_group_dilation", group=2, dilations=[2, 2], pads=[2, 1, 2, 3]),
        helper.make_node("ConvInteger", ["xq", "w3", "xz", "w3z"], ["ci"], name="conv_integer", strides=[2, 1],
                         auto_pad="SAME_LOWER"),
        ms("leaky", "QLinearLeakyRelu", ["c1", "c1s", "c1z", "lrs", "lrz"], ["lr"], alpha=0.2),
        ms("sigmoid", "QLinearSigmoid", ["c1", "c1s", "c1z", "sgs", "sgz"], ["sg"]),
        ms("add_bcast", "QLinearAdd", ["lr", "lrs", "lrz", "addc", "addcs", "addcz", "ads", "adz"], ["ad"]),
        ms("mul", "QLinearMul", ["ad", "ads", "adz", "sg", "sgs", "sgz", "mus", "muz"], ["mu"]),
        ms("gap", "QLinearGlobalAveragePool", ["mu", "mus", "muz", "gps", "gpz"], ["gp"], channels_last=0),
        ms("concat", "QLinearConcat", ["cts", "ctz", "mu", "mus", "muz", "c1", "c1s", "c1z", "c2", "c2s", "c2z"],
           ["ct"], axis=1),
        ms("avgpool", "QLinearAveragePool", ["c1", "c1s", "c1z", "aps", "apz"], ["ap"], kernel_shape=[3, 3],
           strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1, ceil_mode=0),
        ms("avgpool_nhwc", "QLinearAveragePool", ["xq", "xs", "xz", "aps", "apz"], ["apl"], kernel_shape=[2, 3],
           strides=[1, 2], pads=[0, 1, 1, 0], channels_last=1),
        helper.make_node("DequantizeLinear", ["ct", "cts", "ctz"], ["y"], name="dq_out"),
    ]
    outs = [out("xq", U8), out("c1", U8), out("c2", U8), out("ci", I32), out("lr", U8), out("sg", U8),
            out("ad", U8), out("mu", U8), out("gp", U8), out("ct", U8), out("ap", U8), out("apl", U8), out("y", F)]
    save("quant_qoperator_cnn", nodes, [helper.make_tensor_value_info("x", F, [1, 4, 9, "W"])], outs, inits, 13,
         {"main": {"x": {"shape": [1, 4, 9, 9], "dtype": "float32", "low": -1.2, "high": 1.2}},
          "shape2": {"x": {"shape": [1, 4, 9, 12], "dtype": "float32", "low": -1.2, "high": 1.2}}})


def qoperator_matmul():
    inits = [
        f32("as", 0.02), i8("az", 3), t("b", rand_i8(8, 7)), f32("bs", 0.01), i8("bz", 0),
        f32("ys", 0.1), i8("yz", -5), t("bu", rand_u8(8, 5)), u8("buz", 120),
        f32("bcs", RNG.uniform(0.005, 0.02, 7).astype(np.float32)), t("bias", RNG.randn(7).astype(np.float32)),
        t("bm", rand_i8(8, 7)),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["a", "as", "az"], ["aq"], name="q_a"),
        helper.make_node("QLinearMatMul", ["aq", "as", "az", "b", "bs", "bz", "ys", "yz"], ["qmm"], name="qlinear_matmul"),
        helper.make_node("MatMulInteger", ["aq", "bm", "az"], ["mmi"], name="matmul_integer"),
        helper.make_node("DynamicQuantizeLinear", ["a"], ["dq", "dq_scale", "dq_zp"], name="dynamic_quantize"),
        helper.make_node("MatMulInteger", ["dq", "bu", "dq_zp", "buz"], ["mmu"], name="matmul_integer_u8"),
        ms("mm_to_float", "MatMulIntegerToFloat", ["aq", "b", "as", "bcs", "az", "", "bias"], ["mmf"]),
        ms("dyn_mm", "DynamicQuantizeMatMul", ["a", "bm", "bcs", "", "bias"], ["dmm"]),
    ]
    outs = [out("aq", I8), out("qmm", I8), out("mmi", I32), out("dq", U8), out("dq_scale", F), out("dq_zp", U8),
            out("mmu", I32), out("mmf", F), out("dmm", F)]
    save("quant_qoperator_matmul", nodes, [helper.make_tensor_value_info("a", F, ["B", 3, 5, 8])], outs, inits, 13,
         {"main": {"a": {"shape": [2, 3, 5, 8], "dtype": "float32", "low": -2, "high": 2.5}},
          "shape2": {"a": {"shape": [1, 3, 5, 8], "dtype": "float32", "low": -1, "high": 1}}})


def qdq():
    w = rand_i8(5, 3, 3, 3)
    wm = rand_i8(4, 6)
    inits = [
        f32("xs", 0.02), u8("xz", 128), t("w", w), f32("ws", RNG.uniform(0.002, 0.01, 5).astype(np.float32)),
        i8("wz", np.zeros(5)), f32("ys", 0.05), u8("yz", 100),
        f32("cs", RNG.uniform(0.01, 0.03, 3).astype(np.float32)), i8("cz", [1, -2, 0]),
        t("wm", wm), f32("wms", 0.01), i8("wmz", 0), f32("ms", 0.04), i8("mz", -3),
    ]
    nodes = [
        # Per-axis activations quantization with a negative axis (channel = -3).
        helper.make_node("QuantizeLinear", ["x", "cs", "cz"], ["xpa"], name="q_per_axis", axis=-3),
        helper.make_node("DequantizeLinear", ["xpa", "cs", "cz"], ["xpa_f"], name="dq_per_axis", axis=-3),
        helper.make_node("QuantizeLinear", ["xpa_f", "xs", "xz"], ["xq"], name="q_x"),
        helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["x_f"], name="dq_x"),
        helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["w_f"], name="dq_w", axis=0),
        helper.make_node("Conv", ["x_f", "w_f"], ["conv"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("QuantizeLinear", ["conv", "ys", "yz"], ["yq"], name="q_conv"),
        helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y_f"], name="dq_conv"),
        helper.make_node("DequantizeLinear", ["wm", "wms", "wmz"], ["wm_f"], name="dq_wm"),
        helper.make_node("MatMul", ["y_f", "wm_f"], ["mm"], name="matmul"),
        helper.make_node("QuantizeLinear", ["mm", "ms", "mz"], ["mq"], name="q_mm"),
    ]
    outs = [out("xpa", I8), out("xq", U8), out("yq", U8), out("mq", I8)]
    save("quant_qdq", nodes, [helper.make_tensor_value_info("x", F, [1, 3, 6, 4])], outs, inits, 19,
         {"main": {"x": {"shape": [1, 3, 6, 4], "dtype": "float32", "low": -2, "high": 2}}})


# ---------------------------------------------------------------- QDQ CNN (the QDQ rewrite's golden model)
def _conv(x, w, b, stride=1, pad=0, group=1):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    mg = m // group
    y = np.zeros((n, m, oh, ow), np.float64)
    for g in range(group):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg, i:i + stride * oh:stride, j:j + stride * ow:stride]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, w[g * mg:(g + 1) * mg, :, i, j])
    return y + b.reshape(1, -1, 1, 1)


def _avgpool3(x):  # kernel 3, stride 1, pads 1, count_include_pad 0
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ones = np.pad(np.ones_like(x), ((0, 0), (0, 0), (1, 1), (1, 1)))
    h, w = x.shape[2:]
    s = sum(xp[:, :, i:i + h, j:j + w] for i in range(3) for j in range(3))
    c = sum(ones[:, :, i:i + h, j:j + w] for i in range(3) for j in range(3))
    return s / c


def _act_params(v):
    """uint8 asymmetric parameters over the observed range (incl. 0), as onnxruntime's MinMax calibration."""
    lo, hi = min(float(v.min()), 0.0), max(float(v.max()), 0.0)
    scale = np.float32((hi - lo) / 255.0)
    return scale, int(np.clip(round(-lo / float(scale)), 0, 255))


def _weight_q(w, axis0=True):
    """int8 symmetric weights, per output channel (axis 0) or per tensor; returns (q, scales)."""
    if axis0:
        s = (np.abs(w.reshape(w.shape[0], -1)).max(axis=1) / 127.0).astype(np.float32)
        q = np.round(w / s.reshape((-1,) + (1,) * (w.ndim - 1))).astype(np.int8)
    else:
        s = np.float32(np.abs(w).max() / 127.0)
        q = np.round(w / s).astype(np.int8)
    return q, s


def qdq_cnn(name="quant_qdq_cnn", ch=8, hw=16, out_dir=None, calib_rng=None):
    """A QDQ CNN as onnxruntime's quantizer writes them (uint8 activations, int8 per-channel weights,
    int32 biases): 3x3 conv + Relu, depthwise strided conv + Clip(0, 6), pointwise conv, LeakyRelu,
    MaxPool, residual Add, Concat, AveragePool, Sigmoid, Mul, GlobalAveragePool, Flatten, Gemm (transB)
    + Relu, and a MatMul with a float output. Each unit is DQ -> op -> Q, which edgeinfer rewrites
    into integer operators; the integer tensors are graph outputs so every unit is compared."""
    rng = np.random.RandomState(7)
    f = {}
    w1 = rng.randn(ch, 3, 3, 3) * 0.3; b1 = rng.randn(ch) * 0.1
    w2 = rng.randn(ch, 1, 3, 3) * 0.4; b2 = rng.randn(ch) * 0.1
    w3 = rng.randn(ch, ch, 1, 1) * 0.35 * np.sqrt(8 / ch); b3 = rng.randn(ch) * 0.1
    wg = rng.randn(10, 2 * ch) * 0.3 * np.sqrt(8 / ch); bg = rng.randn(10) * 0.1
    wm = rng.randn(2 * ch, 4) * 0.3
    q1, s1 = _weight_q(w1); q2, s2 = _weight_q(w2); q3, s3 = _weight_q(w3)
    qg, sg = _weight_q(wg); qm, sm = _weight_q(wm, axis0=False)
    dq = lambda q, s: q.astype(np.float64) * (s.reshape((-1,) + (1,) * (q.ndim - 1)) if np.ndim(s) else s)
    # Calibration: a float forward pass with the dequantized weights on inputs like the golden ones.
    x = (calib_rng or RNG).uniform(-1.2, 1.2, (4, 3, hw, hw))
    f["x"] = x
    f["r1"] = np.maximum(_conv(x, dq(q1, s1), b1, pad=1), 0)
    f["r2"] = np.clip(_conv(f["r1"], dq(q2, s2), b2, stride=2, pad=1, group=8), 0, 6)
    c3 = _conv(f["r2"], dq(q3, s3), b3)
    f["c3"] = c3
    f["lr"] = np.where(c3 >= 0, c3, 0.1 * c3)
    n, c, h, w = f["r1"].shape
    f["mp"] = f["r1"].reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))
    f["ad"] = f["lr"] + f["mp"]
    f["cat"] = np.concatenate([f["ad"], f["mp"]], axis=1)
    f["ap"] = _avgpool3(f["cat"])
    f["sg"] = 1 / (1 + np.exp(-f["ap"]))
    f["mu"] = f["ap"] * f["sg"]
    f["gp"] = f["mu"].mean(axis=(2, 3), keepdims=True)
    fl = f["gp"].reshape(n, -1)
    f["gm"] = np.maximum(fl @ dq(qg, sg).T + bg, 0)
    p = {k: _act_params(v) for k, v in f.items()}
    p["mp"] = p["r1"]  # MaxPool keeps its input's parameters (onnxruntime's quantizer does the same)

    inits, nodes = [], []

    def qparams(name):
        s, z = p[name]
        inits.extend([f32(name + "_s", s), u8(name + "_z", z)])

    def q_dq(src, name, key=None):
        """Q(src) -> NAME_q (a graph output) and DQ -> NAME_f with the parameters of `key`."""
        key = key or name
        nodes.append(helper.make_node("QuantizeLinear", [src, key + "_s", key + "_z"], [name + "_q"], name="q_" + name))
        nodes.append(helper.make_node("DequantizeLinear", [name + "_q", key + "_s", key + "_z"], [name + "_f"],
                                      name="dq_" + name))

    def weight(name, q, s, axis=0, bias=None, x_scale=None):
        inits.extend([t(name, q), f32(name + "_s", s), t(name + "_z", np.zeros(np.shape(s), np.int8))])
        nodes.append(helper.make_node("DequantizeLinear", [name, name + "_s", name + "_z"], [name + "_f"],
                                      name="dq_" + name, axis=axis))
        if bias is None:
            return
        bs = (np.float32(x_scale) * s).astype(np.float32)
        inits.extend([t(name + "_b", np.round(bias / bs).astype(np.int32)), f32(name + "_bs", bs),
                      t(name + "_bz", np.zeros(bs.shape, np.int32))])
        nodes.append(helper.make_node("DequantizeLinear", [name + "_b", name + "_bs", name + "_bz"], [name + "_bf"],
                                      name="dq_" + name + "_b", axis=0))

    for k in ["x", "r1", "r2", "c3", "lr", "ad", "cat", "ap", "sg", "mu", "gp", "gm"]:
        qparams(k)
    q_dq("x", "x")
    weight("w1", q1, s1, bias=b1, x_scale=p["x"][0])
    nodes.append(helper.make_node("Conv", ["x_f", "w1_f", "w1_bf"], ["c1"], name="conv3x3", pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", ["c1"], ["c1r"], name="relu1"))
    q_dq("c1r", "r1")
    weight("w2", q2, s2, bias=b2, x_scale=p["r1"][0])
    nodes.append(helper.make_node("Conv", ["r1_f", "w2_f", "w2_bf"], ["c2"], name="depthwise", group=ch,
                                  strides=[2, 2], pads=[1, 1, 1, 1]))
    inits.extend([f32("clip_lo", 0.0), f32("clip_hi", 6.0)])
    nodes.append(helper.make_node("Clip", ["c2", "clip_lo", "clip_hi"], ["c2c"], name="clip6"))
    q_dq("c2c", "r2")
    weight("w3", q3, s3, bias=b3, x_scale=p["r2"][0])
    nodes.append(helper.make_node("Conv", ["r2_f", "w3_f", "w3_bf"], ["c3"], name="pointwise"))
    q_dq("c3", "c3")
    nodes.append(helper.make_node("LeakyRelu", ["c3_f"], ["lr"], name="leaky", alpha=0.1))
    q_dq("lr", "lr")
    nodes.append(helper.make_node("MaxPool", ["r1_f"], ["mp"], name="maxpool", kernel_shape=[2, 2], strides=[2, 2]))
    q_dq("mp", "mp", key="r1")
    nodes.append(helper.make_node("Add", ["lr_f", "mp_f"], ["ad"], name="residual"))
    q_dq("ad", "ad")
    nodes.append(helper.make_node("Concat", ["ad_f", "mp_f"], ["cat"], name="concat", axis=1))
    q_dq("cat", "cat")
    nodes.append(helper.make_node("AveragePool", ["cat_f"], ["ap"], name="avgpool", kernel_shape=[3, 3],
                                  pads=[1, 1, 1, 1]))
    q_dq("ap", "ap")
    nodes.append(helper.make_node("Sigmoid", ["ap_f"], ["sg"], name="sigmoid"))
    q_dq("sg", "sg")
    nodes.append(helper.make_node("Mul", ["ap_f", "sg_f"], ["mu"], name="swish"))
    q_dq("mu", "mu")
    nodes.append(helper.make_node("GlobalAveragePool", ["mu_f"], ["gp"], name="gap"))
    q_dq("gp", "gp")
    nodes.append(helper.make_node("Flatten", ["gp_f"], ["fl"], name="flatten"))
    q_dq("fl", "fl", key="gp")
    weight("wg", qg, sg, bias=bg, x_scale=p["gp"][0])
    nodes.append(helper.make_node("Gemm", ["fl_f", "wg_f", "wg_bf"], ["gm"], name="gemm", transB=1))
    nodes.append(helper.make_node("Relu", ["gm"], ["gmr"], name="relu_gemm"))
    q_dq("gmr", "gm")
    weight("wm", qm, sm)
    nodes.append(helper.make_node("MatMul", ["fl_f", "wm_f"], ["logits"], name="matmul_float_out"))
    outs = [out(n + "_q", U8) for n in ["x", "r1", "r2", "c3", "lr", "mp", "ad", "cat", "ap", "sg", "mu", "gp",
                                         "fl", "gm"]]
    outs += [out("gm_f", F), out("logits", F)]
    if out_dir:  # a benchmark model: only the final outputs
        graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", F, [1, 3, hw, hw])],
                                  [out("gm_f", F), out("logits", F)], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.save(model, os.path.join(out_dir, name + ".onnx"))
        return
    save(name, nodes, [helper.make_tensor_value_info("x", F, [1, 3, hw, "W"])], outs, inits, 13,
         {"main": {"x": {"shape": [1, 3, hw, hw], "dtype": "float32", "low": -1.2, "high": 1.2}},
          "shape2": {"x": {"shape": [1, 3, hw, 12], "dtype": "float32", "low": -1.2, "high": 1.2}}})


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--bench":
        # A larger QDQ CNN for `edgeinfer bench` (not committed): make_quant_models.py --bench DIR
        os.makedirs(sys.argv[2], exist_ok=True)
        qdq_cnn("qdq_cnn_bench", ch=32, hw=112, out_dir=sys.argv[2], calib_rng=np.random.RandomState(1))
        sys.exit(0)
    os.makedirs(OUT, exist_ok=True)
    qoperator_cnn()
    qoperator_matmul()
    qdq()
    qdq_cnn()
