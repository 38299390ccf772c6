#!/usr/bin/python3
"""Build two small ONNX models with onnx.helper, as an exporter would, and
the same networks in NumPy to check accc against.

    make_models.py OUTDIR [--check ACC_RUN]

writes OUTDIR/cnn.onnx and OUTDIR/transformer.onnx (weights seeded, so the
files are the same on every run), an input for each (NAME.x.npy) and what
NumPy computes for it (NAME.want.npy). With --check, runs
`ACC_RUN --reference NAME.onnx -i x=NAME.x.npy -o y=...` for each and
compares with NumPy; exit 1 on a mismatch.

  cnn          Conv 3->8 (3x3, pads 1) -> BatchNormalization -> Relu ->
               MaxPool 2x2 -> Conv 8->16 (3x3, stride 2, auto_pad SAME_UPPER)
               -> Relu -> GlobalAveragePool -> Flatten -> Gemm 16->10 -> Softmax
  transformer  one pre-norm encoder block, d_model 32, 4 heads, FFN 64:
               LayerNormalization, Q/K/V projections, heads split with a
               Reshape whose shape is computed by Shape -> Slice -> Concat (as
               PyTorch exports it), scaled dot-product attention, output
               projection and residual, LayerNormalization, FFN with GELU
               (written with Erf) and residual

Only Debian's python3-onnx and python3-numpy are needed.
"""
import argparse
import math
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def weights(rng, shape, scale):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def model(nodes, name, x_shape, y_shape, inits):
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
        initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(graph, producer_name="accc-examples",
                          opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


# ---- A small CNN --------------------------------------------------------------------------

def cnn():
    rng = np.random.default_rng(1)
    w = {
        "conv1.w": weights(rng, (8, 3, 3, 3), 0.3), "conv1.b": weights(rng, (8,), 0.1),
        "bn.scale": (1 + weights(rng, (8,), 0.1)), "bn.bias": weights(rng, (8,), 0.1),
        "bn.mean": weights(rng, (8,), 0.1), "bn.var": (1 + np.abs(weights(rng, (8,), 0.2))),
        "conv2.w": weights(rng, (16, 8, 3, 3), 0.15), "conv2.b": weights(rng, (16,), 0.1),
        "fc.w": weights(rng, (10, 16), 0.3), "fc.b": weights(rng, (10,), 0.1),
    }
    nodes = [
        helper.make_node("Conv", ["x", "conv1.w", "conv1.b"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"],
                         ["b1"], name="bn", epsilon=1e-5),
        helper.make_node("Relu", ["b1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2.w", "conv2.b"], ["c2"], name="conv2",
                         kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["y"], name="softmax", axis=-1),
    ]
    x = np.random.default_rng(100).standard_normal((1, 3, 16, 16)).astype(np.float32)
    return model(nodes, "cnn", [1, 3, 16, 16], [1, 10], w), x, cnn_numpy(x.astype(np.float64), w)


def conv2d(x, w, b, stride, pad):
    """Cross-correlation in float64; pad = (top, left, bottom, right)."""
    x = np.pad(x, [(0, 0), (0, 0), (pad[0], pad[2]), (pad[1], pad[3])])
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, m, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out + b.reshape(1, -1, 1, 1)


def softmax(v, axis=-1):
    e = np.exp(v - v.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def cnn_numpy(x, w):
    w = {k: v.astype(np.float64) for k, v in w.items()}
    c1 = conv2d(x, w["conv1.w"], w["conv1.b"], 1, (1, 1, 1, 1))
    per_channel = (1, -1, 1, 1)
    b1 = ((c1 - w["bn.mean"].reshape(per_channel)) / np.sqrt(w["bn.var"].reshape(per_channel) + 1e-5)
          * w["bn.scale"].reshape(per_channel) + w["bn.bias"].reshape(per_channel))
    r1 = np.maximum(b1, 0)
    n, c, h, wd = r1.shape
    p1 = r1.reshape(n, c, h // 2, 2, wd // 2, 2).max(axis=(3, 5))
    # SAME_UPPER, stride 2 on 8x8 with a 3x3 kernel: 4x4 out, pads 0 before, 1 after.
    c2 = conv2d(p1, w["conv2.w"], w["conv2.b"], 2, (0, 0, 1, 1))
    g = np.maximum(c2, 0).mean(axis=(2, 3))
    return softmax(g @ w["fc.w"].T + w["fc.b"])


# ---- A transformer encoder block ---------------------------------------------------------

SEQ, D, HEADS, FF = 8, 32, 4, 64


def transformer():
    rng = np.random.default_rng(2)
    dk = D // HEADS
    w = {
        "ln1.scale": 1 + weights(rng, (D,), 0.1), "ln1.bias": weights(rng, (D,), 0.1),
        "wq": weights(rng, (D, D), 0.2), "bq": weights(rng, (D,), 0.05),
        "wk": weights(rng, (D, D), 0.2), "bk": weights(rng, (D,), 0.05),
        "wv": weights(rng, (D, D), 0.2), "bv": weights(rng, (D,), 0.05),
        "wo": weights(rng, (D, D), 0.2), "bo": weights(rng, (D,), 0.05),
        "ln2.scale": 1 + weights(rng, (D,), 0.1), "ln2.bias": weights(rng, (D,), 0.1),
        "w1": weights(rng, (D, FF), 0.2), "b1": weights(rng, (FF,), 0.05),
        "w2": weights(rng, (FF, D), 0.2), "b2": weights(rng, (D,), 0.05),
        "heads": np.array([HEADS, dk], np.int64), "zero": np.array([0], np.int64),
        "two": np.array([2], np.int64), "merged": np.array([0, 0, D], np.int64),
        "scale": np.array(math.sqrt(dk), np.float32), "sqrt2": np.array(math.sqrt(2), np.float32),
        "half": np.array(0.5, np.float32), "one": np.array(1, np.float32),
    }
    N = helper.make_node
    nodes = [
        N("LayerNormalization", ["x", "ln1.scale", "ln1.bias"], ["h"], name="ln1", axis=-1,
          epsilon=1e-5),
        # [batch, seq, heads, dk]: the first two dims from Shape(x), as exporters write it.
        N("Shape", ["x"], ["xs"], name="shape"),
        N("Slice", ["xs", "zero", "two"], ["bs"], name="batch_seq"),
        N("Concat", ["bs", "heads"], ["split_shape"], name="split_shape", axis=0),
    ]
    for p in "qkv":
        nodes += [
            N("MatMul", ["h", "w" + p], [p + "0"], name=p + "_proj"),
            N("Add", [p + "0", "b" + p], [p + "1"], name=p + "_bias"),
            N("Reshape", [p + "1", "split_shape"], [p + "2"], name=p + "_split"),
            N("Transpose", [p + "2"], [p], name=p + "_heads",
              perm=[0, 2, 3, 1] if p == "k" else [0, 2, 1, 3]),
        ]
    nodes += [
        N("MatMul", ["q", "k"], ["s0"], name="scores"),
        N("Div", ["s0", "scale"], ["s1"], name="scaled"),
        N("Softmax", ["s1"], ["a"], name="attention", axis=-1),
        N("MatMul", ["a", "v"], ["o0"], name="context"),
        N("Transpose", ["o0"], ["o1"], name="merge_heads", perm=[0, 2, 1, 3]),
        N("Reshape", ["o1", "merged"], ["o2"], name="merge"),
        N("MatMul", ["o2", "wo"], ["o3"], name="out_proj"),
        N("Add", ["o3", "bo"], ["o4"], name="out_bias"),
        N("Add", ["x", "o4"], ["res1"], name="residual1"),
        N("LayerNormalization", ["res1", "ln2.scale", "ln2.bias"], ["h2"], name="ln2", axis=-1,
          epsilon=1e-5),
        N("MatMul", ["h2", "w1"], ["f0"], name="ffn1"),
        N("Add", ["f0", "b1"], ["f1"], name="ffn1_bias"),
        # GELU, exactly: f1 * 0.5 * (1 + erf(f1 / sqrt(2))).
        N("Div", ["f1", "sqrt2"], ["g0"], name="gelu_div"),
        N("Erf", ["g0"], ["g1"], name="gelu_erf"),
        N("Add", ["g1", "one"], ["g2"], name="gelu_add"),
        N("Mul", ["f1", "g2"], ["g3"], name="gelu_mul"),
        N("Mul", ["g3", "half"], ["g4"], name="gelu_half"),
        N("MatMul", ["g4", "w2"], ["f2"], name="ffn2"),
        N("Add", ["f2", "b2"], ["f3"], name="ffn2_bias"),
        N("Add", ["res1", "f3"], ["y"], name="residual2"),
    ]
    x = np.random.default_rng(200).standard_normal((1, SEQ, D)).astype(np.float32)
    return (model(nodes, "transformer", [1, SEQ, D], [1, SEQ, D], w), x,
            transformer_numpy(x.astype(np.float64), w))


def layer_norm(v, scale, bias, eps=1e-5):
    mean = v.mean(axis=-1, keepdims=True)
    var = ((v - mean) ** 2).mean(axis=-1, keepdims=True)
    return (v - mean) / np.sqrt(var + eps) * scale + bias


def transformer_numpy(x, w):
    w = {k: v.astype(np.float64) for k, v in w.items()}
    dk = D // HEADS
    h = layer_norm(x, w["ln1.scale"], w["ln1.bias"])

    def heads(p):
        return (h @ w["w" + p] + w["b" + p]).reshape(1, SEQ, HEADS, dk).transpose(0, 2, 1, 3)

    q, k, v = heads("q"), heads("k"), heads("v")
    a = softmax(q @ k.transpose(0, 1, 3, 2) / math.sqrt(dk))
    o = (a @ v).transpose(0, 2, 1, 3).reshape(1, SEQ, D)
    res1 = x + o @ w["wo"] + w["bo"]
    h2 = layer_norm(res1, w["ln2.scale"], w["ln2.bias"])
    f1 = h2 @ w["w1"] + w["b1"]
    g = 0.5 * f1 * (1 + np.vectorize(math.erf)(f1 / math.sqrt(2)))
    return res1 + g @ w["w2"] + w["b2"]


# ---- main ----------------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("outdir")
    p.add_argument("--check", metavar="ACC_RUN", help="run each model with ACC_RUN --reference")
    args = p.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    ok = True
    for name, build in (("cnn", cnn), ("transformer", transformer)):
        m, x, want = build()
        base = os.path.join(args.outdir, name)
        onnx.save_model(m, base + ".onnx")
        np.save(base + ".x.npy", x)
        np.save(base + ".want.npy", want.astype(np.float32))
        print(f"{name}: {len(m.graph.node)} nodes, {sum(t.ByteSize() for t in m.graph.initializer)}"
              f" bytes of weights -> {base}.onnx")
        if not args.check:
            continue
        got_path = base + ".got.npy"
        subprocess.run([args.check, "--reference", base + ".onnx", "-i", "x=" + base + ".x.npy",
                        "-o", "y=" + got_path], check=True)
        got = np.load(got_path)
        err = np.abs(got.astype(np.float64) - want).max()
        good = got.shape == want.shape and np.allclose(got, want, rtol=1e-4, atol=1e-5)
        print(f"{name}: acc-run --reference {list(got.shape)} vs NumPy: max |difference| "
              f"{err:.1e} {'OK' if good else 'MISMATCH'}")
        ok &= good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
