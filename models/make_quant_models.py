#!/usr/bin/python3
"""Generates the small quantized ONNX models under models/test/quant_*.onnx (with NAME.inputs.json, see
make_test_models.py) that cover every quantized operator edgeinfer runs, in QOperator form (QLinearConv,
QLinearMatMul, MatMulInteger, ConvInteger, DynamicQuantizeLinear and the com.microsoft QLinear* ops) and
in QDQ form (DequantizeLinear -> Conv/MatMul -> QuantizeLinear, run as written). Intermediate integer
tensors are graph outputs, so each operator's result is compared with onnxruntime-node.

Tolerance (written into inputs.json, copied by golden.mjs into the manifest): integer outputs within
1 unit (int_atol 1: requantization in float may round a tie differently), floats atol 1e-4 rtol 1e-3.

Run: /usr/bin/python3 models/make_quant_models.py [OUT_DIR]   (deterministic: fixed seed)
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "test")
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


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    qoperator_cnn()
    qoperator_matmul()
    qdq()
