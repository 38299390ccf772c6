#!/usr/bin/python3
"""Models for the importer's unit tests (test_import.c), written with
Debian's python3-onnx, and the values NumPy computes for them.

    make_import_fixtures.py OUTDIR

For each case NAME: NAME.onnx, NAME.x.npy (the input x, when it has one)
and NAME.y.npy, NAME.y1.npy, ... (the expected outputs, in order). Cases
named OP_opsetN compute the same thing at several opsets, where ONNX moved
attributes to inputs, so the test also checks that they agree.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(7)
F = TensorProto.FLOAT


def save(name, nodes, inputs, outputs, opset, inits=(), x=None, ys=(), ir_version=8,
         extra_opsets=(), more=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(graph, producer_name="accc-test", opset_imports=opsets)
    m.ir_version = ir_version
    onnx.save_model(m, os.path.join(OUT, name + ".onnx"))
    if x is not None:
        np.save(os.path.join(OUT, name + ".x.npy"), x)
    for i, v in enumerate(more):  # further inputs, in order
        np.save(os.path.join(OUT, f"{name}.x{i + 1}.npy"), v)
    for i, y in enumerate(ys):
        np.save(os.path.join(OUT, f"{name}.y{i if i else ''}.npy"), y)


def vi(name, shape, t=F):
    return helper.make_tensor_value_info(name, t, shape)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


x4 = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)

# ---- attribute-to-input migrations ----------------------------------------------------

# Slice: attributes before 10, inputs from 10 (with steps).
want = x4[:, 1:3, :, 4:0:-2]
save("slice_opset9", [helper.make_node("Slice", ["x"], ["y"], starts=[1, 0], ends=[3, 100],
                                       axes=[1, 3])],
     [vi("x", x4.shape)], [vi("y", None)], 9, x=x4, ys=[x4[:, 1:3]])
save("slice_opset13", [helper.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"])],
     [vi("x", x4.shape)], [vi("y", None)], 13,
     inits=[ints("s", [1, -1]), ints("e", [3, 0]), ints("a", [1, -1]), ints("st", [1, -2])],
     x=x4, ys=[want])

# Pad: attributes before 11, inputs from 11, axes from 18.
padded = np.pad(x4, [(0, 0), (0, 0), (1, 2), (0, 1)], constant_values=1.5)
save("pad_opset2", [helper.make_node("Pad", ["x"], ["y"], pads=[0, 0, 1, 0, 0, 0, 2, 1],
                                     value=1.5)],
     [vi("x", x4.shape)], [vi("y", None)], 2, x=x4, ys=[padded])
save("pad_opset11", [helper.make_node("Pad", ["x", "p", "v"], ["y"])],
     [vi("x", x4.shape)], [vi("y", None)], 11,
     inits=[ints("p", [0, 0, 1, 0, 0, 0, 2, 1]),
            numpy_helper.from_array(np.array(1.5, np.float32), "v")], x=x4, ys=[padded])
save("pad_opset18", [helper.make_node("Pad", ["x", "p", "v", "a"], ["y"])],
     [vi("x", x4.shape)], [vi("y", None)], 18,
     inits=[ints("p", [1, 0, 2, 1]), numpy_helper.from_array(np.array(1.5, np.float32), "v"),
            ints("a", [2, -1])], x=x4, ys=[padded])
save("pad_reflect_opset11", [helper.make_node("Pad", ["x", "p"], ["y"], mode="reflect")],
     [vi("x", x4.shape)], [vi("y", None)], 11, inits=[ints("p", [0, 0, 1, 2, 0, 0, 2, 1])],
     x=x4, ys=[np.pad(x4, [(0, 0), (0, 0), (1, 2), (2, 1)], mode="reflect")])

# Squeeze and Unsqueeze: axes an attribute before 13, an input from 13.
x1 = rng.standard_normal((3, 1, 4, 1)).astype(np.float32)
save("squeeze_opset11", [helper.make_node("Squeeze", ["x"], ["y"], axes=[-1])],
     [vi("x", x1.shape)], [vi("y", None)], 11, x=x1, ys=[x1[:, :, :, 0]])
save("squeeze_opset13", [helper.make_node("Squeeze", ["x", "a"], ["y"])],
     [vi("x", x1.shape)], [vi("y", None)], 13, inits=[ints("a", [3])], x=x1,
     ys=[x1[:, :, :, 0]])
save("unsqueeze_opset11", [helper.make_node("Unsqueeze", ["x"], ["y"], axes=[0, 3])],
     [vi("x", x1.shape)], [vi("y", None)], 11, x=x1, ys=[x1[None, :, :, None]])
save("unsqueeze_opset13", [helper.make_node("Unsqueeze", ["x", "a"], ["y"])],
     [vi("x", x1.shape)], [vi("y", None)], 13, inits=[ints("a", [3, 0])], x=x1,
     ys=[x1[None, :, :, None]])

# ReduceSum's axes became an input at 13, the other reductions' at 18.
save("reducesum_opset11", [helper.make_node("ReduceSum", ["x"], ["y"], axes=[1, 3], keepdims=0)],
     [vi("x", x4.shape)], [vi("y", None)], 11, x=x4, ys=[x4.sum(axis=(1, 3))])
save("reducesum_opset13", [helper.make_node("ReduceSum", ["x", "a"], ["y"], keepdims=0)],
     [vi("x", x4.shape)], [vi("y", None)], 13, inits=[ints("a", [1, 3])], x=x4,
     ys=[x4.sum(axis=(1, 3))])
save("reducemean_opset17", [helper.make_node("ReduceMean", ["x"], ["y"], axes=[-1])],
     [vi("x", x4.shape)], [vi("y", None)], 17, x=x4, ys=[x4.mean(axis=-1, keepdims=True)])
save("reducemean_opset18", [helper.make_node("ReduceMean", ["x", "a"], ["y"])],
     [vi("x", x4.shape)], [vi("y", None)], 18, inits=[ints("a", [-1])], x=x4,
     ys=[x4.mean(axis=-1, keepdims=True)])
save("reducesum_noop_opset13",
     [helper.make_node("ReduceSum", ["x", "a"], ["y"], noop_with_empty_axes=1)],
     [vi("x", x4.shape)], [vi("y", None)], 13, inits=[ints("a", [])], x=x4, ys=[x4])

# Split: sizes an attribute before 13, an input from 13, num_outputs from 18.
x6 = rng.standard_normal((2, 7)).astype(np.float32)
parts = [x6[:, :2], x6[:, 2:7]]
save("split_opset11", [helper.make_node("Split", ["x"], ["y", "z"], axis=1, split=[2, 5])],
     [vi("x", x6.shape)], [vi("y", None), vi("z", None)], 11, x=x6, ys=parts)
save("split_opset13", [helper.make_node("Split", ["x", "s"], ["y", "z"], axis=-1)],
     [vi("x", x6.shape)], [vi("y", None), vi("z", None)], 13, inits=[ints("s", [2, 5])],
     x=x6, ys=parts)
save("split_opset18", [helper.make_node("Split", ["x"], ["a", "b", "c"], axis=1, num_outputs=3)],
     [vi("x", x6.shape)], [vi("a", None), vi("b", None), vi("c", None)], 18, x=x6,
     ys=[x6[:, 0:3], x6[:, 3:6], x6[:, 6:7]])
save("split_equal_opset13", [helper.make_node("Split", ["x"], ["a", "b"], axis=0)],
     [vi("x", x6.shape)], [vi("a", None), vi("b", None)], 13, x=x6, ys=[x6[:1], x6[1:]])

# Clip: min and max attributes before 11, optional inputs from 11 (here
# min is omitted: "").
save("clip_opset6", [helper.make_node("Clip", ["x"], ["y"], max=0.5)],
     [vi("x", x4.shape)], [vi("y", None)], 6, x=x4, ys=[np.minimum(x4, 0.5)])
save("clip_opset11", [helper.make_node("Clip", ["x", "", "hi"], ["y"])],
     [vi("x", x4.shape)], [vi("y", None)], 11,
     inits=[numpy_helper.from_array(np.array(0.5, np.float32), "hi")], x=x4,
     ys=[np.minimum(x4, 0.5)])


# Softmax before 13 works on x flattened to 2-D at axis.
def softmax(v, axis):
    e = np.exp(v - v.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


x3 = rng.standard_normal((2, 3, 4)).astype(np.float32)
save("softmax_opset11", [helper.make_node("Softmax", ["x"], ["y"], axis=1)],
     [vi("x", x3.shape)], [vi("y", None)], 11, x=x3,
     ys=[softmax(x3.reshape(2, 12), 1).reshape(2, 3, 4)])
save("softmax_opset13", [helper.make_node("Softmax", ["x"], ["y"], axis=1)],
     [vi("x", x3.shape)], [vi("y", None)], 13, x=x3, ys=[softmax(x3, 1)])

# Dropout: the identity at inference, with an all-true mask.
save("dropout_opset10", [helper.make_node("Dropout", ["x"], ["y", "m"], ratio=0.3)],
     [vi("x", x3.shape)], [vi("y", None), vi("m", None, TensorProto.BOOL)], 10, x=x3,
     ys=[x3, np.ones(x3.shape, bool)])
save("dropout_opset12", [helper.make_node("Dropout", ["x", "r"], ["y"])],
     [vi("x", x3.shape)], [vi("y", None)], 12,
     inits=[numpy_helper.from_array(np.array(0.3, np.float32), "r")], x=x3, ys=[x3])

# Reshape with allowzero (14): a 0 is a size, not a copy.
xz = np.zeros((0, 3), np.float32)
save("reshape_allowzero_opset14", [helper.make_node("Reshape", ["x", "s"], ["y"], allowzero=1)],
     [vi("x", xz.shape)], [vi("y", None)], 14, inits=[ints("s", [3, 0])], x=xz,
     ys=[xz.reshape(3, 0)])

# ---- attributes resolved into the IR's explicit ones ----------------------------------

xc = rng.standard_normal((1, 2, 5, 6)).astype(np.float32)
w = rng.standard_normal((3, 2, 2, 3)).astype(np.float32)
for mode in ("SAME_UPPER", "SAME_LOWER"):
    save("conv_" + mode.lower(), [helper.make_node("Conv", ["x", "w"], ["y"], auto_pad=mode,
                                                   strides=[2, 1])],
         [vi("x", xc.shape)], [vi("y", None)], 13, inits=[numpy_helper.from_array(w, "w")])
save("maxpool_same_upper", [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 2],
                                              auto_pad="SAME_UPPER", strides=[2, 2])],
     [vi("x", xc.shape)], [vi("y", None)], 12)

# ---- constants -------------------------------------------------------------------------

consts = [
    helper.make_node("Constant", [], ["a"], value_float=2.5),
    helper.make_node("Constant", [], ["b"], value_floats=[1.0, -2.0]),
    helper.make_node("Constant", [], ["c"], value_int=7),
    helper.make_node("Constant", [], ["d"], value_ints=[3, -4, 5]),
    helper.make_node("Constant", [], ["e"],
                     value=numpy_helper.from_array(np.array([[0.1, 0.2]], np.float64))),
]
save("constants", consts,
     [], [vi("a", None), vi("b", None), vi("c", None, TensorProto.INT64),
          vi("d", None, TensorProto.INT64), vi("e", None)], 13,
     ys=[np.array(2.5, np.float32), np.array([1, -2], np.float32), np.array(7, np.int64),
         np.array([3, -4, 5], np.int64), np.array([[0.1, 0.2]], np.float32)])

# DOUBLE inputs and initializers are computed in f32.
xd = rng.standard_normal((2, 3))
save("double", [helper.make_node("Add", ["x", "b"], ["y"])],
     [vi("x", xd.shape, TensorProto.DOUBLE)], [vi("y", None, TensorProto.DOUBLE)], 13,
     inits=[numpy_helper.from_array(np.array([1.0, 2.0, 3.0]), "b")],
     x=xd.astype(np.float32), ys=[(xd.astype(np.float32) + np.float32([1, 2, 3]))])

# An initializer listed as a graph input too (IR version 3 style) is a constant.
wi = rng.standard_normal((5, 4)).astype(np.float32)
xm = rng.standard_normal((2, 5)).astype(np.float32)
save("init_as_input", [helper.make_node("MatMul", ["x", "w"], ["y"])],
     [vi("x", xm.shape), vi("w", wi.shape)], [vi("y", None)], 9,
     inits=[numpy_helper.from_array(wi, "w")], x=xm, ys=[xm @ wi], ir_version=3)

# Weights in an external data file beside the model, as onnx.save_model
# writes large models.
we = rng.standard_normal((5, 3)).astype(np.float32)
graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "external",
                          [vi("x", xm.shape)], [vi("y", None)],
                          initializer=[numpy_helper.from_array(we, "w")])
m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 8
onnx.save_model(m, os.path.join(OUT, "external_data.onnx"), save_as_external_data=True,
                all_tensors_to_one_file=True, location="external_data.bin", size_threshold=0)
np.save(os.path.join(OUT, "external_data.x.npy"), xm)
np.save(os.path.join(OUT, "external_data.y.npy"), xm @ we)

# ---- shape arithmetic folded into constants ---------------------------------------------

# x: [2, 3, 4, 5] -> reshape to [Shape(x)[0], -1] via Shape, Gather, Unsqueeze,
# Concat, as exporters write a flatten.
fold_nodes = [
    helper.make_node("Shape", ["x"], ["shp"]),
    helper.make_node("Gather", ["shp", "zero"], ["n"], axis=0),
    helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
    helper.make_node("Concat", ["n1", "minus1"], ["newshape"], axis=0),
    helper.make_node("Reshape", ["x", "newshape"], ["y"]),
]
save("fold_shape", fold_nodes, [vi("x", x4.shape)], [vi("y", None)], 13,
     inits=[ints("zero", 0), ints("ax0", [0]), ints("minus1", [-1])], x=x4,
     ys=[x4.reshape(2, -1)])

# ---- Einsum against numpy.einsum ---------------------------------------------------------

EINSUMS = [
    ("einsum_matmul", "ij,jk->ik", [(3, 4), (4, 5)]),
    ("einsum_implicit", "ij,jk", [(3, 4), (4, 5)]),
    ("einsum_ellipsis_broadcast", "...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("einsum_attention", "bhid,bhjd->bhij", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("einsum_three", "ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("einsum_trace", "ii", [(4, 4)]),
    ("einsum_diagonal_contract", "iij,jk->ik", [(3, 3, 4), (4, 2)]),
    ("einsum_hadamard", "ij,ij->ij", [(3, 4), (3, 4)]),
    ("einsum_outer_upper", "A,B->BA", [(3,), (4,)]),
    ("einsum_sum_all", "abc->", [(2, 3, 4)]),
]
for name, eq, shapes in EINSUMS:
    vals = [rng.standard_normal(sh).astype(np.float32) for sh in shapes]
    names = ["x"] + [f"x{i}" for i in range(1, len(vals))]
    want = np.einsum(eq, *[v.astype(np.float64) for v in vals]).astype(np.float32)
    save(name, [helper.make_node("Einsum", names, ["y"], equation=eq.replace(",", ", "))],
         [vi(n, v.shape) for n, v in zip(names, vals)], [vi("y", None)], 12, x=vals[0],
         ys=[want], more=vals[1:])
save("einsum_bad", [helper.make_node("Einsum", ["x"], ["y"], name="e", equation="ij->ik")],
     [vi("x", [2, 3])], [vi("y", None)], 12)

# ---- RNN, GRU, LSTM: directions, layout, activations, clip ---------------------------------
# ONNX's suite runs only the forward direction; these follow the formulas
# of the operator definitions, in float64.

def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def rnn_ref(kind, x, w, r, b, h0, c0=None, p=None, direction="forward", lbr=0, clip=None,
            acts=None):
    """x [seq, batch, in]; w [dirs, G*h, in]; r [dirs, G*h, h]; b [dirs, 2*G*h]."""
    seq, dirs, hid = x.shape[0], w.shape[0], r.shape[-1]
    ys, hs, cs = [], [], []
    for d in range(dirs):
        default = (np.tanh, None, None) if kind == "RNN" else (sigmoid, np.tanh, np.tanh)
        f, g, hh = acts[d] if acts else default
        wb, rb = np.split(b[d], 2)
        h, c = h0[d], (c0[d] if c0 is not None else None)
        backwards = direction == "reverse" or d == 1
        out = [None] * seq
        for t in (reversed(range(seq)) if backwards else range(seq)):
            xt = x[t]
            cl = (lambda v: np.clip(v, -clip, clip)) if clip else (lambda v: v)
            if kind == "RNN":
                h = f(cl(xt @ w[d].T + h @ r[d].T + wb + rb))
            elif kind == "GRU":
                wz, wr, wh = np.split(w[d], 3)
                rz, rr, rh = np.split(r[d], 3)
                wbz, wbr, wbh = np.split(wb, 3)
                rbz, rbr, rbh = np.split(rb, 3)
                z = f(cl(xt @ wz.T + h @ rz.T + wbz + rbz))
                rg = f(cl(xt @ wr.T + h @ rr.T + wbr + rbr))
                if lbr:
                    cand = g(cl(xt @ wh.T + rg * (h @ rh.T + rbh) + wbh))
                else:
                    cand = g(cl(xt @ wh.T + (rg * h) @ rh.T + rbh + wbh))
                h = (1 - z) * cand + z * h
            else:
                gates = xt @ w[d].T + h @ r[d].T + wb + rb
                gi, go, gf, gc = np.split(gates, 4, -1)
                pi, po, pf = np.split(p[d], 3) if p is not None else (0, 0, 0)
                i = f(gi + pi * c)
                fg = f(gf + pf * c)
                c = fg * c + i * g(gc)
                h = f(go + po * c) * hh(c)
            out[t] = h
        ys.append(np.stack(out))
        hs.append(h)
        cs.append(c)
    y = np.stack(ys, axis=1)  # [seq, dirs, batch, hidden]
    return y, np.stack(hs), (np.stack(cs) if kind == "LSTM" else None)


def rnn_case(name, kind, direction, seq=3, batch=2, inp=4, hid=3, layout=0, lbr=0, clip=None,
             acts=None, act_names=None, act_alpha=None, peepholes=False, opset=14):
    gates = {"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
    dirs = 2 if direction == "bidirectional" else 1
    x = rng.standard_normal((seq, batch, inp)).astype(np.float32)
    w = (rng.standard_normal((dirs, gates * hid, inp)) * 0.5).astype(np.float32)
    r = (rng.standard_normal((dirs, gates * hid, hid)) * 0.5).astype(np.float32)
    b = (rng.standard_normal((dirs, 2 * gates * hid)) * 0.2).astype(np.float32)
    h0 = (rng.standard_normal((dirs, batch, hid)) * 0.3).astype(np.float32)
    c0 = (rng.standard_normal((dirs, batch, hid)) * 0.3).astype(np.float32)
    p = (rng.standard_normal((dirs, 3 * hid)) * 0.3).astype(np.float32)
    f64 = lambda v: v.astype(np.float64)
    y, yh, yc = rnn_ref(kind, f64(x), f64(w), f64(r), f64(b), f64(h0),
                        f64(c0) if kind == "LSTM" else None, f64(p) if peepholes else None,
                        direction, lbr, clip, acts)
    inits = [numpy_helper.from_array(w, "W"), numpy_helper.from_array(r, "R"),
             numpy_helper.from_array(b, "B")]
    names = ["X", "W", "R", "B", "", "h0"]
    if layout:
        x = x.transpose(1, 0, 2)
        h0, c0 = h0.transpose(1, 0, 2), c0.transpose(1, 0, 2)
        y, yh = y.transpose(2, 0, 1, 3), yh.transpose(1, 0, 2)
        yc = yc.transpose(1, 0, 2) if yc is not None else None
    inits.append(numpy_helper.from_array(h0, "h0"))
    outs = ["Y", "Y_h"]
    ys = [y.astype(np.float32), yh.astype(np.float32)]
    if kind == "LSTM":
        names += ["c0"] + (["P"] if peepholes else [])
        inits.append(numpy_helper.from_array(c0, "c0"))
        if peepholes:
            inits.append(numpy_helper.from_array(p, "P"))
        outs.append("Y_c")
        ys.append(yc.astype(np.float32))
    attrs = {"direction": direction, "hidden_size": hid}
    if layout:
        attrs["layout"] = 1
    if lbr:
        attrs["linear_before_reset"] = 1
    if clip:
        attrs["clip"] = clip
    if act_names:
        attrs["activations"] = act_names
    if act_alpha:
        attrs["activation_alpha"] = act_alpha
    node = helper.make_node(kind, names, outs, **attrs)
    save(name, [node], [vi("X", x.shape)], [vi(o, None) for o in outs], opset, inits=inits,
         x=x, ys=ys)


leaky = lambda v: np.where(v >= 0, v, 0.1 * v)
rnn_case("rnn_bidirectional", "RNN", "bidirectional")
rnn_case("rnn_reverse_clip_leaky", "RNN", "reverse", clip=0.4, acts=[(leaky, None, None)],
         act_names=["LeakyRelu"], act_alpha=[0.1])
rnn_case("gru_reverse_lbr", "GRU", "reverse", lbr=1)
rnn_case("gru_bidirectional_layout1", "GRU", "bidirectional", layout=1)
rnn_case("lstm_bidirectional_peepholes", "LSTM", "bidirectional", peepholes=True)
rnn_case("lstm_reverse_layout1", "LSTM", "reverse", layout=1)
rnn_case("lstm_long", "LSTM", "forward", seq=300, batch=1, inp=2, hid=2)

# ---- --freeze and -D -----------------------------------------------------------------------

save("freeze", [helper.make_node("Reshape", ["x", "shape"], ["y"])],
     [vi("x", x4.shape), vi("shape", [2], TensorProto.INT64)], [vi("y", None)], 13, x=x4,
     ys=[x4.reshape(6, 20)])
np.save(os.path.join(OUT, "freeze.shape.npy"), np.array([6, -1], np.int64))

save("symbolic", [helper.make_node("Relu", ["x"], ["y"])],
     [vi("x", ["N", 3])], [vi("y", ["N", 3])], 13)
save("unknown_dim", [helper.make_node("Relu", ["x"], ["y"])],
     [vi("x", [None, 3])], [vi("y", None)], 13)

# ---- what cannot be imported ---------------------------------------------------------------

unsupported = [
    helper.make_node("Resize", ["x", "", "scales"], ["a"], name="up1"),
    helper.make_node("Relu", ["a"], ["b"], name="relu"),
    helper.make_node("Resize", ["b", "", "scales"], ["c"], name="up2"),
    helper.make_node("NonZero", ["c"], ["d"]),
    helper.make_node("Custom", ["d"], ["y"], name="mine", domain="com.example"),
]
save("unsupported", unsupported, [vi("x", [1, 1, 2, 2])], [vi("y", None)], 13,
     inits=[numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")],
     extra_opsets=[("com.example", 1)])
save("old_opset", [helper.make_node("Add", ["x", "x"], ["y"], name="add")],
     [vi("x", [3])], [vi("y", None)], 6)
save("new_opset", [helper.make_node("Relu", ["x"], ["y"])], [vi("x", [3])], [vi("y", None)], 19)
# A node whose shape input is computed at run time.
save("dynamic_shape", [helper.make_node("Relu", ["s"], ["r"], name="relu"),
                       helper.make_node("Reshape", ["x", "r"], ["y"], name="reshape")],
     [vi("x", [6]), vi("s", [2], TensorProto.INT64)], [vi("y", None)], 14)
# Errors in several nodes are all reported; the uses of a failed value are quiet.
save("two_errors", [helper.make_node("Transpose", ["x"], ["t"], name="bad_perm", perm=[0, 0]),
                    helper.make_node("Relu", ["t"], ["u"], name="quiet"),
                    helper.make_node("Softmax", ["x"], ["y"], name="bad_axis", axis=5)],
     [vi("x", [2, 3])], [vi("u", None), vi("y", None)], 13)
