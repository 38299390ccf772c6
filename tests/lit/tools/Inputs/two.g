graph first(x: f32[2]) -> (y: f32[2]) {
    y = x * 2
}

graph second(x: f32[2]) -> (y: f32[2]) {
    y = x * 3
}
