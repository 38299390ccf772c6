#!/usr/bin/python3
"""Write ONNX fixtures with ONNX's own Python writer (Debian's python3-onnx).

    make_fixtures.py OUTDIR

writes into OUTDIR:
  types.onnx           one initializer per tensor type accc reads, in raw
                       storage (raw_<TYPE>) and in typed fields (typed_<TYPE>);
                       types.<name>.npy holds the values each must read as
  external.onnx/.bin   initializers saved as external data by onnx.save_model;
                       external.<name>.npy the values
  attributes.onnx      a node with an attribute of every kind
  unsupported.onnx     STRING and UINT64 initializers, which accc rejects
  conv.onnx            a small conv + relu model, one opset import
  tensor_f16.pb        a standalone TensorProto, as in ONNX test data sets
  tensor.h.npy         its values

tests/unit/onnx/test_fixtures.c reads them back. The seed corpus of the
fuzz target (tests/fuzz/corpus/onnx/) was made with --seeds DIR, which writes
the small ones without their .npy files.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SHAPE = (2, 3)

# ONNX type -> (NumPy values as ONNX holds them, NumPy type of what accc reads)
TYPES = {
    "FLOAT": (np.array([1.5, -2, 0, 1e-30, 3.4e38, -7.25], np.float32), np.float32),
    "UINT8": (np.array([0, 255, 7, 1, 2, 128], np.uint8), np.uint8),
    "INT8": (np.array([-128, 127, 0, -1, 5, 9], np.int8), np.int8),
    "UINT16": (np.array([0, 65535, 300, 1, 2, 40000], np.uint16), np.int32),
    "INT16": (np.array([-32768, 32767, -1, 0, 12, -12], np.int16), np.int32),
    "INT32": (np.array([-2**31, 2**31 - 1, 5, 0, -5, 77], np.int32), np.int32),
    "INT64": (np.array([-2**63, 2**63 - 1, 5, 0, -5, 2**40], np.int64), np.int64),
    "BOOL": (np.array([True, False, True, True, False, False]), np.bool_),
    "FLOAT16": (np.array([1, -2.5, 65504, 0.000061035156, 0, -0.5], np.float16), np.float16),
    "DOUBLE": (np.array([1e300, -1 / 3, 0, 2.5, -1e-300, 7], np.float64), np.float64),
    "UINT32": (np.array([4294967295, 0, 1, 2**31, 5, 6], np.uint32), np.int64),
    # exactly representable in bfloat16, so no rounding is involved
    "BFLOAT16": (np.array([1, -3, 1.5, 0, 256, -0.125], np.float32), np.float32),
}


def bf16_bits(values):
    return (values.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)


def raw_tensor(name, type_name, values):
    code = getattr(TensorProto, type_name)
    if type_name == "BFLOAT16":
        data = bf16_bits(values).tobytes()
    else:
        data = values.tobytes()
    return helper.make_tensor(name, code, SHAPE, data, raw=True)


def typed_tensor(name, type_name, values):
    code = getattr(TensorProto, type_name)
    t = helper.make_tensor(name, code, SHAPE, values.reshape(SHAPE), raw=False)
    assert not t.HasField("raw_data")
    return t


def model(graph, opset=13):
    m = helper.make_model(graph, producer_name="accc-fixtures",
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def types_model(out, npy):
    inits = []
    for type_name, (values, acc_type) in TYPES.items():
        for form, make in (("raw", raw_tensor), ("typed", typed_tensor)):
            name = f"{form}_{type_name}"
            inits.append(make(name, type_name, values))
            if npy:
                np.save(os.path.join(out, f"types.{name}.npy"),
                        values.astype(acc_type).reshape(SHAPE))
    graph = helper.make_graph([], "types", [], [], initializer=inits)
    onnx.save_model(model(graph), os.path.join(out, "types.onnx"))


def external_model(out):
    arrays = {
        "w": np.arange(12, dtype=np.float32).reshape(3, 4) / 8,
        "idx": np.array([5, -4, 3, -2, 1], np.int64),
        "h": np.array([[1, 2], [3, -4]], np.float16),
        "mask": np.array([True, False, True]),
    }
    inits = [numpy_helper.from_array(a, n) for n, a in arrays.items()]
    graph = helper.make_graph([], "external", [], [], initializer=inits)
    onnx.save_model(model(graph), os.path.join(out, "external.onnx"),
                    save_as_external_data=True, all_tensors_to_one_file=True,
                    location="external.bin", size_threshold=0)
    for n, a in arrays.items():
        np.save(os.path.join(out, f"external.{n}.npy"), a)


def attributes_model(out):
    body = helper.make_graph(
        [helper.make_node("Relu", ["a"], ["b"])], "body",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("b", TensorProto.FLOAT, [4])])
    node = helper.make_node(
        "Custom", ["x", "", "y"], ["z"], name="every", domain="test.domain",
        f=0.25, i=-7, s="text", floats=[1.5, -2.0], ints=[3, -4, 5],
        strings=["a", "bc"],
        t=numpy_helper.from_array(np.array([[1, 2], [3, 4]], np.int32), "t"),
        tensors=[numpy_helper.from_array(np.array(2.5, np.float32), "t0")],
        g=body, graphs=[body, body])
    graph = helper.make_graph(
        [node], "attributes",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3]),
         helper.make_tensor_value_info("y", TensorProto.INT64, None)],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT16, [2, None])])
    m = model(graph)
    m.opset_import.append(helper.make_opsetid("test.domain", 1))
    onnx.save_model(m, os.path.join(out, "attributes.onnx"))


def unsupported_model(out):
    inits = [helper.make_tensor("names", TensorProto.STRING, [2], [b"a", b"b"]),
             helper.make_tensor("big", TensorProto.UINT64, [1], [2**64 - 1])]
    graph = helper.make_graph([], "unsupported", [], [], initializer=inits)
    onnx.save_model(model(graph), os.path.join(out, "unsupported.onnx"))


def conv_model(out):
    rng = np.random.default_rng(7)
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    b = np.array([0.5, -0.5, 1, 0], np.float32)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["y"])]
    graph = helper.make_graph(
        nodes, "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 5, 5])],
        initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    m = model(graph)
    onnx.checker.check_model(m)
    onnx.save_model(m, os.path.join(out, "conv.onnx"))


def tensor_pb(out, npy):
    h = np.array([[1, 2.5], [-3, 65504]], np.float16)
    with open(os.path.join(out, "tensor_f16.pb"), "wb") as f:
        f.write(numpy_helper.from_array(h, "h").SerializeToString())
    if npy:
        np.save(os.path.join(out, "tensor.h.npy"), h)


def main():
    args = sys.argv[1:]
    seeds = args[:1] == ["--seeds"]
    if seeds:
        args = args[1:]
    if len(args) != 1:
        sys.exit("usage: make_fixtures.py [--seeds] OUTDIR")
    out = args[0]
    os.makedirs(out, exist_ok=True)
    types_model(out, not seeds)
    attributes_model(out)
    conv_model(out)
    tensor_pb(out, not seeds)
    if not seeds:
        external_model(out)
        unsupported_model(out)


if __name__ == "__main__":
    main()
