#!/usr/bin/python3
"""Check every example model against an independent NumPy implementation.

For each model in examples/, this script rebuilds the same network in NumPy
(float64): the weights from the DSL's documented seeded initialisers,
re-implemented here from their specification, and the layers from their
textbook definitions. It feeds both the same random inputs (made by NumPy's
own generator, passed with -i) and compares the outputs of
`acc-run --reference` with NumPy's.

usage: check_examples.py ACC_RUN EXAMPLES_DIR WORK_DIR
"""
import math
import os
import subprocess
import sys

import numpy as np

# ---- The DSL's initialisers (docs/dsl.md, "Seeded initialisers") -------------

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def uniform01(seed, count):
    """SplitMix64 from state = seed, mapped to [0, 1) with 53 bits."""
    k = np.arange(1, count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + k * np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def uniform(seed, lo, hi, shape):
    n = int(np.prod(shape))
    return (lo + (hi - lo) * uniform01(seed, n)).astype(np.float32).reshape(shape)


def normal(seed, std, shape):
    n = int(np.prod(shape))
    pairs = (n + 1) // 2
    u = uniform01(seed, 2 * pairs)
    u1, u2 = u[0::2], u[1::2]
    r = np.sqrt(-2.0 * np.log(1.0 - u1))
    z = np.empty(2 * pairs)
    z[0::2] = std * r * np.cos(2 * math.pi * u2)
    z[1::2] = std * r * np.sin(2 * math.pi * u2)
    return z[:n].astype(np.float32).reshape(shape)


def zeros(shape):
    return np.zeros(shape, np.float32)


def ones(shape):
    return np.ones(shape, np.float32)


# ---- Layers, from their definitions -------------------------------------------


def relu(x):
    return np.maximum(x, 0)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def conv2d(x, w, b=None, stride=1, pad=0, groups=1):
    """Cross-correlation, NCHW, weights [M, C/groups, kh, kw]."""
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((n, m, oh, ow))
    mg = m // groups
    for g in range(groups):
        xg = xp[:, g * cg:(g + 1) * cg]
        wg = w[g * mg:(g + 1) * mg]
        for i in range(kh):
            for j in range(kw):
                patch = xg[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
                out[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, wg[:, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def max_pool2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def batch_norm(x, gamma, beta, mean, var, eps=1e-5):
    shape = (1, -1, 1, 1)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape) + beta.reshape(shape)


def layer_norm(x, scale, bias, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * scale + bias


_erf = np.vectorize(math.erf)


def gelu(x):
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


# ---- The examples ---------------------------------------------------------------


def preprocess(pixels):
    mean = np.array([123.675, 116.28, 103.53], np.float32).reshape(3, 1, 1)
    inv_std = np.array([0.0171248, 0.017507, 0.0174292], np.float32).reshape(3, 1, 1)
    t = (np.clip(pixels, 0, 255).transpose(0, 3, 1, 2) - mean) * inv_std
    x = np.pad(t, ((0, 0), (0, 0), (2, 2), (2, 2)), mode="reflect")
    return {"x": x, "mirrored": x[:, :, :, ::-1]}


def mlp(x):
    w1, b1 = normal(1, 0.05, (784, 128)), zeros((128,))
    w2, b2 = normal(2, 0.1, (128, 64)), uniform(3, -0.1, 0.1, (64,))
    w3 = normal(4, 0.2, (64, 10))
    b3 = np.array([0.0, 0.1, 0.2, 0.3, 0.4, -0.4, -0.3, -0.2, -0.1, 0.0], np.float32)
    h1 = relu(x @ w1 + b1)
    h2 = relu(h1 @ w2 + b2)
    return {"probs": softmax(h2 @ w3 + b3)}


def lenet(image):
    h = relu(conv2d(image, normal(11, 0.2, (6, 1, 5, 5)), zeros((6,)), pad=2))
    h = max_pool2(h)
    h = relu(conv2d(h, normal(12, 0.08, (16, 6, 5, 5)), uniform(13, -0.05, 0.05, (16,))))
    h = max_pool2(h)
    h = h.reshape(h.shape[0], -1)
    h = relu(h @ normal(14, 0.05, (400, 120)))
    h = relu(h @ normal(15, 0.09, (120, 84)))
    return {"logits": h @ normal(16, 0.1, (84, 10))}


def conv_bn(x, co, k, stride, seed):
    ci = x.shape[1]
    w = normal(seed, 0.1, (co, ci, k, k))
    gamma, beta = uniform(seed + 1, 0.5, 1.5, (co,)), normal(seed + 2, 0.1, (co,))
    mean, var = normal(seed + 3, 0.1, (co,)), uniform(seed + 4, 0.5, 1.5, (co,))
    return batch_norm(conv2d(x, w, stride=stride, pad=k // 2), gamma, beta, mean, var)


def resnet_block(x):
    c = x.shape[1]
    seed = 100
    h = relu(conv_bn(x, 2 * c, 3, 2, seed))
    h = conv_bn(h, 2 * c, 3, 1, seed + 10)
    h = relu(h + conv_bn(x, 2 * c, 1, 2, seed + 20))
    seed = 200
    y = relu(conv_bn(h, 2 * c, 3, 1, seed))
    y = conv_bn(y, 2 * c, 3, 1, seed + 10)
    return {"y": relu(y + h)}


def bn(x, seed):
    c = x.shape[1]
    return batch_norm(x, uniform(seed, 0.5, 1.5, (c,)), normal(seed + 1, 0.1, (c,)),
                      normal(seed + 2, 0.1, (c,)), uniform(seed + 3, 0.5, 1.5, (c,)), eps=0.001)


def relu6(x):
    return np.clip(x, 0, 6)


def mobilenet_block(x):
    c = x.shape[1]
    seed = 100
    dw = normal(seed, 0.3, (c, 1, 3, 3))
    pw = normal(seed + 1, 0.2, (2 * c, c, 1, 1))
    h = relu6(bn(conv2d(x, dw, stride=2, pad=1, groups=c), seed + 2))
    h = relu6(bn(conv2d(h, pw), seed + 6))
    seed, c, e = 200, 2 * c, 4
    up = normal(seed, 0.2, (c * e, c, 1, 1))
    dw = normal(seed + 1, 0.3, (c * e, 1, 3, 3))
    down = normal(seed + 2, 0.1, (c, c * e, 1, 1))
    y = relu6(bn(conv2d(h, up), seed + 3))
    y = relu6(bn(conv2d(y, dw, pad=1, groups=c * e), seed + 7))
    return {"y": h + bn(conv2d(y, down), seed + 11)}


def self_attention(x, heads, seed):
    b, t, e = x.shape
    wq, wk, wv, wo = (normal(seed + i, 0.1, (e, e)) for i in range(4))

    def split(m):
        return m.reshape(b, t, heads, e // heads).transpose(0, 2, 1, 3)

    q, k, v = split(x @ wq), split(x @ wk), split(x @ wv)
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(e // heads)
    context = softmax(scores) @ v
    return context.transpose(0, 2, 1, 3).reshape(b, t, e) @ wo


def feed_forward(x, hidden, seed):
    e = x.shape[-1]
    return gelu(x @ normal(seed, 0.1, (e, hidden))) @ normal(seed + 1, 0.05, (hidden, e))


def encoder_layer(x):
    e = x.shape[-1]
    h = layer_norm(x + self_attention(x, 4, 100), ones((e,)), zeros((e,)))
    y = h + feed_forward(h, 4 * e, 200)
    return {"y": layer_norm(y, uniform(7, 0.9, 1.1, (e,)), normal(8, 0.02, (e,)))}


# file, input name, input shape, -D bindings, model
EXAMPLES = [
    ("mlp.g", "x", (8, 784), [], mlp),
    ("mlp.g", "x", (3, 784), ["-D", "N=3"], mlp),
    ("preprocess.g", "pixels", (4, 28, 28, 3), [], preprocess),
    ("lenet.g", "image", (4, 1, 28, 28), [], lenet),
    ("resnet_block.g", "x", (1, 16, 16, 16), [], resnet_block),
    ("resnet_block.g", "x", (2, 8, 12, 12), ["-D", "N=2", "-D", "C=8", "-D", "H=12"], resnet_block),
    ("mobilenet_block.g", "x", (1, 16, 16, 16), [], mobilenet_block),
    ("transformer.g", "x", (2, 16, 64), [], encoder_layer),
]


def main():
    acc_run, examples, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(2024)
    failed = 0
    for i, (file, name, shape, defines, model) in enumerate(EXAMPLES):
        x = rng.standard_normal(shape).astype(np.float32)
        xin = os.path.join(work, f"in{i}.npy")
        np.save(xin, x)
        want = model(x.astype(np.float64))
        outs = []
        for out_name in want:
            path = os.path.join(work, f"out{i}_{out_name}.npy")
            if os.path.exists(path):
                os.remove(path)
            outs += ["-o", f"{out_name}={path}"]
        cmd = [acc_run, "--reference", os.path.join(examples, file), "-i", f"{name}={xin}"] + defines + outs
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            print(f"FAIL {file} {' '.join(defines)}: acc-run exited {run.returncode}\n{run.stderr}")
            failed += 1
            continue
        for out_name, ref in want.items():
            got = np.load(os.path.join(work, f"out{i}_{out_name}.npy"))
            scale = float(np.abs(ref).max())
            err = float(np.abs(got.astype(np.float64) - ref).max()) if got.shape == ref.shape else math.inf
            ok = got.shape == ref.shape and got.dtype == np.float32 and err <= 1e-4 * max(scale, 1.0)
            status = "ok  " if ok else "FAIL"
            print(f"{status} {file:20} {' '.join(defines):24} {out_name}{list(got.shape)} "
                  f"max |error| {err:.3g} (max |value| {scale:.3g})")
            failed += not ok
    print(f"{len(EXAMPLES)} of {len(EXAMPLES)} runs match NumPy" if not failed else f"{failed} mismatches")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
