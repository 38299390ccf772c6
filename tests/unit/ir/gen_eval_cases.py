#!/usr/bin/python3
"""Evaluator test cases, computed independently with NumPy.

For every IR op this writes one or more small cases: an .ir file holding the
op (its result types declared, so shape inference is checked too), input
.npy files and the expected outputs, computed here from each op's definition
(ONNX's, where the op has an ONNX counterpart) with NumPy in float64 and
rounded to the result dtype. The C runner (eval_numpy.c) evaluates each case
with ir_eval and compares; it also fails if some op has no case.

usage: gen_eval_cases.py OUTDIR
"""
import itertools
import math
import os
import sys

import numpy as np

OUT = sys.argv[1]
np.seterr(all="ignore")  # infinities and NaN are expected values here
RNG = np.random.default_rng(7)
CASES = []

DTYPES = {np.float32: "f32", np.float16: "f16", np.int8: "i8", np.uint8: "u8",
          np.int32: "i32", np.int64: "i64", np.bool_: "bool"}


class Dtype(str):
    """An attribute value printed bare (a dtype name)."""


def ir_dtype(a, override=None):
    if override:
        return override
    for t, name in DTYPES.items():
        if a.dtype == t:
            return name
    raise ValueError(a.dtype)


def ir_type(a, override=None):
    return f"{ir_dtype(a, override)}[{', '.join(str(d) for d in a.shape)}]"


def fmt(v):
    if isinstance(v, Dtype):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("inf" if v > 0 else "-inf" if v < 0 else "nan")
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    raise ValueError(v)


def bf16(x):
    """Round float32 values to bfloat16 (to nearest even), kept in float32."""
    b = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    rounded = (b + 0x7FFF + ((b >> 16) & 1)) & 0xFFFF0000
    out = rounded.astype(np.uint32).view(np.float32)
    return np.where(np.isnan(x), np.float32(np.nan), out)


def case(name, op, inputs, outputs, attrs=None, in_types=None, out_types=None, rtol=1e-6, atol=1e-6,
         text=None, error=None):
    """One op applied to inputs; outputs are the expected arrays."""
    in_types = in_types or [None] * len(inputs)
    out_types = out_types or [None] * len(outputs)
    if text is None:
        args = [f"%i{k}" for k in range(len(inputs))]
        args += [f"{k}={fmt(v)}" for k, v in (attrs or {}).items()]
        results = ", ".join(f"%o{k}: {ir_type(o, out_types[k])}" for k, o in enumerate(outputs))
        text = (f"graph {name}("
                + ", ".join(f"%i{k}: {ir_type(a, in_types[k])}" for k, a in enumerate(inputs))
                + ") -> (" + ", ".join(f"o{k}: {ir_type(o, out_types[k])}" for k, o in enumerate(outputs))
                + ") {\n"
                + f"  {results} = {op}({', '.join(args)})\n"
                + "  return " + ", ".join(f"%o{k}" for k in range(len(outputs))) + "\n}\n")
    CASES.append((name, text, inputs, outputs, rtol, atol, error))


def rand(*shape, lo=-2.0, hi=2.0, dtype=np.float32):
    return RNG.uniform(lo, hi, shape).astype(dtype)


def randint(*shape, lo=-10, hi=10, dtype=np.int32):
    return RNG.integers(lo, hi, shape).astype(dtype)


def f32(x):
    return np.asarray(x, np.float64).astype(np.float32)


# ---- Elementwise unary ----------------------------------------------------------

X = rand(3, 4, lo=-3, hi=3)
X[0, 0], X[0, 1], X[0, 2] = 0.0, 0.5, -0.5   # exact zero and ties
POS = rand(2, 5, lo=0.1, hi=4)
UNIT = rand(2, 5, lo=-0.99, hi=0.99)
x = X.astype(np.float64)
erf = np.vectorize(math.erf)

unary = {
    "neg": -x, "abs": np.abs(x), "sign": np.sign(x), "relu": np.maximum(x, 0),
    "sigmoid": 1 / (1 + np.exp(-x)), "hard_swish": x * np.clip(x / 6 + 0.5, 0, 1),
    "softplus": np.log1p(np.exp(x)), "softsign": x / (1 + np.abs(x)), "tanh": np.tanh(x),
    "exp": np.exp(x), "floor": np.floor(x), "ceil": np.ceil(x), "round": np.round(x),
    "sin": np.sin(x), "cos": np.cos(x), "tan": np.tan(x), "atan": np.arctan(x),
    "sinh": np.sinh(x), "cosh": np.cosh(x), "erf": erf(x), "identity": x,
}
for op, want in unary.items():
    case(f"{op}_f32", op, [X], [f32(want)])
for op, fn in {"log": np.log, "sqrt": np.sqrt, "rsqrt": lambda v: 1 / np.sqrt(v),
               "reciprocal": lambda v: 1 / v}.items():
    case(f"{op}_f32", op, [POS], [f32(fn(POS.astype(np.float64)))])
for op, fn in {"asin": np.arcsin, "acos": np.arccos}.items():
    case(f"{op}_f32", op, [UNIT], [f32(fn(UNIT.astype(np.float64)))])
case("leaky_relu", "leaky_relu", [X], [f32(np.where(x < 0, 0.1 * x, x))], {"alpha": 0.1})
case("leaky_relu_default", "leaky_relu", [X], [f32(np.where(x < 0, 0.01 * x, x))])
case("elu", "elu", [X], [f32(np.where(x < 0, 0.5 * (np.exp(x) - 1), x))], {"alpha": 0.5})
SELU_A, SELU_G = 1.6732632423543772, 1.0507009873554805
case("selu", "selu", [X], [f32(SELU_G * np.where(x > 0, x, SELU_A * (np.exp(x) - 1)))])
case("gelu", "gelu", [X], [f32(0.5 * x * (1 + erf(x / math.sqrt(2))))])
case("gelu_tanh", "gelu", [X],
     [f32(0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))))],
     {"approximate": "tanh"})
