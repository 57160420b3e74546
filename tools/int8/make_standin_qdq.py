#!/usr/bin/python3
"""A stand-in int8 model for the int8 evaluation pipeline until `edgeinfer quantize` exists: the MNIST
CNN (models/mnist/mnist_cnn.onnx) in QDQ form, as onnxruntime's static quantizer writes it: uint8
activations (asymmetric min/max over the calibration digits), int8 symmetric weights (per tensor, or per
output channel with --per-channel), int32 biases with scale = input scale * weight scale, and a
QuantizeLinear/DequantizeLinear pair after every Relu, MaxPool and the Gemm.

    /usr/bin/python3 tools/int8/make_standin_qdq.py [--per-channel] [OUT.onnx]
        default OUT: <int8 cache>/mnist/mnist_cnn.standin_qdq.onnx
    /usr/bin/python3 tools/int8/make_standin_qdq.py --weights-only IN.onnx OUT.onnx

Needs the calibration digits (models/mnist/train_mnist.py --data-only). Specific to the MNIST graph: the
activation ranges come from the numpy forward pass of train_mnist.py.

--weights-only works on any model: every float weight (initializer of rank >= 2) read as the weight of a
Conv, Gemm or MatMul becomes int8 symmetric + DequantizeLinear (per output channel from opset 13, per
tensor below, where DequantizeLinear has no axis); activations stay float. A plumbing stand-in for the
benchmark and the det agreement script, not a quantization recipe.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "models"))
sys.path.insert(0, os.path.join(ROOT, "models", "mnist"))
import int8_data  # noqa: E402
import train_mnist  # noqa: E402


def u8_params(lo, hi):
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = (hi - lo) / 255.0 or 1.0
    return np.float32(scale), np.uint8(np.clip(round(-lo / scale), 0, 255))


def weights_only(src_path, out):
    model = onnx.load(src_path)
    g = model.graph
    opset = max([o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] or [0])
    inits = {t.name: t for t in g.initializer}
    # Weights held by Constant nodes (paddle2onnx writes them so) count as initializers here.
    const_nodes = {}
    for n in g.node:
        if n.op_type == "Constant" and len(n.attribute) == 1 and n.attribute[0].name == "value":
            const_nodes[n.output[0]] = n
            inits.setdefault(n.output[0], n.attribute[0].t)
    targets = {}
    for n in g.node:
        if n.op_type in ("Conv", "Gemm", "MatMul") and len(n.input) > 1 and n.input[1] in inits:
            t = inits[n.input[1]]
            if t.data_type == TensorProto.FLOAT and len(t.dims) >= 2:
                # Output-channel axis of the weight: Conv 0, MatMul 1 (K x N), Gemm 0 with transB else 1.
                trans_b = any(a.name == "transB" and a.i for a in n.attribute)
                axis = 0 if n.op_type == "Conv" or (n.op_type == "Gemm" and trans_b) else len(t.dims) - 1
                targets.setdefault(n.input[1], axis)
    per_axis = opset >= 13
    new_nodes = []
    for name, axis in targets.items():
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        if per_axis:
            red = tuple(i for i in range(w.ndim) if i != axis)
            s = np.maximum(np.abs(w).max(axis=red) / 127.0, 1e-12).astype(np.float32)
            shape = [1] * w.ndim
            shape[axis] = -1
            q = np.clip(np.round(w / s.reshape(shape)), -127, 127).astype(np.int8)
            zp = np.zeros(s.shape, np.int8)
        else:
            s = np.float32(max(np.abs(w).max() / 127.0, 1e-12))
            q = np.clip(np.round(w / s), -127, 127).astype(np.int8)
            zp = np.int8(0)
        if name in const_nodes:
            g.node.remove(const_nodes[name])
        else:
            g.initializer.remove(inits[name])
        g.initializer.extend([numpy_helper.from_array(q, name + "_quantized"), numpy_helper.from_array(np.asarray(s), name + "_scale"),
                              numpy_helper.from_array(np.asarray(zp), name + "_zero_point")])
        attrs = {"axis": axis} if per_axis else {}
        new_nodes.append(helper.make_node("DequantizeLinear", [name + "_quantized", name + "_scale", name + "_zero_point"], [name],
                                          name=name + "_DequantizeLinear", **attrs))
    nodes = new_nodes + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    if opset < 10:
        sys.exit("make_standin_qdq.py: %s has opset %d; DequantizeLinear needs 10" % (src_path, opset))
    onnx.save(model, out)
    print("wrote %s (%d bytes): %d weights int8 %s" % (out, os.path.getsize(out), len(targets), "per channel" if per_axis else "per tensor"))


def main():
    if "--weights-only" in sys.argv[1:]:
        rest = [a for a in sys.argv[1:] if a != "--weights-only"]
        if len(rest) != 2:
            sys.exit("usage: make_standin_qdq.py --weights-only IN.onnx OUT.onnx")
        return weights_only(*rest)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    per_channel = "--per-channel" in sys.argv[1:]
    out = args[0] if args else os.path.join(int8_data.CACHE, "mnist", "mnist_cnn.standin_qdq.onnx")
    src = onnx.load(os.path.join(ROOT, "models", "mnist", "mnist_cnn.onnx"))
    p = {t.name: numpy_helper.to_array(t) for t in src.graph.initializer}
    cal_dir = os.path.join(int8_data.CACHE, "mnist", "calibration")
    digits = int8_data.read_calibration(cal_dir, "input")
    if not digits:
        sys.exit("make_standin_qdq.py: no calibration digits in %s (run models/mnist/train_mnist.py --data-only)" % cal_dir)
    x = np.concatenate(digits)
    logits, (_, a1, _, p1, _, a2, _, p2, _, _) = train_mnist.forward(p, x, keep=True)
    r1, r2 = np.maximum(a1, 0), np.maximum(a2, 0)
    act = {"input": u8_params(x.min(), x.max()), "relu1": u8_params(0, r1.max()),
           "relu2": u8_params(0, r2.max()), "logits": u8_params(logits.min(), logits.max())}

    inits, nodes = [], []

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def qdq(src_name, dst_name, key):
        s, z = act[key]
        const(dst_name + "_scale", s)
        const(dst_name + "_zp", z)
        nodes.append(helper.make_node("QuantizeLinear", [src_name, dst_name + "_scale", dst_name + "_zp"], [dst_name + "_q"], name=dst_name + "_Q"))
        nodes.append(helper.make_node("DequantizeLinear", [dst_name + "_q", dst_name + "_scale", dst_name + "_zp"], [dst_name], name=dst_name + "_DQ"))

    def weights(wname, bname, in_key):
        w = p[wname]
        axis_max = np.abs(w.reshape(w.shape[0], -1)).max(1) if per_channel else np.abs(w).max()
        ws = np.maximum(axis_max / 127.0, 1e-12).astype(np.float32)
        wq = np.clip(np.round(w / (ws.reshape(-1, *[1] * (w.ndim - 1)) if per_channel else ws)), -127, 127).astype(np.int8)
        bs = (act[in_key][0] * ws).astype(np.float32)
        bq = np.round(p[bname] / bs).astype(np.int32)
        attrs = {"axis": 0} if per_channel else {}
        const(wname + "_q", wq)
        const(wname + "_scale", ws)
        const(wname + "_zp", np.zeros(ws.shape, np.int8) if per_channel else np.int8(0))
        nodes.append(helper.make_node("DequantizeLinear", [wname + "_q", wname + "_scale", wname + "_zp"], [wname + "_dq"], name=wname + "_DQ", **attrs))
        const(bname + "_q", bq)
        const(bname + "_scale", bs)
        const(bname + "_zp", np.zeros(bs.shape, np.int32) if per_channel else np.int32(0))
        nodes.append(helper.make_node("DequantizeLinear", [bname + "_q", bname + "_scale", bname + "_zp"], [bname + "_dq"], name=bname + "_DQ", **attrs))
        return wname + "_dq", bname + "_dq"

    qdq("input", "input_dq", "input")
    w1, b1 = weights("w1", "b1", "input")
    nodes.append(helper.make_node("Conv", ["input_dq", w1, b1], ["conv1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"))
    qdq("relu1", "relu1_dq", "relu1")
    nodes.append(helper.make_node("MaxPool", ["relu1_dq"], ["pool1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]))
    qdq("pool1", "pool1_dq", "relu1")
    w2, b2 = weights("w2", "b2", "relu1")
    nodes.append(helper.make_node("Conv", ["pool1_dq", w2, b2], ["conv2"], name="conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", ["conv2"], ["relu2"], name="relu2"))
    qdq("relu2", "relu2_dq", "relu2")
    nodes.append(helper.make_node("MaxPool", ["relu2_dq"], ["pool2"], name="pool2", kernel_shape=[2, 2], strides=[2, 2]))
    qdq("pool2", "pool2_dq", "relu2")
    nodes.append(helper.make_node("Flatten", ["pool2_dq"], ["flat"], name="flatten", axis=1))
    wf, bf = weights("wf", "bf", "relu2")
    nodes.append(helper.make_node("Gemm", ["flat", wf, bf], ["fc"], name="fc", transB=1))
    qdq("fc", "logits", "logits")

    graph = helper.make_graph(nodes, "mnist_cnn_standin_qdq",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 28, 28])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="edgeinfer tools/int8/make_standin_qdq.py (stand-in)")
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    onnx.save(model, out)
    print("wrote %s (%d bytes, %s weights)" % (out, os.path.getsize(out), "per-channel" if per_channel else "per-tensor"))


if __name__ == "__main__":
    main()
