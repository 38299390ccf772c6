graph g(x: bf16[3]) -> (y: bf16[3]) {
    y = x / 3
}