case("hard_sigmoid", "hard_sigmoid", [X], [f32(np.clip(0.3 * x + 0.4, 0, 1))], {"alpha": 0.3, "beta": 0.4})
# Edges: round half to even, log and sqrt outside their domain, overflow.
EDGE = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.0, -1.0, 1e30], np.float32)
e = EDGE.astype(np.float64)
with np.errstate(all="ignore"):
    case("round_ties", "round", [EDGE], [f32(np.round(e))])
    case("log_edges", "log", [EDGE], [f32(np.log(e))])
    case("sqrt_edges", "sqrt", [EDGE], [f32(np.sqrt(e))])
    case("exp_overflow", "exp", [EDGE * 1e10], [f32(np.exp(e * 1e10))])
    case("reciprocal_zero", "reciprocal", [EDGE], [f32(1 / e)])
    case("softplus_large", "softplus", [f32([-100, 100, 1000])], [f32([math.log1p(math.exp(-100)), 100, 1000])])
NAN = np.array([np.nan, 1.0, -np.inf], np.float32)
case("is_nan", "is_nan", [NAN], [np.isnan(NAN)])
case("relu_nan", "relu", [NAN], [f32([np.nan, 1, 0])])
case("not", "not", [np.array([True, False, True])], [np.array([False, True, False])])
# Integers: wraparound at the dtype's width.
I8 = np.array([-128, -1, 0, 1, 127, -7], np.int8)
case("neg_i8", "neg", [I8], [(-I8.astype(np.int64)).astype(np.int8)])
case("abs_i8", "abs", [I8], [np.abs(I8.astype(np.int64)).astype(np.int8)])
I32 = randint(2, 3)
case("relu_i32", "relu", [I32], [np.maximum(I32, 0)])
case("sign_i64", "sign", [I32.astype(np.int64)], [np.sign(I32).astype(np.int64)])
case("identity_bool", "identity", [np.array([True, False])], [np.array([True, False])])
# f16 and bf16: computed exactly, rounded once to the dtype.
H = rand(2, 3, lo=-4, hi=4).astype(np.float16)
h = H.astype(np.float64)
case("exp_f16", "exp", [H], [np.exp(h).astype(np.float32).astype(np.float16)], rtol=1e-3, atol=1e-3)
case("sigmoid_f16", "sigmoid", [H], [(1 / (1 + np.exp(-h))).astype(np.float32).astype(np.float16)], rtol=1e-3, atol=1e-3)
B = bf16(rand(2, 3))
case("tanh_bf16", "tanh", [B], [bf16(np.tanh(B.astype(np.float64)))], in_types=["bf16"],
     out_types=["bf16"], rtol=8e-3, atol=8e-3)
# clip: both bounds, one bound, integers.
case("clip", "clip", [X, np.float32(-1), np.float32(1.5)], [f32(np.clip(x, -1, 1.5))])
case("clip_min", "clip", [X, np.float32(0)], [f32(np.maximum(x, 0))])
case("clip_i32", "clip", [I32, np.int32(-2), np.int32(3)], [np.clip(I32, -2, 3)])

# ---- Elementwise binary, broadcasting --------------------------------------------

A = rand(2, 3, 4)
Bc = rand(3, 1)
Bv = rand(4)
a, bc, bv = A.astype(np.float64), Bc.astype(np.float64), Bv.astype(np.float64)
binary = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
          "max": np.maximum, "min": np.minimum}
for op, fn in binary.items():
    case(f"{op}_bcast", op, [A, Bc], [f32(fn(a, bc))])
    case(f"{op}_vec", op, [Bv, A], [f32(fn(bv, a))])
case("add_scalar", "add", [A, np.float32(0.25)], [f32(a + 0.25)])
P1, P2 = rand(2, 3, lo=0.5, hi=3), rand(3, lo=-2, hi=2)
case("pow", "pow", [P1, P2], [f32(np.power(P1.astype(np.float64), P2.astype(np.float64)))])
M1, M2 = rand(2, 4, lo=-7, hi=7), f32([2.5, -2.5, 3, -0.75])
case("mod_float", "mod", [M1, M2], [f32(np.mod(M1.astype(np.float64), M2.astype(np.float64)))])
case("mod_fmod", "mod", [M1, M2], [f32(np.fmod(M1.astype(np.float64), M2.astype(np.float64)))], {"fmod": True})
PX, PS = rand(2, 3, 2), f32([[0.1], [0.2], [0.3]])
case("prelu", "prelu", [PX, PS], [f32(np.where(PX < 0, PX.astype(np.float64) * PS, PX))])
for op, fn in {"equal": np.equal, "less": np.less, "less_equal": np.less_equal,
               "greater": np.greater, "greater_equal": np.greater_equal}.items():
    Q = np.round(A * 2) / 2
    case(f"{op}_f32", op, [Q, np.round(Bc * 2) / 2], [fn(Q, np.round(Bc * 2) / 2)])
    case(f"{op}_i32", op, [I32, np.int32(1)], [fn(I32, 1)])
BA, BB = np.array([[True, False], [True, True]]), np.array([True, False])
for op, fn in {"and": np.logical_and, "or": np.logical_or, "xor": np.logical_xor}.items():
    case(op, op, [BA, BB], [fn(BA, BB)])
case("equal_bool", "equal", [BA, BB], [BA == BB])
COND = np.array([[True], [False], [True]])
case("where", "where", [COND, A, Bv], [np.where(COND, A, Bv)])
case("where_i64", "where", [COND, np.int64(5), I32.astype(np.int64)[:, :1].T.repeat(3, 0)],
     [np.where(COND, 5, I32.astype(np.int64)[:, :1].T.repeat(3, 0))])
