#!/usr/bin/python3
"""Weights and an ONNX model for the depfile tests (tests/lit/tools/depfile.test).

    make_dep_inputs.py DIR

writes DIR/w.npy and DIR/b.npy (for deps/model.g), and DIR/ext.onnx, an ONNX
model whose initializer W lives in the external data file DIR/ext.weights.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
np.save(os.path.join(out, "w.npy"), np.arange(4, dtype=np.float32))
np.save(os.path.join(out, "b.npy"), np.ones(4, dtype=np.float32))

W = np.arange(12, dtype=np.float32).reshape(4, 3)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "W"], ["y"])], "ext",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
    initializer=[numpy_helper.from_array(W, "W")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.save_model(model, os.path.join(out, "ext.onnx"), save_as_external_data=True,
                all_tensors_to_one_file=True, location="ext.weights", size_threshold=0)
