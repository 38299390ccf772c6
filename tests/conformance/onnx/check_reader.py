#!/usr/bin/python3
"""Check accc's ONNX reader against ONNX's own reading of its test suite.

    check_reader.py --checker onnx-read-check [--in-scope in_scope_ops.txt]
                    [--verbose] SUITE_DIR

SUITE_DIR is what gen_node_tests.py generated. onnx-read-check (read_check.c)
reads every model.onnx and every test_data_set_*/*.pb with accc's reader
and prints a canonical summary: types and shapes, nodes, attributes with
their exact values, tensors with the CRC-32 of their converted data. This
script prints the same summary from ONNX's Python package (protobuf and
numpy_helper) and compares, record by record. It passes when

  - every model and every test data file was visited,
  - every summary is identical, and
  - the only errors are the expected ones: tensors of a type accc does not
    support (STRING, UINT64, complex), with the reader's "not supported"
    message; sequence, optional and map values are skipped by design.

It ends with the counts, and with how many node tests use only the ops of
in_scope_ops.txt (the ops the importer maps onto the tensor IR).
"""
import argparse
import glob
import os
import struct
import subprocess
import sys
import zlib
from collections import Counter

import numpy as np
import onnx
from onnx import AttributeProto, TensorProto, numpy_helper

# ONNX type -> (accc dtype name, NumPy type of the converted data); types
# not listed are not supported by accc.
ACC_TYPES = {
    TensorProto.FLOAT: ("f32", "<f4"),
    TensorProto.UINT8: ("u8", "u1"),
    TensorProto.INT8: ("i8", "i1"),
    TensorProto.UINT16: ("i32", "<i4"),
    TensorProto.INT16: ("i32", "<i4"),
    TensorProto.INT32: ("i32", "<i4"),
    TensorProto.INT64: ("i64", "<i8"),
    TensorProto.BOOL: ("bool", "u1"),
    TensorProto.FLOAT16: ("f16", "<f2"),
    TensorProto.DOUBLE: ("f64", "<f8"),
    TensorProto.UINT32: ("i64", "<i8"),
    TensorProto.BFLOAT16: ("bf16", None),
}

ATTR_NAMES = {
    AttributeProto.FLOAT: "float", AttributeProto.INT: "int", AttributeProto.STRING: "string",
    AttributeProto.TENSOR: "tensor", AttributeProto.GRAPH: "graph",
    AttributeProto.FLOATS: "floats", AttributeProto.INTS: "ints",
    AttributeProto.STRINGS: "strings", AttributeProto.TENSORS: "tensors",
    AttributeProto.GRAPHS: "graphs", AttributeProto.SPARSE_TENSOR: "sparse_tensor",
    AttributeProto.SPARSE_TENSORS: "sparse_tensors", AttributeProto.TYPE_PROTO: "type_proto",
    AttributeProto.TYPE_PROTOS: "type_protos",
}


class Unsupported(Exception):
    """A tensor accc must refuse, with its ONNX type name."""


def float_bits(x):
    return "%08x" % struct.unpack("<I", struct.pack("<f", x))[0]


