# How each construct of the DSL lowers to IR.
# RUN: accc --emit=ir %s | FileCheck %s
# RUN: accc --emit=ir -D N=5 %s | FileCheck %s --check-prefix=N5

dim N = 2   # the batch
dim F = 3 * 2 ; dim H = F // 4   # constant arithmetic: F is 6, H is 1

# B and K come from the arguments' shapes, scale from a constant argument.
graph scaled(x: f32[B, K], scale: float) -> (y: f32[B, K]) {
    y = x * scale
}

graph halves(x: f32[B, K]) -> (lo: f32[B, K // 2], hi: f32[B, K // 2]) {
    lo, hi = split(x, axis=1, split=[K // 2, K // 2])
}

graph ones_like_scale() -> (y: f32[F]) {
    param y: f32[F] = ones
}

# The entry graph is the last one (or --entry NAME).
# CHECK-LABEL: graph main(%x: f32[2, 6], %ids: i64[3]) -> (out: f32[2, 6], picked: f32[3, 6], flags: bool[2, 6]) {
# N5-LABEL: graph main(%x: f32[5, 6], %ids: i64[3]) -> (out: f32[5, 6]
graph main(x: f32[N, F], ids: i64[3]) -> (out: f32[N, F], picked: f32[3, F], flags: bool[N, F]) {
    # Parameters: recipes, literals (a single number fills the tensor), files.
# CHECK-NEXT: %w: f32[6, 6] = constant(value=normal(seed=7, std=0.5))
# CHECK-NEXT: %b: f32[6] = constant(value=[1.5, -2.0, 0.0, 0.25, 3.0, -1.0])
# CHECK-NEXT: %eps: f32[2, 6] = constant(value={{\[\[}}0.125, 0.125, 0.125, 0.125, 0.125, 0.125], [0.125, 0.125, 0.125, 0.125, 0.125, 0.125]])
# CHECK-NEXT: %table: f32[4, 6] = constant(value=uniform(seed=3, lo=-1.0, hi=1.0))
# CHECK-NEXT: %counts: i32[2] = constant(value=[7, -8])
# CHECK-NEXT: %mask: bool[6] = constant(value=[true, false, true, false, true, false])
    param w: f32[F, F] = normal(seed=7, std=0.5)
    param b: f32[F] = [1.5, -2, 0, 0.25, 3, -1]
    param eps: f32[N, F] = 0.125
    param table: f32[4, F] = uniform(3, -1, 1)
    param counts: i32[2] = [7, -8]
    param mask: bool[F] = [true, false, true, false, true, false]

    # Infix operators broadcast; numbers take the dtype of the tensor beside
    # them; nesting and precedence are as usual (* / @ before + -).
# CHECK-NEXT: %0: f32[2, 6] = matmul(%x, %w)
# CHECK-NEXT: %1: f32[] = constant(value=2.0)
# CHECK-NEXT: %2: f32[6] = mul(%b, %1)
# CHECK-NEXT: %3: f32[2, 6] = add(%0, %2)
# CHECK-NEXT: %4: f32[2, 6] = neg(%3)
# CHECK-NEXT: %h: f32[2, 6] = relu(%4)
    h = relu(-(x @ w + b * 2))

    # A graph call is inlined; its result takes the caller's name.
# CHECK-NEXT: %5: f32[] = constant(value=0.5)
# CHECK-NEXT: %s: f32[2, 6] = mul(%h, %5)
    s = scaled(h, 0.5)
# CHECK-NEXT: %lo: f32[2, 3], %hi: f32[2, 3] = split(%s, axis=1, split=[3, 3])
    lo, hi = halves(s)
# CHECK-NEXT: %joined: f32[2, 6] = concat(%hi, %lo, axis=-1)
    joined = concat(hi, lo, axis=-1)

    # Attributes: ints, floats, bools, strings, dtypes, lists, named dims.
# CHECK-NEXT: %c: f16[2, 6] = cast(%joined, to=f16)
# CHECK-NEXT: %r: f16[2, 1, 6] = reshape(%c, shape=[2, 1, -1], allowzero=false)
# CHECK-NEXT: %g: f16[2, 1, 6] = gelu(%r, approximate="tanh")
# CHECK-NEXT: %m: f16[2, 1, 1] = reduce_mean(%g, axes=[-1], keepdims=true, noop_with_empty_axes=false)
    c = cast(joined, to=f16)
    r = reshape(c, shape=[N, H, -1])
    g = gelu(r, approximate="tanh")
    m = reduce_mean(g, axes=[-1])

    # A statement may span lines inside brackets; ';' separates statements.
    out = layer_norm(joined + eps,
                     ones_like_scale(),
                     axis=-1, epsilon=1e-3); picked = gather(table, ids, axis=0)
    flags = greater(out, 0) # comparisons give bool
# CHECK-NEXT: %6: f32[2, 6] = add(%joined, %eps)
# CHECK-NEXT: %y: f32[6] = constant(value=ones)
# CHECK-NEXT: %out: f32[2, 6] = layer_norm(%6, %y, axis=-1, epsilon=0.001)
# CHECK-NEXT: %picked: f32[3, 6] = gather(%table, %ids, axis=0)
# CHECK-NEXT: %7: f32[] = constant(value=0.0)
# CHECK-NEXT: %flags: bool[2, 6] = greater(%out, %7)
# CHECK-NEXT: return %out, %picked, %flags
# CHECK-NEXT: }
}