# Integers wrap; division truncates toward zero; x / 0 and x mod 0 are 0.
IA = np.array([100, -100, 127, -128, 7, -7, 5, 0], np.int8)
IB = np.array([100, 100, 1, -1, 2, 2, 0, 3], np.int8)
ia, ib = IA.astype(np.int64), IB.astype(np.int64)
case("add_i8", "add", [IA, IB], [(ia + ib).astype(np.int8)])
case("sub_i8", "sub", [IA, IB], [(ia - ib).astype(np.int8)])
case("mul_i8", "mul", [IA, IB], [(ia * ib).astype(np.int8)])
safe = np.where(ib == 0, 1, ib)
case("div_i8", "div", [IA, IB], [np.where(ib == 0, 0, np.fix(ia / safe)).astype(np.int64).astype(np.int8)])
case("mod_i8", "mod", [IA, IB], [np.where(ib == 0, 0, np.mod(ia, safe)).astype(np.int8)])
case("mod_i8_fmod", "mod", [IA, IB], [np.where(ib == 0, 0, np.fmod(ia, safe)).astype(np.int8)], {"fmod": True})
U1, U2 = np.array([0, 1, 200, 255], np.uint8), np.array([1, 2, 100, 255], np.uint8)
case("sub_u8", "sub", [U1, U2], [(U1.astype(np.int64) - U2).astype(np.uint8)])
case("max_i32", "max", [I32, np.int32(0)], [np.maximum(I32, 0)])
case("min_i64", "min", [I32.astype(np.int64), np.int64(-3)], [np.minimum(I32, -3).astype(np.int64)])
PB, PE = np.array([2, -3, 3, 10], np.int32), np.array([10, 3, 0, 9], np.int32)
case("pow_i32", "pow", [PB, PE], [(PB.astype(np.int64) ** PE).astype(np.int32)])
BIG = np.array([2 ** 62, -(2 ** 63), 5], np.int64)
case("add_i64_wrap", "add", [BIG, BIG], [np.array([-(2 ** 63), 0, 10], np.int64)])

# ---- Linear algebra ---------------------------------------------------------------


def mm(p, q):
    return np.matmul(p.astype(np.float64), q.astype(np.float64))


for name, (pa, pb) in {"2d": ((3, 4), (4, 5)), "batched": ((2, 1, 3, 4), (5, 4, 2)),
                       "vec_mat": ((4,), (4, 3)), "mat_vec": ((2, 3, 4), (4,)),
                       "dot": ((6,), (6,))}.items():
    P, Q = rand(*pa), rand(*pb)
    case(f"matmul_{name}", "matmul", [P, Q], [f32(mm(P, Q))], rtol=1e-5, atol=1e-5)
MI, MJ = randint(2, 3, lo=-100, hi=100), randint(3, 4, lo=-100, hi=100)
case("matmul_i32", "matmul", [MI, MJ], [MI @ MJ])
QA, QB = randint(3, 4, lo=0, hi=256, dtype=np.uint8), randint(4, 2, lo=-128, hi=128, dtype=np.int8)
case("matmul_integer", "matmul_integer", [QA, QB, np.uint8(12), np.int8(-5)],
     [((QA.astype(np.int64) - 12) @ (QB.astype(np.int64) + 5)).astype(np.int32)])
case("matmul_integer_nozp", "matmul_integer", [QA, QA.T.copy()], [(QA.astype(np.int64) @ QA.T).astype(np.int32)])
GA, GB, GC = rand(4, 3), rand(5, 4), rand(5)
case("gemm", "gemm", [GA, GB, GC],
     [f32(0.5 * mm(GA.T, GB.T) + 2.0 * GC)], {"alpha": 0.5, "beta": 2.0, "trans_a": True, "trans_b": True},
     rtol=1e-5, atol=1e-5)
case("gemm_noc", "gemm", [GA.T.copy(), GB.T.copy()], [f32(mm(GA.T, GB.T))], rtol=1e-5, atol=1e-5)

# ---- Convolution and pooling -------------------------------------------------------


def conv_nd(xv, w, b, stride, pad, dil, groups):
    """Direct definition: y[n, m, o] = sum_{c, k} x[n, g*C/G + c, o*s - pb + k*d] w[m, c, k]."""
    nsp = xv.ndim - 2
    n, c = xv.shape[:2]
    m, cg = w.shape[:2]
    ks = w.shape[2:]
    padw = [(0, 0), (0, 0)] + [(pad[i], pad[nsp + i]) for i in range(nsp)]
    xp = np.pad(xv.astype(np.float64), padw)
    outs = [(xv.shape[2 + i] + pad[i] + pad[nsp + i] - dil[i] * (ks[i] - 1) - 1) // stride[i] + 1
            for i in range(nsp)]
    y = np.zeros((n, m) + tuple(outs))
    mg = m // groups
    for o in itertools.product(*[range(s) for s in outs]):
        for k in itertools.product(*[range(s) for s in ks]):
            idx = tuple(o[i] * stride[i] + k[i] * dil[i] for i in range(nsp))
            patch = xp[(slice(None), slice(None)) + idx]           # [n, c]
            for g in range(groups):
                y[(slice(None), slice(g * mg, (g + 1) * mg)) + o] += \
                    patch[:, g * cg:(g + 1) * cg] @ w[(slice(g * mg, (g + 1) * mg), slice(None)) + k].T
    if b is not None:
        y += b.reshape((1, -1) + (1,) * nsp)
    return y


def conv_case(name, op, xs, ws, stride, pad, dil, groups, bias=True):
    xv, w = rand(*xs), rand(*ws)
    b = rand(ws[0]) if bias else None
    want = conv_nd(xv, w.astype(np.float64), b, stride, pad, dil, groups)
    ins = [xv, w] + ([b] if bias else [])
    case(name, op, ins, [f32(want)], {"stride": stride, "pad": pad, "dilation": dil, "groups": groups},
         rtol=1e-5, atol=1e-5)


