# Pooling for the kernel tests: max (NaN loses) and average with the
# window counts of ceil_mode and padding.
graph pool(x: f32[1, 2, 7, 7]) -> (mx: f32[1, 2, 4, 4], av: f32[1, 2, 4, 4]) {
    mx = max_pool2d(x, kernel=[3, 3], stride=[2, 2], pad=[1, 1, 1, 1])
    av = avg_pool2d(x, kernel=[2, 2], stride=[2, 2], ceil_mode=true, count_include_pad=false)
}
