#!/usr/bin/env python3
"""Check accc's .npy reader and writer against NumPy's own.

Read: NumPy writes every supported dtype, in format versions 1.0, 2.0 and
3.0, with special values (NaN, infinities, -0.0, integer extremes);
`acc-npy show --all` must print exactly NumPy's values.
Write: `acc-npy convert` writes every dtype; NumPy must load it and agree.
Reject: what NumPy can write but accc does not take (Fortran order,
big-endian, complex) must fail with exit status 1.

usage: check_npy.py ACC_NPY WORKDIR
"""
import os
import subprocess
import sys

import numpy as np

DTYPES = ["<f4", "<f2", "<f8", "|i1", "|u1", "<i4", "<i8", "|b1"]
SHAPES = [(), (7,), (2, 3, 4), (1, 1, 1, 1, 1, 5)]
VERSIONS = [(1, 0), (2, 0), (3, 0)]


def sample(dtype, shape, rng):
    dt = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    if dt.kind == "f":
        v = rng.standard_normal(n) * 1000
        special = [np.nan, np.inf, -np.inf, -0.0, np.finfo(dt).max, np.finfo(dt).tiny]
        v[: min(n, len(special))] = special[: min(n, len(special))]
    elif dt.kind == "b":
        v = rng.integers(0, 2, n)
    else:
        info = np.iinfo(dt)
        v = rng.integers(info.min, info.max, n, endpoint=True, dtype=np.int64)
        if n >= 2:
            v[0], v[1] = info.min, info.max
    return v.astype(dt).reshape(shape)


def parse_show(text, dtype):
    lines = text.splitlines()
    header, values = lines[0], (lines[1].split() if len(lines) > 1 else [])
    kind = np.dtype(dtype).kind
    if kind == "f":
        return header, np.array([float(x) for x in values], np.float64)
    return header, np.array([int(x) for x in values], np.int64)


def same(a, b):
    a = np.asarray(a, np.float64) if a.dtype.kind == "f" else a
    b = np.asarray(b, np.float64) if b.dtype.kind == "f" else b
    if a.dtype.kind == "f":
        both_nan = np.isnan(a) & np.isnan(b)
        eq = (a == b) & (np.signbit(a) == np.signbit(b))
        return bool(np.all(both_nan | eq))
    return bool(np.array_equal(a, b))


def main():
    acc_npy, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(20261121)
    checked, failures = 0, []

    for dtype in DTYPES:
        for shape in SHAPES:
            for version in VERSIONS:
                arr = sample(dtype, shape, rng)
                path = os.path.join(work, "read_%s_%d_v%d.npy" % (dtype[1:], len(shape), version[0]))
                with open(path, "wb") as f:
                    np.lib.format.write_array(f, arr, version=version)
                r = subprocess.run([acc_npy, "show", "--all", path], capture_output=True, text=True)
                checked += 1
                if r.returncode != 0:
                    failures.append("read %s: exit %d: %s" % (path, r.returncode, r.stderr.strip()))
                    continue
                header, values = parse_show(r.stdout, dtype)
                if arr.dtype.kind == "f":  # printed with enough digits to round-trip
                    values = values.astype(arr.dtype).astype(np.float64)
                want = "%s [%s]" % (
                    {"f4": "f32", "f2": "f16", "f8": "f64", "i1": "i8", "u1": "u8",
                     "i4": "i32", "i8": "i64", "b1": "bool"}[dtype[1:]],
                    ", ".join(str(d) for d in shape))
                ref = arr.reshape(-1)
                ref = ref.astype(np.float64) if ref.dtype.kind == "f" else ref.astype(np.int64)
                if header != want or not same(values, ref):
                    failures.append("read %s: acc-npy printed %r, NumPy has %s %s"
                                    % (path, r.stdout[:200], want, ref[:8]))

    # Write: convert an f32 source to every dtype and let NumPy load the result.
    src = sample("<f4", (3, 5), rng)
    src[np.isnan(src)] = 1.5
    src = np.clip(src, -1e4, 1e4).astype(np.float32)
    src_path = os.path.join(work, "write_src.npy")
    np.save(src_path, src)
    for dtype in DTYPES:
        out = os.path.join(work, "write_%s.npy" % dtype[1:])
        name = {"f4": "f32", "f2": "f16", "f8": "f64", "i1": "i8", "u1": "u8",
                "i4": "i32", "i8": "i64", "b1": "bool"}[dtype[1:]]
        r = subprocess.run([acc_npy, "convert", src_path, out, "--to", name],
                           capture_output=True, text=True)
        checked += 1
        if r.returncode != 0:
            failures.append("write %s: exit %d: %s" % (name, r.returncode, r.stderr.strip()))
            continue
        got = np.load(out)
        dt = np.dtype(dtype)
        if dt.kind in "iu":
            info = np.iinfo(dt)
            want = np.clip(np.trunc(src.astype(np.float64)), info.min, info.max).astype(dt)
        elif dt.kind == "b":
            want = src != 0
        else:
            want = src.astype(dt)
        if got.dtype != dt or got.shape != src.shape or not same(got.reshape(-1), want.reshape(-1)):
            failures.append("write %s: NumPy loaded %s %s, expected %s"
                            % (name, got.dtype, got.reshape(-1)[:6], want.reshape(-1)[:6]))

    # Reject what accc does not support, with exit status 1 and a reason.
    rejects = {
        "fortran": (np.asfortranarray(np.ones((2, 3), np.float32)), "Fortran-order"),
        "bigendian": (np.ones(3, ">i4"), "big-endian"),
        "complex": (np.ones(3, np.complex64), "unsupported .npy dtype"),
        "object": (np.array(["a", "bc"]), "unsupported .npy dtype"),
    }
    for name, (arr, needle) in rejects.items():
        path = os.path.join(work, "reject_%s.npy" % name)
        np.save(path, arr)
        r = subprocess.run([acc_npy, "show", path], capture_output=True, text=True)
        checked += 1
        if r.returncode != 1 or needle not in r.stderr:
            failures.append("reject %s: exit %d, stderr %r" % (name, r.returncode, r.stderr))

    for f in failures:
        print("FAIL:", f)
    print("npy conformance: %d checks, %d failed" % (checked, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