conv_case("conv2d", "conv2d", (2, 3, 7, 6), (4, 3, 3, 3), [1, 1], [0, 0, 0, 0], [1, 1], 1)
conv_case("conv2d_strided_padded", "conv2d", (1, 4, 9, 8), (6, 2, 3, 2), [2, 3], [1, 0, 2, 1], [1, 1], 2)
conv_case("conv2d_dilated", "conv2d", (1, 2, 9, 9), (3, 2, 3, 3), [1, 1], [2, 2, 2, 2], [2, 3], 1, bias=False)
conv_case("conv2d_depthwise", "conv2d", (1, 4, 6, 6), (4, 1, 3, 3), [1, 1], [1, 1, 1, 1], [1, 1], 4)
conv_case("conv1d", "conv1d", (2, 3, 10), (5, 3, 4), [2], [1, 2], [1], 1)
conv_case("conv3d", "conv3d", (1, 2, 4, 5, 4), (2, 2, 2, 3, 2), [1, 2, 1], [0, 1, 1, 1, 0, 0], [1, 1, 2], 1)


def conv_transpose_nd(xv, w, b, stride, pad, dil, groups, opad):
    """As a convolution: spread x by the stride, pad by d*(k-1) - pad (plus the
    output padding at the end), convolve with the flipped, transposed kernel."""
    nsp = xv.ndim - 2
    n, c = xv.shape[:2]
    mg = w.shape[1]
    ks = w.shape[2:]
    spread = np.zeros((n, c) + tuple((xv.shape[2 + i] - 1) * stride[i] + 1 for i in range(nsp)))
    spread[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)] = xv
    cg = c // groups
    wt = np.zeros((groups * mg, cg) + ks)
    for g in range(groups):
        blk = w[g * cg:(g + 1) * cg]                              # [cg, mg, k...]
        wt[g * mg:(g + 1) * mg] = np.flip(blk, axis=tuple(range(2, 2 + nsp))).swapaxes(0, 1)
    before = [dil[i] * (ks[i] - 1) - pad[i] for i in range(nsp)]
    after = [dil[i] * (ks[i] - 1) - pad[nsp + i] + opad[i] for i in range(nsp)]
    # Negative padding crops.
    crop = tuple(slice(max(-before[i], 0), spread.shape[2 + i] - max(-after[i], 0)) for i in range(nsp))
    spread = spread[(slice(None), slice(None)) + crop]
    pads = [max(v, 0) for v in before] + [max(v, 0) for v in after]
    return conv_nd(spread, wt, b, [1] * nsp, pads, dil, groups)


def convt_case(name, op, xs, ws, stride, pad, dil, groups, opad):
    xv, w, b = rand(*xs), rand(*ws), rand(ws[1] * groups)
    want = conv_transpose_nd(xv, w.astype(np.float64), b, stride, pad, dil, groups, opad)
    case(name, op, [xv, w, b], [f32(want)],
         {"stride": stride, "pad": pad, "dilation": dil, "groups": groups, "output_padding": opad},
         rtol=1e-5, atol=1e-5)


convt_case("conv_transpose2d", "conv_transpose2d", (1, 2, 3, 4), (2, 3, 3, 3), [2, 2], [1, 0, 1, 1], [1, 1], 1, [1, 0])
convt_case("conv_transpose2d_groups", "conv_transpose2d", (2, 4, 3, 3), (4, 1, 2, 2), [1, 2], [0, 0, 0, 0], [2, 1], 2, [0, 1])
convt_case("conv_transpose1d", "conv_transpose1d", (1, 3, 5), (3, 2, 3), [3], [1, 0], [1], 1, [2])
convt_case("conv_transpose3d", "conv_transpose3d", (1, 2, 2, 3, 2), (2, 2, 2, 2, 2), [2, 1, 2], [0, 0, 1, 0, 0, 0], [1, 1, 1], 1, [0, 0, 1])


