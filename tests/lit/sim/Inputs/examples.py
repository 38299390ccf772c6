"""Inputs for the example programs of examples/asm, and their results
computed independently with NumPy in the order each program computes them.

  examples.py inputs NAME DIR    write DIR/NAME-*.npy inputs (seeded)
  examples.py check NAME DIR     compare DIR/NAME-out.npy with NumPy; prints
                                 one line, exits 1 on any difference
"""
import sys

import numpy as np


def inputs(name, rng):
    if name == "vadd":
        return {"a": rng.standard_normal(256).astype(np.float32),
                "b": rng.standard_normal(256).astype(np.float32)}
    if name == "matmul":
        return {"a": rng.standard_normal((24, 64)).astype(np.float16),
                "b": rng.standard_normal((64, 16)).astype(np.float16)}
    if name == "reduce":
        return {"x": rng.standard_normal(1536).astype(np.float32)}
    raise SystemExit("unknown example " + name)


def expected(name, x):
    f32 = np.float32
    if name == "vadd":
        return x["a"] + x["b"]
    if name == "matmul":
        # f16 products are exact in f32; the sum is rounded after each row.
        a, b = x["a"].astype(f32), x["b"].astype(f32)
        acc = np.zeros((24, 16), f32)
        for k in range(64):
            acc = (acc + a[:, k:k + 1] * b[k:k + 1, :]).astype(f32)
        return acc
    if name == "reduce":
        v = x["x"].reshape(16, 6, 8, 2)
        sums = []
        for t in range(16):
            parts = []
            for w in range(6):
                lanes = np.zeros(2, f32)
                for k in range(8):
                    lanes = lanes + v[t, w, k]
                parts.append(f32(lanes[0] + lanes[1]))
            s = parts[0]
            for p in parts[1:]:
                s = f32(s + p)
            sums.append(s)
        step = 1
        while step < 16:
            for t in range(0, 16, 2 * step):
                sums[t] = f32(sums[t] + sums[t + step])
            step *= 2
        return np.array([sums[0]], f32)
    raise SystemExit("unknown example " + name)


def main():
    what, name, d = sys.argv[1:4]
    x = inputs(name, np.random.default_rng(2024))
    if what == "inputs":
        for k, v in x.items():
            np.save(f"{d}/{name}-{k}.npy", v)
        return
    got = np.load(f"{d}/{name}-out.npy")
    want = expected(name, x)
    if got.shape != want.shape or got.dtype != want.dtype:
        raise SystemExit(f"{name}: got {got.dtype}{list(got.shape)}, want {want.dtype}{list(want.shape)}")
    bad = np.flatnonzero(got.view(np.uint32) != want.view(np.uint32))
    if bad.size:
        i = bad[0]
        raise SystemExit(f"{name}: {bad.size} of {got.size} values differ, first at {i}: "
                         f"{got.flat[i]!r} != {want.flat[i]!r}")
    print(f"{name}: {got.size} values, all bit-exact")


main()
