#!/usr/bin/python3
"""Every body primitive on every dtype the IR allows it, as graphs for the
compiled differential test.

For each dtype a body computes in (f32, and f16/bf16 stored, computed in
f32; i8, u8, i32, i64; bool), one graph applies every scalar primitive of
the lowered form (the ops flagged IR_EW | IR_KERNEL in ir/ops.def, read
from there) that accepts the dtype to seeded inputs, one output per
primitive, casts the dtype to every other one, gathers with run-time
indices, and (numbers) reduces and takes argmax/argmin. difftest-compiled
--model compiles and runs each and compares it with the evaluator.

usage: gen_prims.py OPS_DEF OUTDIR
"""
import os
import re
import sys

OPS_DEF, OUT = sys.argv[1], sys.argv[2]
CLASSES = {"f32": "TF", "f16": "TF", "bf16": "TF", "i8": "TI", "u8": "TI", "i32": "TI",
           "i64": "TI", "bool": "TB"}
MEMBERS = {"TF": {"TF"}, "TI": {"TI"}, "TB": {"TB"}, "TN": {"TF", "TI"},
           "TA": {"TF", "TI", "TB"}}
N = 48

ops = []
for line in open(OPS_DEF):
    m = re.match(r'OP\((\w+),\s*"([^"]*)",\s*"[^"]*",\s*(\w+),\s*([^,]*),', line)
    if m and "IR_EW" in m.group(4) and "IR_KERNEL" in m.group(4):
        ops.append((m.group(1), m.group(2).split(), m.group(3)))

os.makedirs(OUT, exist_ok=True)
for dt, cls in CLASSES.items():
    outs, lines = [], []
    for name, ins, types in ops:
        if name == "cast":
            for to in CLASSES:
                if to != dt:
                    outs.append((f"cast_{to}", to))
                    lines.append(f"  %cast_{to}: {to}[{N}] = cast(%a, to={to})")
            continue
        if name == "where":
            outs.append(("where", dt))
            lines.append(f"  %where: {dt}[{N}] = where(%c, %a, %b)")
            continue
        if cls not in MEMBERS[types]:
            continue
        res = "bool" if name in ("equal", "less", "less_equal", "greater", "greater_equal",
                                 "is_nan") else dt
        args = ", ".join(["%a", "%b"][:len(ins)])
        outs.append((name, res))
        lines.append(f"  %{name}: {res}[{N}] = {name}({args})")
        if name == "mod" and cls != "TB":
            outs.append(("fmod", res))
            lines.append(f"  %fmod: {res}[{N}] = mod(%a, %b, fmod=true)")
    # run-time gathers (i32 and i64 indices) and, for numbers, reductions
    # and argmax/argmin of the dtype
    for name, idx in (("gather32", "%ix"), ("gather64", "%lx")):
        outs.append((name, f"{dt}[6]"))
        lines.append(f"  %{name}: {dt}[6] = gather(%a, {idx}, axis=0)")
    if cls != "TB":
        for red in ("reduce_sum", "reduce_prod", "reduce_max", "reduce_min"):
            outs.append((red, f"{dt}[1]"))
            lines.append(f"  %{red}: {dt}[1] = {red}(%a, axes=[0], keepdims=true)")
        for arg in ("argmax", "argmin"):
            outs.append((arg, "i64[]"))
            lines.append(f"  %{arg}: i64[] = {arg}(%a, axis=0, keepdims=false)")
    if dt in ("i32", "i64"):
        # wide operands: products that wrap, quotients of large values
        big = 300000007 if dt == "i64" else 40009
        lines.append(f"  %k: {dt}[] = constant(value={big})")
        lines.append(f"  %wa: {dt}[{N}] = mul(%a, %k)")
        lines.append(f"  %wb: {dt}[{N}] = mul(%b, %wa)")
        for name, expr in (("wdiv", "div(%wb, %a)"), ("wdiv2", "div(%wb, %wa)"),
                           ("wmod", "mod(%wb, %wa)"), ("wfmod", "mod(%wb, %b, fmod=true)"),
                           ("wmul", "mul(%wb, %wb)"), ("wpow", "pow(%a, %wa)"),
                           ("wless", "less(%wa, %wb)")):
            res = "bool" if name == "wless" else dt
            outs.append((name, res))
            lines.append(f"  %{name}: {res}[{N}] = {expr}")
        outs.append(("wcast", "f32"))
        lines.append(f"  %wcast: f32[{N}] = cast(%wb, to=f32)")
    head = (f"graph prims_{dt}(%a: {dt}[{N}], %b: {dt}[{N}], %c: bool[{N}], %ix: i32[6], "
            f"%lx: i64[6]) -> ("
            + ", ".join(f"{o}: {t}" if "[" in t else f"{o}: {t}[{N}]" for o, t in outs) + ") {")
    text = "\n".join([head] + lines + ["  return " + ", ".join(f"%{o}" for o, _ in outs), "}", ""])
    with open(os.path.join(OUT, f"prims_{dt}.ir"), "w") as f:
        f.write(text)
