# Image preprocessing ahead of a CNN, with elementwise math and data
# movement only: a batch of camera images (HWC, pixel values 0..255)
# becomes a normalised NCHW batch with a 2-pixel reflected border (ready
# for a 5x5 convolution), and a mirrored copy of it for test-time
# augmentation.
#
#   acc-run examples/preprocess.g --random-inputs          # compiled, simulated
#   acc-run --reference examples/preprocess.g --random-inputs

dim N = 4 # the batch; override with -D N=...

# Per-channel normalisation with ImageNet's mean and standard deviation,
# HWC to CHW. B, R and S are bound by the argument's shape.
graph normalise(img: f32[B, R, S, 3]) -> (y: f32[B, 3, R, S]) {
    param mean: f32[3, 1, 1] = [[[123.675]], [[116.28]], [[103.53]]]
    param inv_std: f32[3, 1, 1] = [[[0.0171248]], [[0.017507]], [[0.0174292]]]
    y = (transpose(img, perm=[0, 3, 1, 2]) - mean) * inv_std
}

graph preprocess(pixels: f32[N, 28, 28, 3]) -> (x: f32[N, 3, 32, 32], mirrored: f32[N, 3, 32, 32]) {
    t = normalise(clip(pixels, 0.0, 255.0))
    x = pad(t, pads=[0, 0, 2, 2, 0, 0, 2, 2], mode="reflect")
    mirrored = slice(x, starts=[-1], ends=[-100], axes=[3], steps=[-1])
}