def pool_nd(xv, kernel, stride, pad, dil, ceil_mode, kind, count_include_pad=False):
    """Windows over the padded input; padding never wins a max and counts in
    an average only with count_include_pad, and only the explicit padding."""
    nsp = xv.ndim - 2
    ins = xv.shape[2:]
    outs = []
    for i in range(nsp):
        span = dil[i] * (kernel[i] - 1) + 1
        total = ins[i] + pad[i] + pad[nsp + i] - span
        o = (-(-total // stride[i]) if ceil_mode else total // stride[i]) + 1
        if ceil_mode and (o - 1) * stride[i] >= ins[i] + pad[i]:
            o -= 1
        outs.append(o)
    y = np.zeros(xv.shape[:2] + tuple(outs))
    for o in itertools.product(*[range(s) for s in outs]):
        vals, count = [], 0
        for k in itertools.product(*[range(s) for s in kernel]):
            pos = [o[i] * stride[i] - pad[i] + k[i] * dil[i] for i in range(nsp)]
            inside = all(0 <= pos[i] < ins[i] for i in range(nsp))
            in_pad = all(-pad[i] <= pos[i] < ins[i] + pad[nsp + i] for i in range(nsp))
            if inside:
                vals.append(xv[(slice(None), slice(None)) + tuple(pos)].astype(np.float64))
            if (in_pad if count_include_pad else inside):
                count += 1
        stack = np.stack(vals)
        y[(slice(None), slice(None)) + o] = stack.max(0) if kind == "max" else stack.sum(0) / count
    return y


def pool_case(name, op, xs, kernel, stride, pad, dil, ceil_mode, count_include_pad=None):
    xv = rand(*xs)
    kind = "max" if op.startswith("max") else "avg"
    attrs = {"kernel": kernel, "stride": stride, "pad": pad, "dilation": dil, "ceil_mode": ceil_mode}
    if count_include_pad is not None:
        attrs["count_include_pad"] = count_include_pad
    want = pool_nd(xv, kernel, stride, pad, dil, ceil_mode, kind, bool(count_include_pad))
    case(name, op, [xv], [f32(want)], attrs)


pool_case("max_pool2d", "max_pool2d", (1, 2, 6, 6), [2, 2], [2, 2], [0, 0, 0, 0], [1, 1], False)
pool_case("max_pool2d_ceil", "max_pool2d", (1, 1, 5, 7), [3, 2], [2, 2], [1, 0, 0, 1], [1, 1], True)
pool_case("max_pool2d_dilated", "max_pool2d", (2, 1, 7, 7), [2, 3], [1, 2], [1, 1, 1, 1], [2, 2], False)
pool_case("avg_pool2d", "avg_pool2d", (1, 2, 5, 5), [3, 3], [2, 2], [1, 1, 1, 1], [1, 1], False, False)
pool_case("avg_pool2d_include_pad", "avg_pool2d", (1, 2, 5, 5), [3, 3], [2, 2], [1, 1, 1, 1], [1, 1], False, True)
pool_case("avg_pool2d_ceil_include_pad", "avg_pool2d", (1, 1, 6, 6), [3, 3], [2, 2], [1, 1, 0, 0], [1, 1], True, True)
pool_case("max_pool1d", "max_pool1d", (2, 3, 9), [3], [2], [1, 1], [1], True)
pool_case("avg_pool1d", "avg_pool1d", (1, 2, 8), [4], [3], [2, 1], [1], False, False)
pool_case("max_pool3d", "max_pool3d", (1, 1, 4, 4, 4), [2, 2, 2], [2, 2, 2], [0, 0, 0, 0, 0, 0], [1, 1, 1], False)
pool_case("avg_pool3d", "avg_pool3d", (1, 1, 3, 4, 5), [2, 2, 3], [1, 2, 2], [0, 1, 1, 0, 0, 1], [1, 1, 1], False, True)
GP = rand(2, 3, 4, 5)
case("global_avg_pool", "global_avg_pool", [GP], [f32(GP.astype(np.float64).mean(axis=(2, 3), keepdims=True))])
case("global_max_pool", "global_max_pool", [GP], [GP.max(axis=(2, 3), keepdims=True)])

# ---- Normalisation ---------------------------------------------------------------------

NX = rand(2, 3, 4, 5)
nx = NX.astype(np.float64)
sc, bi, mu, var = rand(3), rand(3), rand(3), rand(3, lo=0.5, hi=2)
r = lambda v: v.reshape(1, 3, 1, 1)
case("batch_norm", "batch_norm", [NX, sc, bi, mu, var],
     [f32((nx - r(mu)) / np.sqrt(r(var) + 1e-3) * r(sc) + r(bi))], {"epsilon": 1e-3}, rtol=1e-5, atol=1e-5)
mean = nx.mean(axis=(2, 3), keepdims=True)
varx = ((nx - mean) ** 2).mean(axis=(2, 3), keepdims=True)
case("instance_norm", "instance_norm", [NX, sc, bi],
     [f32((nx - mean) / np.sqrt(varx + 1e-5) * r(sc) + r(bi))], rtol=1e-5, atol=1e-5)
LS, LB = rand(5), rand(5)
m = nx.mean(axis=-1, keepdims=True)
v = ((nx - m) ** 2).mean(axis=-1, keepdims=True)
case("layer_norm", "layer_norm", [NX, LS, LB], [f32((nx - m) / np.sqrt(v + 1e-5) * LS + LB)], rtol=1e-5, atol=1e-5)
LS2 = rand(4, 1)
m = nx.mean(axis=(2, 3), keepdims=True)
v = ((nx - m) ** 2).mean(axis=(2, 3), keepdims=True)
case("layer_norm_axis2", "layer_norm", [NX, LS2], [f32((nx - m) / np.sqrt(v + 0.01) * LS2)],
     {"axis": 2, "epsilon": 0.01}, rtol=1e-5, atol=1e-5)
for axis in (0, 1, -1):
    e_ = np.exp(nx - nx.max(axis=axis, keepdims=True))
    sm = e_ / e_.sum(axis=axis, keepdims=True)
    case(f"softmax_axis{axis}".replace("-", "m"), "softmax", [NX], [f32(sm)], {"axis": axis})
    case(f"log_softmax_axis{axis}".replace("-", "m"), "log_softmax", [NX], [f32(np.log(sm))], {"axis": axis},
         rtol=1e-5, atol=1e-5)
BIGS = f32([[1000, 1001, 1002], [-1000, 0, 1000]])
bs = BIGS.astype(np.float64)
sm = np.exp(bs - bs.max(1, keepdims=True)) / np.exp(bs - bs.max(1, keepdims=True)).sum(1, keepdims=True)
case("softmax_large", "softmax", [BIGS], [f32(sm)])
SH = rand(2, 6).astype(np.float16)
sh = SH.astype(np.float64)
case("softmax_f16", "softmax", [SH],
     [(np.exp(sh) / np.exp(sh).sum(-1, keepdims=True)).astype(np.float32).astype(np.float16)], rtol=2e-3, atol=1e-3)

# ---- Reductions ------------------------------------------------------------------------

RX = rand(2, 3, 4, lo=0.2, hi=2)
rx = RX.astype(np.float64)
reductions = {
    "reduce_sum": lambda v, ax, kd: v.sum(axis=ax, keepdims=kd),
    "reduce_mean": lambda v, ax, kd: v.mean(axis=ax, keepdims=kd),
    "reduce_max": lambda v, ax, kd: v.max(axis=ax, keepdims=kd),
    "reduce_min": lambda v, ax, kd: v.min(axis=ax, keepdims=kd),
    "reduce_prod": lambda v, ax, kd: v.prod(axis=ax, keepdims=kd),
    "reduce_l1": lambda v, ax, kd: np.abs(v).sum(axis=ax, keepdims=kd),
    "reduce_l2": lambda v, ax, kd: np.sqrt((v * v).sum(axis=ax, keepdims=kd)),
    "reduce_sum_square": lambda v, ax, kd: (v * v).sum(axis=ax, keepdims=kd),
    "reduce_log_sum": lambda v, ax, kd: np.log(v.sum(axis=ax, keepdims=kd)),
    "reduce_log_sum_exp": lambda v, ax, kd: np.log(np.exp(v).sum(axis=ax, keepdims=kd)),
}
for op, fn in reductions.items():
    case(f"{op}_axes", op, [RX], [f32(fn(rx, (0, 2), True))], {"axes": [0, -1]}, rtol=1e-5, atol=1e-6)
    case(f"{op}_all", op, [RX], [f32(fn(rx, None, False))], {"keepdims": False}, rtol=1e-5, atol=1e-6)
case("reduce_sum_noop", "reduce_sum", [RX], [RX], {"noop_with_empty_axes": True})
case("reduce_log_sum_exp_large", "reduce_log_sum_exp", [f32([[1000, 1000], [-1000, -999]])],
     [f32([1000 + math.log(2), -999 + math.log1p(math.exp(-1))])], {"axes": [1], "keepdims": False})
RI = randint(3, 4, lo=-50, hi=50)
case("reduce_sum_i32", "reduce_sum", [RI], [RI.sum(axis=1).astype(np.int32)], {"axes": [1], "keepdims": False})
case("reduce_max_i32", "reduce_max", [RI], [RI.max(axis=0, keepdims=True)], {"axes": [0]})
case("reduce_mean_i32", "reduce_mean", [RI], [np.fix(RI.sum(axis=1) / 4).astype(np.int32)], {"axes": [1], "keepdims": False})
RW = np.array([[100, 100, 100]], np.int8)
case("reduce_sum_i8_wrap", "reduce_sum", [RW], [np.array([44], np.int8)], {"axes": [1], "keepdims": False})
AX = f32([[1, 5, 5, 2], [7, 0, 7, -1], [3, 3, 3, 3]])
case("argmax", "argmax", [AX], [np.argmax(AX, axis=1).astype(np.int64)], {"axis": 1, "keepdims": False})
case("argmax_last", "argmax", [AX], [(3 - np.argmax(AX[:, ::-1], axis=1)).reshape(3, 1).astype(np.int64)],
     {"axis": 1, "select_last_index": True})
case("argmin", "argmin", [AX], [np.argmin(AX, axis=0).reshape(1, 4).astype(np.int64)], {"axis": 0})
case("argmin_i32", "argmin", [RI], [np.argmin(RI, axis=-1).astype(np.int64)], {"axis": -1, "keepdims": False})

# ---- Shapes and data movement ---------------------------------------------------------

T = rand(2, 3, 4)
case("reshape", "reshape", [T], [T.reshape(4, 6)], {"shape": [4, -1]})
case("reshape_zero", "reshape", [T], [T.reshape(2, 12)], {"shape": [0, -1]})
case("flatten", "flatten", [T], [T.reshape(2, 12)])
case("flatten_0", "flatten", [T], [T.reshape(1, 24)], {"axis": 0})
case("flatten_m1", "flatten", [T], [T.reshape(6, 4)], {"axis": -1})
S1 = rand(1, 3, 1, 2)
case("squeeze_all", "squeeze", [S1], [S1.reshape(3, 2)])
case("squeeze_axes", "squeeze", [S1], [S1.reshape(3, 1, 2)], {"axes": [0]})
case("unsqueeze", "unsqueeze", [T], [T.reshape(1, 2, 3, 1, 4)], {"axes": [0, -2]})
case("transpose", "transpose", [T], [T.transpose(1, 2, 0).copy()], {"perm": [1, 2, 0]})
case("transpose_default", "transpose", [T], [T.transpose().copy()])
E1 = rand(3, 1)
case("expand", "expand", [E1], [np.broadcast_to(E1, (2, 3, 4)).copy()], {"shape": [2, 1, 4]})
C1, C2, C3 = rand(2, 1, 4), rand(2, 3, 4), rand(2, 2, 4)
case("concat", "concat", [C1, C2, C3], [np.concatenate([C1, C2, C3], axis=1)], {"axis": -2})
case("concat_i64", "concat", [np.arange(3, dtype=np.int64), np.arange(2, dtype=np.int64)],
     [np.array([0, 1, 2, 0, 1], np.int64)], {"axis": 0})
case("split", "split", [C2], list(np.split(C2, [1, 3], axis=2)), {"axis": 2, "split": [1, 2, 1]})
SL = rand(5, 6, 4)
slices = {
    "slice": ([1, 0], [4, 5], [0, 1], [1, 2], (slice(1, 4), slice(0, 5, 2))),
    "slice_negative": ([-1, -2], [-6, -100], [0, 2], [-2, -1], (slice(-1, -6, -2), slice(None), slice(-2, None, -1))),
    "slice_clamped": ([-100], [100], [1], [3], (slice(None), slice(None, None, 3))),
    "slice_int64_bounds": ([2 ** 63 - 1], [-(2 ** 63)], [0], [-1], (slice(None, None, -1),)),
    "slice_empty": ([3], [1], [2], [1], (slice(None), slice(None), slice(3, 1))),
}
for name, (st, en, ax, sp, idx) in slices.items():
    case(name, "slice", [SL], [SL[idx].copy()], {"starts": st, "ends": en, "axes": ax, "steps": sp})
case("slice_defaults", "slice", [SL], [SL[1:3, :2].copy()], {"starts": [1, 0], "ends": [3, 2]})
PD = rand(3, 4)
case("pad_constant", "pad", [PD], [np.pad(PD, ((1, 0), (2, 3)), constant_values=1.5)],
     {"pads": [1, 2, 0, 3], "value": 1.5})
case("pad_reflect", "pad", [PD], [np.pad(PD, ((2, 1), (3, 1)), mode="reflect")], {"pads": [2, 3, 1, 1], "mode": "reflect"})
case("pad_edge", "pad", [PD], [np.pad(PD, ((0, 2), (1, 4)), mode="edge")], {"pads": [0, 1, 2, 4], "mode": "edge"})
case("pad_crop", "pad", [PD], [np.pad(PD, ((0, 0), (1, 0)))[1:, :-2].copy()], {"pads": [-1, 1, 0, -2]})
case("pad_i32", "pad", [I32], [np.pad(I32, ((1, 1), (0, 0)), constant_values=-7)], {"pads": [1, 0, 1, 0], "value": -7.0})
TL = rand(2, 3)
case("tile", "tile", [TL], [np.tile(TL, (3, 2))], {"repeats": [3, 2]})
GD = rand(5, 4)
GI = np.array([[0, -1], [3, 2], [-5, 1]], np.int64)
case("gather", "gather", [GD, GI], [np.take(GD, np.where(GI < 0, GI + 5, GI), axis=0)])
case("gather_axis1_i32", "gather", [GD, np.array([3, -4, 0], np.int32)], [GD[:, [3, 0, 0]]], {"axis": 1})
case("gather_scalar_index", "gather", [GD, np.int64(2)], [GD[2]], {"axis": -2})
case("gather_out_of_range", "gather", [GD, np.array([1, 5], np.int64)], [GD[[1, 1]]],
     error="gather: index 5 is out of range for axis 0 of size 5")
GE = np.array([[1, -4, 0], [4, 2, 3]], np.int64)
case("gather_elements", "gather_elements", [GD, GE],
     [np.take_along_axis(GD[:, :3], np.where(GE < 0, GE + 5, GE), axis=0)])
GE1 = np.array([[3], [-1], [0]], np.int32)
case("gather_elements_axis1_i32", "gather_elements", [GD, GE1],
     [np.take_along_axis(GD[:3], np.where(GE1 < 0, GE1 + 4, GE1), axis=1)], {"axis": -1})
case("gather_elements_out_of_range", "gather_elements", [GD, np.array([[1, 5]], np.int64)],
     [GD[:1, :2]], error="gather_elements: index 5 is out of range for axis 0 of size 5")

# Casts: round to nearest even; float to integer truncates and saturates
# (NaN is 0); integer to integer keeps the low bits; bool is x != 0.
CF = np.array([2.9, -2.9, 300.0, -300.0, np.nan, 0.5, -0.0, 127.5], np.float32)
case("cast_f32_i8", "cast", [CF], [np.array([2, -2, 127, -128, 0, 0, 0, 127], np.int8)], {"to": Dtype("i8")})
case("cast_f32_u8", "cast", [CF], [np.array([2, 0, 255, 0, 0, 0, 0, 127], np.uint8)], {"to": Dtype("u8")})
case("cast_f32_i32", "cast", [f32([3e9, -3e9, 1.5, -1.5])], [np.array([2 ** 31 - 1, -(2 ** 31), 1, -1], np.int32)],
     {"to": Dtype("i32")})
case("cast_f32_bool", "cast", [CF], [CF != 0], {"to": Dtype("bool")})
case("cast_i32_u8", "cast", [np.array([300, -1, 255, 256], np.int32)], [np.array([44, 255, 255, 0], np.uint8)],
     {"to": Dtype("u8")})
case("cast_i64_i8", "cast", [np.array([2 ** 40 + 129, -129], np.int64)], [np.array([-127, 127], np.int8)],
     {"to": Dtype("i8")})
case("cast_bool_f32", "cast", [np.array([True, False])], [f32([1, 0])], {"to": Dtype("f32")})
case("cast_f32_f16", "cast", [f32([0.1, 65519, 65520, 1e-8, -3.14159])],
     [np.array([0.1, 65519, 65520, 1e-8, -3.14159], np.float32).astype(np.float16)], {"to": Dtype("f16")})
case("cast_f16_f32", "cast", [H], [H.astype(np.float32)], {"to": Dtype("f32")})
case("cast_f32_bf16", "cast", [f32([1.0039062, 1.0117188, -2.5e-3])], [bf16(f32([1.0039062, 1.0117188, -2.5e-3]))],
     {"to": Dtype("bf16")}, out_types=["bf16"], rtol=0, atol=0)
case("cast_i64_f32", "cast", [np.array([2 ** 24 + 1, -7], np.int64)], [f32([2 ** 24, -7])], {"to": Dtype("f32")})

# A graph that is only a constant.
CASES_TEXT_CONST = """graph const_only() -> (y: i32[2, 2]) {
  %y: i32[2, 2] = constant(value=[[1, -2], [3, 2147483647]])
  return %y
}
"""
case("constant", None, [], [np.array([[1, -2], [3, 2 ** 31 - 1]], np.int32)], text=CASES_TEXT_CONST)

# ---- Quantisation ------------------------------------------------------------------------

QX = f32([0, 2, 3, 1000, -254, -1000, 5, -5, 1, -1])
case("quantize_u8", "quantize_linear", [QX, np.float32(2), np.uint8(128)],
     [np.clip(np.round(QX / 2) + 128, 0, 255).astype(np.uint8)])
case("quantize_default_zp", "quantize_linear", [QX, np.float32(2)], [np.clip(np.round(QX / 2), 0, 255).astype(np.uint8)])
QA4 = rand(1, 3, 2, 2, lo=-300, hi=300)
qs, qz = f32([2, 4, 5]), np.array([-10, 0, 20], np.int8)
case("quantize_axis_i8", "quantize_linear", [QA4, qs, qz],
     [np.clip(np.round(QA4 / qs.reshape(1, 3, 1, 1)) + qz.reshape(1, 3, 1, 1), -128, 127).astype(np.int8)])
DQ = np.array([0, 3, 128, 255], np.uint8)
case("dequantize_u8", "dequantize_linear", [DQ, np.float32(0.5), np.uint8(128)], [f32((DQ.astype(np.float64) - 128) * 0.5)])
DQ2 = randint(2, 3, lo=-128, hi=128, dtype=np.int8)
dqs, dqz = f32([0.1, 0.2]), np.array([1, -1], np.int8)
case("dequantize_axis", "dequantize_linear", [DQ2, dqs, dqz],
     [f32((DQ2.astype(np.float64) - dqz.reshape(2, 1)) * dqs.reshape(2, 1))], {"axis": 0})
case("dequantize_i32", "dequantize_linear", [np.array([-1000, 7], np.int32), np.float32(0.25)], [f32([-250, 1.75])])


# ---- Fused kernels (made by the passes; docs/ir.md "Fused kernels") -----------------
# A body computes in f32 for f16 operands and the kernel rounds once, at the
# store: the f16 case below checks that no rounding happens in between.

FX = rand(2, 3, lo=-2, hi=2).astype(np.float16)
FB = rand(3, lo=-1, hi=1)
fx, fb = FX.astype(np.float64), FB.astype(np.float64)
case("fused_f16", None, [FX, FB], [(f32(f32(fx + fb) * np.float32(1.5))).astype(np.float16)],
     text="""graph fused_f16(%x: f16[2, 3], %b: f32[3]) -> (y: f16[2, 3]) {
  %y: f16[2, 3] = fused(%x, %b, dtype=f16, body={(%0: f32[], %1: f32[]) -> f32[]
    %2: f32[] = add(%0, %1)
    %3: f32[] = constant(value=1.5)
    %4: f32[] = mul(%2, %3)
    return %4
  })
  return %y
}
""")
CI = randint(2, 4, lo=-100, hi=100, dtype=np.int8)
# div truncates toward zero: -3 / 2 is -1
case("fused_where_i8", None, [CI], [np.where(CI > 0, CI, np.trunc(CI / 2)).astype(np.int8)],
     text="""graph fused_where_i8(%x: i8[2, 4]) -> (y: i8[2, 4]) {
  %y: i8[2, 4] = fused(%x, body={(%0: i8[]) -> i8[]
    %z: i8[] = constant(value=0)
    %p: bool[] = greater(%0, %z)
    %t: i8[] = constant(value=2)
    %h: i8[] = div(%0, %t)
    %r: i8[] = where(%p, %0, %h)
    return %r
  })
  return %y
}
""")
MA, MW, MB = rand(1, 3, 4), rand(3, 4, 5), rand(5)
mm = np.matmul(MA.astype(np.float64), MW.astype(np.float64))
case("fused_matmul", None, [MA, MW, MB], [f32(np.maximum(f32(f32(mm) + MB.astype(np.float64)), 0))],
     text="""graph fused_matmul(%a: f32[1, 3, 4], %w: f32[3, 4, 5], %b: f32[5]) -> (y: f32[3, 3, 5]) {
  %y: f32[3, 3, 5] = fused_matmul(%a, %w, %b, body={(%acc: f32[], %0: f32[]) -> f32[]
    %1: f32[] = add(%acc, %0)
    %2: f32[] = relu(%1)
    return %2
  })
  return %y
}
""")
QA, QB = randint(2, 8, lo=-128, hi=128, dtype=np.int8), randint(8, 3, lo=0, hi=256, dtype=np.uint8)
case("fused_matmul_i8", None, [QA, QB], [(QA.astype(np.int64) @ QB.astype(np.int64)).astype(np.int32)],
     text="""graph fused_matmul_i8(%a: i8[2, 8], %b: u8[8, 3]) -> (y: i32[2, 3]) {
  %y: i32[2, 3] = fused_matmul(%a, %b, body={(%acc: i32[]) -> i32[]
    return %acc
  })
  return %y
}
""")
CX, CW, CB = rand(1, 2, 5, 5), rand(4, 2, 3, 3), rand(4)
conv = conv_nd(CX.astype(np.float64), CW.astype(np.float64), None, [2, 1], [1, 0, 1, 0], [1, 1], 1)
case("fused_conv", None, [CX, CW, CB], [f32(f32(conv) * CB.astype(np.float64).reshape(4, 1, 1))],
     text="""graph fused_conv(%x: f32[1, 2, 5, 5], %w: f32[4, 2, 3, 3], %s: f32[4]) -> (y: f32[1, 4, 3, 3]) {
  %s2: f32[4, 1, 1] = reshape(%s, shape=[4, 1, 1])
  %y: f32[1, 4, 3, 3] = fused_conv(%x, %w, %s2, stride=[2, 1], pad=[1, 0, 1, 0], body={(%acc: f32[], %0: f32[]) -> f32[]
    %1: f32[] = mul(%acc, %0)
    return %1
  })
  return %y
}
""")
RX, RM = rand(2, 3, 4), rand(2, 1, 4)
rd = ((RX.astype(np.float64) - RM.astype(np.float64)) ** 2)
case("fused_reduce", None, [RX, RM], [f32(f32(rd).astype(np.float64).sum(axis=1, keepdims=True))],
     text="""graph fused_reduce(%x: f32[2, 3, 4], %m: f32[2, 1, 4]) -> (y: f32[2, 1, 4]) {
  %y: f32[2, 1, 4] = fused_reduce(%x, %m, kind="sum", axes=[1], body={(%0: f32[], %1: f32[]) -> f32[]
    %2: f32[] = sub(%0, %1)
    %3: f32[] = mul(%2, %2)
    return %3
  })
  return %y
}
""")
RH = rand(3, 5).astype(np.float16)
case("fused_reduce_max_f16", None, [RH], [RH.astype(np.float64).max(axis=(0, 1), keepdims=True).astype(np.float16)],
     text="""graph fused_reduce_max_f16(%x: f16[3, 5]) -> (y: f16[1, 1]) {
  %y: f16[1, 1] = fused_reduce(%x, kind="max", axes=[0, 1], dtype=f16, body={(%0: f32[]) -> f32[]
    return %0
  })
  return %y
}
""")


# ---- Writing the cases -------------------------------------------------------------------

def main():
    os.makedirs(OUT, exist_ok=True)
    lines = []
    for name, text, inputs, outputs, rtol, atol, error in CASES:
        with open(os.path.join(OUT, name + ".ir"), "w") as f:
            f.write(text)
        lines.append(f"case {name}")
        lines.append(f"ir {name}.ir")
        for k, a in enumerate(inputs):
            path = f"{name}.in{k}.npy"
            np.save(os.path.join(OUT, path), np.array(a, order="C"))
            lines.append(f"in {path}")
        for k, o in enumerate(outputs):
            path = f"{name}.out{k}.npy"
            np.save(os.path.join(OUT, path), np.array(o, order="C"))
            lines.append(f"out {path} {rtol!r} {atol!r}")
        if error:
            lines.append(f"error {error}")
        lines.append("end")
    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(CASES)} cases in {OUT}")


main()
