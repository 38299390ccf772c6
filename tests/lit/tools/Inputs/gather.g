graph g(ids: i64[2]) -> (y: f32[2, 3]) {
    param table: f32[4, 3] = uniform(1, 0, 1)
    y = gather(table, ids, axis=0)
}
