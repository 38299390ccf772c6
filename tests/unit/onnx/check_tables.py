#!/usr/bin/python3
"""Check frontend/onnx/proto.def and types.def against ONNX's own protobuf
descriptors (Debian's python3-onnx): every field number, every wire kind,
every data type number.

    check_tables.py FRONTEND_ONNX_DIR
"""
import os
import re
import sys

import onnx
from google.protobuf.descriptor import FieldDescriptor as FD

SCALAR_KIND = {
    FD.TYPE_INT32: "VARINT", FD.TYPE_INT64: "VARINT", FD.TYPE_UINT64: "VARINT",
    FD.TYPE_ENUM: "VARINT", FD.TYPE_BOOL: "VARINT",
    FD.TYPE_FLOAT: "I32", FD.TYPE_DOUBLE: "I64",
    FD.TYPE_STRING: "LEN", FD.TYPE_BYTES: "LEN", FD.TYPE_MESSAGE: "LEN",
}


def message(name):
    """TypeProto_Tensor -> onnx.TypeProto.Tensor's descriptor."""
    parts = name.split("_")
    desc = getattr(onnx, parts[0]).DESCRIPTOR
    for p in parts[1:]:
        desc = desc.nested_types_by_name[p]
    return desc


def main():
    src = sys.argv[1]
    problems = []
    rows = 0
    with open(os.path.join(src, "proto.def")) as f:
        for m in re.finditer(r"^FIELD\((\w+), (\w+), (\d+), (\w+)\)", f.read(), re.M):
            msg, name, number, kind = m.group(1), m.group(2), int(m.group(3)), m.group(4)
            rows += 1
            field = message(msg).fields_by_name.get(name)
            if field is None:
                problems.append(f"{msg}.{name}: no such field in onnx.proto")
                continue
            want = SCALAR_KIND[field.type]
            if field.label == FD.LABEL_REPEATED and want != "LEN":
                want = "REP_" + want
            if field.number != number or want != kind:
                problems.append(f"{msg}.{name}: proto.def says {number} {kind}, "
                                f"onnx.proto says {field.number} {want}")
    types = 0
    with open(os.path.join(src, "types.def")) as f:
        for m in re.finditer(r"^ONNX_TYPE\((\w+),\s*(\d+),", f.read(), re.M):
            types += 1
            want = onnx.TensorProto.DataType.Value(m.group(1))
            if want != int(m.group(2)):
                problems.append(f"types.def: {m.group(1)} is {m.group(2)}, ONNX says {want}")
    for p in problems:
        print("error: " + p)
    print(f"proto.def: {rows} fields, types.def: {types} types checked against ONNX "
          f"{onnx.__version__}")
    return 1 if problems or rows == 0 or types == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
