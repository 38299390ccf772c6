#!/usr/bin/python3
"""Models for the acc-onnx-dump lit tests, written with Debian's python3-onnx.

    make_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(model, name, **kw):
    onnx.save_model(model, os.path.join(out, name), **kw)


def model(graph, opsets=(("", 13),)):
    m = helper.make_model(graph, producer_name="lit", producer_version="0.1",
                          opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
    m.ir_version = 8
    return m


# mlp.onnx: y = relu(x @ W + B) * c, with a Constant and a custom-domain node.
W = (np.arange(12, dtype=np.float32).reshape(4, 3) - 6) / 4
B = np.array([0.5, -1, 2], np.float32)
mlp_nodes = [
    helper.make_node("MatMul", ["x", "W"], ["h"], name="mm"),
    helper.make_node("Add", ["h", "B"], ["a"], name="add"),
    helper.make_node("Relu", ["a"], ["r"], name="relu"),
    helper.make_node("Constant", [], ["c"], name="const",
                     value=numpy_helper.from_array(np.array(3, np.int64), "c")),
    helper.make_node("Scale", ["r", "c"], ["y"], name="scale", domain="com.example",
                     mode="fast", factors=[0.5, 2.0]),
]
mlp = model(helper.make_graph(
    mlp_nodes, "mlp",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
    initializer=[numpy_helper.from_array(W, "W"), numpy_helper.from_array(B, "B")]),
    opsets=(("", 13), ("com.example", 1)))
helper.set_model_props(mlp, {"author": "lit"})
save(mlp, "mlp.onnx")

# if.onnx: nested graphs.
then_g = helper.make_graph([helper.make_node("Identity", ["a"], ["t"])], "then_g", [],
                           [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2])])
else_g = helper.make_graph([helper.make_node("Neg", ["a"], ["e"])], "else_g", [],
                           [helper.make_tensor_value_info("e", TensorProto.FLOAT, [2])])
save(model(helper.make_graph(
    [helper.make_node("If", ["cond"], ["z"], then_branch=then_g, else_branch=else_g)], "branch",
    [helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
     helper.make_tensor_value_info("a", TensorProto.FLOAT, [2])],
    [helper.make_tensor_value_info("z", TensorProto.FLOAT, [2])])), "if.onnx")

# cut.onnx: mlp.onnx cut inside W's raw_data.
data = mlp.SerializeToString()
at = data.index(W.tobytes()) + 20
with open(os.path.join(out, "cut.onnx"), "wb") as f:
    f.write(data[:at])

# bad_varint.onnx: a Constant whose int64_data ends inside a varint.
t = TensorProto()  # no name, so int64_data is the last field
t.dims.append(2)
t.data_type = TensorProto.INT64
t.int64_data.extend([1, 5])
bad = model(helper.make_graph(
    [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Constant", [], ["k"], value=t)],
    "bad", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])]))
data = bytearray(bad.SerializeToString())
tb = t.SerializeToString()
assert tb.endswith(b"\x3a\x02\x01\x05")  # int64_data, packed: 1, 5
at = data.index(tb) + len(tb) - 1
data[at] = 0x85  # continuation bit set on the last byte
with open(os.path.join(out, "bad_varint.onnx"), "wb") as f:
    f.write(bytes(data))
with open(os.path.join(out, "bad_varint.offset"), "w") as f:
    f.write(f"{at}\n")

# strings.onnx: two tensors accc cannot read.
save(model(helper.make_graph(
    [], "strings", [], [],
    initializer=[helper.make_tensor("names", TensorProto.STRING, [1], [b"a"]),
                 helper.make_tensor("big", TensorProto.UINT64, [1], [7])])), "strings.onnx")

# external.onnx + weights.bin, and missing.onnx whose data file is absent.
ext = model(helper.make_graph([], "ext", [], [],
                              initializer=[numpy_helper.from_array(W, "W")]))
save(ext, "external.onnx", save_as_external_data=True, location="weights.bin",
     size_threshold=0)
ext = model(helper.make_graph([], "ext", [], [],
                              initializer=[numpy_helper.from_array(W, "W")]))
save(ext, "missing.onnx", save_as_external_data=True, location="gone.bin", size_threshold=0)
os.remove(os.path.join(out, "gone.bin"))

# Standalone tensors, as in ONNX test data sets.
for name, arr in (("i16", np.arange(-3, 3, dtype=np.int16).reshape(2, 3)),
                  ("f32", np.arange(20, dtype=np.float32) / 2)):
    with open(os.path.join(out, f"{name}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(arr, name).SerializeToString())
bf = helper.make_tensor("bf", TensorProto.BFLOAT16, [3], [1.0, -2.5, 0.25])
with open(os.path.join(out, "bf16.pb"), "wb") as f:
    f.write(bf.SerializeToString())

with open(os.path.join(out, "text.onnx"), "w") as f:
    f.write("hello, world\n")
