# A model read from several files (tests/lit/tools/depfile.test): an
# import, a weight file and, with --freeze b=b.npy, a frozen input.
import "lib dir/layers.g"

graph net(x: f32[4], b: f32[4]) -> (y: f32[4]) {
    param w: f32[4] = load("w.npy")
    y = scale_add(x, w) + b
}
