# Imported by model.g.
graph scale_add(x: f32[4], w: f32[4]) -> (y: f32[4]) {
    y = x * w + x
}