def acc_data(t):
    """The bytes accc's reader must produce for TensorProto t."""
    if t.data_type not in ACC_TYPES:
        raise Unsupported(TensorProto.DataType.Name(t.data_type))
    a = numpy_helper.to_array(t)
    if t.data_type == TensorProto.BFLOAT16:  # to_array widens bf16 to f32 exactly
        return (np.asarray(a, np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
    return np.ascontiguousarray(a.astype(ACC_TYPES[t.data_type][1])).tobytes()


def tensor_str(t):
    dims = ",".join(str(d) for d in t.dims)
    crc = zlib.crc32(acc_data(t)) & 0xFFFFFFFF
    return f"{t.name}|{t.data_type}|{dims}|{ACC_TYPES[t.data_type][0]}|{crc:08x}"


def type_str(tp):
    which = tp.WhichOneof("value")
    if which in ("tensor_type", "sparse_tensor_type"):
        tt = getattr(tp, which)
        s = ("tensor" if which == "tensor_type" else "sparse") + f":{tt.elem_type}:"
        if not tt.HasField("shape"):
            return s + "*"
        dims = []
        for d in tt.shape.dim:
            kind = d.WhichOneof("value")
            if kind == "dim_param":
                dims.append("$" + d.dim_param)
            elif kind == "dim_value" and d.dim_value >= 0:
                dims.append(str(d.dim_value))
            else:
                dims.append("?")
        return s + "[" + ",".join(dims) + "]"
    if which in ("sequence_type", "optional_type"):
        inner = getattr(tp, which)
        elem = type_str(inner.elem_type) if inner.HasField("elem_type") else "none"
        return ("seq(" if which == "sequence_type" else "opt(") + elem + ")"
    if which == "map_type":
        m = tp.map_type
        value = type_str(m.value_type) if m.HasField("value_type") else "none"
        return f"map({m.key_type},{value})"
    return "none"


def attr_lines(a):
    head = f"  attr\t{a.name}\t{ATTR_NAMES[a.type]}\t"
    if a.type == AttributeProto.FLOAT:
        return [head + float_bits(a.f)]
    if a.type == AttributeProto.INT:
        return [head + str(a.i)]
    if a.type == AttributeProto.STRING:
        return [head + a.s.hex()]
    if a.type == AttributeProto.TENSOR:
        return [head + tensor_str(a.t)]
    if a.type == AttributeProto.FLOATS:
        return [head + ",".join(float_bits(x) for x in a.floats)]
    if a.type == AttributeProto.INTS:
        return [head + ",".join(str(x) for x in a.ints)]
    if a.type == AttributeProto.STRINGS:
        return [head + ",".join(s.hex() for s in a.strings)]
    if a.type == AttributeProto.TENSORS:
        return [head + ",".join(tensor_str(t) for t in a.tensors)]
    if a.type == AttributeProto.GRAPH:
        return [head] + graph_lines(a.g)
    if a.type == AttributeProto.GRAPHS:
        return [head + str(len(a.graphs))] + [l for g in a.graphs for l in graph_lines(g)]
    return [head]


def node_lines(nodes):
    lines = []
    for n in nodes:
        lines.append(f"  node\t{n.domain}\t{n.op_type}\t{n.name}\t"
                     f"{','.join(n.input)}\t{','.join(n.output)}")
        for a in n.attribute:
            lines += attr_lines(a)
    return lines


def graph_lines(g):
    lines = [f"  graph\t{g.name}"]
    for what, values in (("input", g.input), ("output", g.output),
                         ("value_info", g.value_info)):
        lines += [f"  {what}\t{v.name}\t{type_str(v.type)}" for v in values]
    lines += ["  init\t" + tensor_str(t) for t in g.initializer]
    return lines + node_lines(g.node) + ["  end"]


def model_lines(m):
    lines = [f"  ir_version\t{m.ir_version}"]
    lines += [f"  opset\t{o.domain}\t{o.version}" for o in m.opset_import]
    for f in m.functions:
        lines.append(f"  function\t{f.domain}\t{f.name}")
        lines += node_lines(f.node)
    return lines + graph_lines(m.graph)


def op_types(g):
    for n in g.node:
        yield n.domain, n.op_type
        for a in n.attribute:
            for sub in ([a.g] if a.type == AttributeProto.GRAPH else list(a.graphs)):
                yield from op_types(sub)


def parse_checker_output(text):
    """Records: (kind, rel, status, payload, summary lines)."""
    records = []
    for line in text.splitlines():
        if line.startswith("  "):
            records[-1][4].append(line)
            continue
        fields = line.split("\t", 3)
        while len(fields) < 4:
            fields.append("")
        records.append((fields[0], fields[1], fields[2], fields[3], []))
    return records


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--checker", required=True)
    p.add_argument("--in-scope")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("suite")
    args = p.parse_args()

    run = subprocess.run([args.checker, args.suite], capture_output=True, text=True)
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        print(f"FAIL: {args.checker} exited with status {run.returncode}")
        return 1
    records = parse_checker_output(run.stdout)

    failures = []
    counts = Counter()
    models = {}
    seen = set()
    for kind, rel, status, payload, summary in records:
        seen.add(rel)
        path = os.path.join(args.suite, rel)
        if kind == "model":
            m = onnx.load(path, load_external_data=False)
            models[os.path.dirname(rel)] = m
            try:
                want = model_lines(m)
            except Unsupported as e:
                if status == "ERROR" and "not supported" in payload:
                    counts["model unsupported " + str(e)] += 1
                else:
                    failures.append(f"{rel}: has a {e} tensor, but the reader said {status}")
                continue
            if status != "OK":
                failures.append(f"{rel}: {payload}")
            elif summary != want:
                diff = next(i for i, (a, b) in enumerate(zip(summary + [""], want + [""]))
                            if a != b)
                failures.append(f"{rel}: summaries differ at line {diff}:\n"
                                f"    accc: {(summary + ['(end)'])[diff]}\n"
                                f"    onnx: {(want + ['(end)'])[diff]}")
            else:
                counts["model ok"] += 1
            continue
        model = models[os.path.dirname(os.path.dirname(rel))]
        name = os.path.basename(rel)
        index = int(name.split("_")[1].split(".")[0])
        values = model.graph.input if name.startswith("input") else model.graph.output
        value_kind = values[index].type.WhichOneof("value")
        if kind == "value":
            want_kind = {"sequence_type": "sequence", "optional_type": "optional",
                         "map_type": "map"}.get(value_kind)
            if status == "SKIP" and payload == want_kind:
                counts["value " + payload] += 1
            else:
                failures.append(f"{rel}: reader said {status} {payload}; value is {value_kind}")
            continue
        t = TensorProto()
        with open(path, "rb") as f:
            t.ParseFromString(f.read())
        try:
            want = tensor_str(t)
        except Unsupported as e:
            if status == "ERROR" and f"{e} tensors are not supported" in payload:
                counts["tensor unsupported " + str(e)] += 1
            else:
                failures.append(f"{rel}: a {e} tensor, but the reader said {status} {payload}")
            continue
        if status != "OK":
            failures.append(f"{rel}: {payload}")
        elif payload != want:
            failures.append(f"{rel}:\n    accc: {payload}\n    onnx: {want}")
        else:
            counts["tensor ok " + TensorProto.DataType.Name(t.data_type)] += 1

    files = [os.path.relpath(f, args.suite) for pattern in
             ("node/*/model.onnx", "simple/*/model.onnx", "node/*/*/*.pb", "simple/*/*/*.pb")
             for f in glob.glob(os.path.join(args.suite, pattern))]
    missed = sorted(set(files) - seen)
    failures += [f"{rel}: not visited by the reader" for rel in missed]

    nmodels = sum(v for k, v in counts.items() if k.startswith("model"))
    ntensors = sum(v for k, v in counts.items() if k.startswith("tensor ok"))
    unsupported = {k.split()[-1]: v for k, v in counts.items() if "unsupported" in k}
    skipped = {k.split()[-1]: v for k, v in counts.items() if k.startswith("value")}
    print(f"ONNX {onnx.__version__} backend test data in {args.suite}:")
    print(f"  models:        {counts['model ok']} of {nmodels} read, identical to onnx")
    print(f"  tensors (.pb): {ntensors} read, identical to onnx ("
          + ", ".join(f"{k.split()[-1]} {v}" for k, v in sorted(counts.items())
                      if k.startswith("tensor ok")) + ")")
    print("  unsupported, as expected: "
          + (", ".join(f"{k} {v}" for k, v in sorted(unsupported.items())) or "none"))
    print("  not tensors, skipped:     "
          + (", ".join(f"{k} {v}" for k, v in sorted(skipped.items())) or "none"))

    if args.in_scope:
        in_scope = set()
        with open(args.in_scope) as f:
            for line in f:
                line = line.split("#")[0].split()
                if line:
                    in_scope.add(line[0])
        node_models = {k: m for k, m in models.items() if k.startswith("node/")}
        per_op = Counter()
        n_in = 0
        for m in node_models.values():
            ops = set(op_types(m.graph))
            if all(d in ("", "ai.onnx") and op in in_scope for d, op in ops):
                n_in += 1
                per_op.update(op for _, op in ops)
        print(f"  in scope for the importer: {n_in} of {len(node_models)} node tests use only "
              f"the {len(in_scope)} ops of {os.path.basename(args.in_scope)}")
        if args.verbose:
            for op in sorted(in_scope):
                print(f"    {op:28} {per_op[op]:4} tests")

    if failures:
        print(f"FAIL: {len(failures)} problems")
        for f in failures[:30]:
            print("  " + f)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
