#!/usr/bin/python3
"""Models for the importer's lit tests (import.test), written with Debian's
python3-onnx, and NumPy's values for them.

    make_import_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(3)


def save(graph, name, opset=13):
    m = helper.make_model(graph, producer_name="lit", opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.save_model(m, os.path.join(out, name))


# mlp.onnx: y = relu(x @ W + B) with a symbolic batch dimension N.
W = rng.standard_normal((8, 16)).astype(np.float32)
B = rng.standard_normal(16).astype(np.float32)
save(helper.make_graph(
    [helper.make_node("MatMul", ["x", "W"], ["h"], name="mm"),
     helper.make_node("Add", ["h", "B"], ["a"], name="bias"),
     helper.make_node("Relu", ["a"], ["y"], name="relu")],
    "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 16])],
    initializer=[numpy_helper.from_array(W, "W"), numpy_helper.from_array(B, "B")]), "mlp.onnx")
x = rng.standard_normal((2, 8)).astype(np.float32)
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "y.npy"), np.maximum(x @ W + B, 0))

# reshape.onnx: the shape is a graph input, to be frozen.
save(helper.make_graph(
    [helper.make_node("Reshape", ["x", "shape"], ["y"], name="r")], "reshape",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8]),
     helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]), "reshape.onnx")
np.save(os.path.join(out, "shape.npy"), np.array([4, -1], np.int64))
np.save(os.path.join(out, "x_reshaped.npy"), x.reshape(4, -1))

# unsupported.onnx: ops accc cannot import, some more than once.
save(helper.make_graph(
    [helper.make_node("NonZero", ["x"], ["a"], name="nz"),
     helper.make_node("TopK", ["x", "k"], ["v", "i"], name="top1"),
     helper.make_node("TopK", ["v", "k"], ["v2", "i2"], name="top2"),
     helper.make_node("Relu", ["v2"], ["y"])], "unsupported",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    initializer=[numpy_helper.from_array(np.array([2], np.int64), "k")]), "unsupported.onnx")

# cut.onnx: mlp.onnx cut inside the graph.
data = open(os.path.join(out, "mlp.onnx"), "rb").read()
open(os.path.join(out, "cut.onnx"), "wb").write(data[:len(data) // 2])

# double.onnx: a DOUBLE model; accc computes it in f32.
save(helper.make_graph(
    [helper.make_node("Mul", ["x", "two"], ["y"], name="m")], "double",
    [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [3])],
    [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [3])],
    initializer=[numpy_helper.from_array(np.array(2.0), "two")]), "double.onnx")
np.save(os.path.join(out, "x64.npy"), np.array([0.5, 1.25, -3.0]))
