#!/usr/bin/python3
"""Writes small seed models for the ONNX reader fuzzer into tests/fuzz/corpus (run with Debian's
/usr/bin/python3, which has the onnx package). Each seed exercises a different part of the format."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
os.makedirs(out, exist_ok=True)


def save(name, graph, opsets=(("", 17),), ir=8):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets],
                          producer_name="seed")
    m.ir_version = ir
    with open(os.path.join(out, "seed_" + name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())


x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, None])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)

# 1. The smallest useful model.
save("relu", helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y]))

# 2. Every attribute type on one node (+ typed-field and raw tensors).
body = helper.make_graph([helper.make_node("Neg", ["v"], ["nv"])], "body",
                         [helper.make_tensor_value_info("v", TensorProto.FLOAT, [2])],
                         [helper.make_tensor_value_info("nv", TensorProto.FLOAT, [2])])
attrs = dict(f=1.5, i=-7, s=b"text", t=helper.make_tensor("t", TensorProto.INT64, [2], [3, -4]), g=body,
             floats=[1.0, 2.5], ints=[1, -2, 1 << 40], strings=[b"a", b""],
             tensors=[numpy_helper.from_array(np.arange(4, dtype=np.uint8)),
                      helper.make_tensor("h", TensorProto.FLOAT16, [2], [1.0, 2.0])],
             graphs=[body, body])
save("attributes", helper.make_graph([helper.make_node("Custom", ["x"], ["y"], domain="my.domain", **attrs)], "g",
                                     [x], [y]), opsets=(("", 17), ("my.domain", 1)))

# 3. If with branches that use outer-scope values, one through a nested If.
c = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
then_g = helper.make_graph([helper.make_node("Add", ["a", "x"], ["t"])], "then", [],
                           [helper.make_tensor_value_info("t", TensorProto.FLOAT, None)])
inner = helper.make_graph([helper.make_node("Identity", ["a"], ["n"])], "inner", [],
                          [helper.make_tensor_value_info("n", TensorProto.FLOAT, None)])
else_g = helper.make_graph([helper.make_node("If", ["c"], ["e"], then_branch=inner, else_branch=inner)], "else", [],
                           [helper.make_tensor_value_info("e", TensorProto.FLOAT, None)])
save("if_outer_scope", helper.make_graph(
    [helper.make_node("Relu", ["x"], ["a"]), helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)],
    "g", [c, x], [y]))

# 4. Loop with a body graph, omitted optional input, initializer used from the body.
loop_body = helper.make_graph(
    [helper.make_node("Add", ["acc", "step"], ["acc_out"]), helper.make_node("Identity", ["cond_in"], ["cond_out"])],
    "body", [helper.make_tensor_value_info("iter", TensorProto.INT64, []),
             helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
             helper.make_tensor_value_info("acc", TensorProto.FLOAT, [2])],
    [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
     helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [2])])
save("loop", helper.make_graph(
    [helper.make_node("Loop", ["n", "", "init"], ["final"], body=loop_body)], "g",
    [helper.make_tensor_value_info("n", TensorProto.INT64, []), helper.make_tensor_value_info("init", TensorProto.FLOAT, [2])],
    [helper.make_tensor_value_info("final", TensorProto.FLOAT, [2])],
    initializer=[numpy_helper.from_array(np.ones(2, np.float32), "step")]))

# 5. Initializers of every dtype, in typed fields (make_tensor without raw) and raw_data.
inits = []
for i, (dt, npdt) in enumerate([(TensorProto.FLOAT, np.float32), (TensorProto.INT32, np.int32),
                                (TensorProto.INT64, np.int64), (TensorProto.DOUBLE, np.float64),
                                (TensorProto.UINT64, np.uint64), (TensorProto.UINT32, np.uint32),
                                (TensorProto.INT8, np.int8), (TensorProto.UINT8, np.uint8),
                                (TensorProto.INT16, np.int16), (TensorProto.UINT16, np.uint16),
                                (TensorProto.BOOL, np.bool_)]):
    vals = (np.arange(6) % 2).astype(npdt)
    inits.append(helper.make_tensor("typed%d" % i, dt, [2, 3], vals.tolist()))
    inits.append(helper.make_tensor("raw%d" % i, dt, [2, 3], vals.tobytes(), raw=True))
save("dtypes", helper.make_graph([helper.make_node("Identity", ["typed0"], ["y"])], "g", [], [y], initializer=inits))

# 6. Opset 8 style: initializers also listed as inputs; value_info with symbolic dims.
w = numpy_helper.from_array(np.ones((3, 3), np.float32), "w")
save("opset8", helper.make_graph(
    [helper.make_node("MatMul", ["x2", "w"], ["h"]), helper.make_node("Relu", ["h"], ["y"])], "g",
    [helper.make_tensor_value_info("x2", TensorProto.FLOAT, ["batch", 3]),
     helper.make_tensor_value_info("w", TensorProto.FLOAT, [3, 3])], [y], initializer=[w],
    value_info=[helper.make_tensor_value_info("h", TensorProto.FLOAT, ["batch", 3])]), opsets=(("", 8),), ir=3)
print("seeds written to", out)
