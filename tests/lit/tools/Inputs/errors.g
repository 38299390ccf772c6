# Two errors in one graph, for the diagnostics tests (diagnostics.test).
graph main(x: f32[4]) -> (y: f32[4]) {
    t = relu2(x)
    y = x + undefined_name
}
