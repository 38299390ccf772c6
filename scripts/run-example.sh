#!/bin/sh
# make run: the end-to-end path a newcomer runs first.
# usage: scripts/run-example.sh BUILD_DIR
#
# Until the compiler produces ACC-1 binaries, the example models run on the
# reference evaluator (acc-run --reference), which computes the IR directly.
set -eu
build=${1:-build}
bin=$build/bin
here=$(dirname "$0")/..
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== accc: the MLP example as IR (first lines of: accc --emit=ir examples/mlp.g)"
"$bin/accc" --emit=ir "$here/examples/mlp.g" | head -n 8
echo "   ..."
echo
echo "== acc-run --reference: the example models on the reference evaluator"
echo "   (the compiler does not produce ACC-1 binaries yet, so nothing runs on the simulated machine)"
for model in mlp lenet resnet_block mobilenet_block transformer; do
    echo "-- examples/$model.g"
    "$bin/acc-run" --reference "$here/examples/$model.g" --random-inputs=1
done
echo
echo "== with a tensor from a file: 32 images through the MLP, probabilities to probs.npy"
/usr/bin/python3 -c "import numpy as np; np.save('$tmp/x.npy', np.random.default_rng(0).standard_normal((32, 784)).astype(np.float32))"
"$bin/acc-run" --reference "$here/examples/mlp.g" -D N=32 -i x="$tmp/x.npy" -o probs="$tmp/probs.npy"
"$bin/acc-npy" show "$tmp/probs.npy"
echo
echo "== accc: assembling examples/asm/matmul.s (C = A x B on the matrix unit, six workers)"
"$bin/acc-as" examples/asm/matmul.s -o "$tmp/matmul.bin"
"$bin/acc-objdump" -h "$tmp/matmul.bin"
"$bin/acc-objdump" --tiles "$tmp/matmul.bin"
echo "-- the workers' inner loop, disassembled:"
"$bin/acc-objdump" -d "$tmp/matmul.bin" | sed -n '/^rows:/,/^        exit/p'
"$bin/acc-objdump" -d "$tmp/matmul.bin" > "$tmp/matmul.s"
"$bin/acc-as" "$tmp/matmul.s" -o "$tmp/again.bin"
cmp "$tmp/matmul.bin" "$tmp/again.bin" && echo "-- disassembled and reassembled: identical bytes"

echo
echo "== accc: running it on the reference interpreter (bit-exact, cycle-counted)"
/usr/bin/python3 -c "
import numpy as np
rng = np.random.default_rng(0)
np.save('$tmp/a.npy', rng.standard_normal((24, 64)).astype(np.float16))
np.save('$tmp/b.npy', rng.standard_normal((64, 16)).astype(np.float16))"
"$bin/acc-run" "$tmp/matmul.bin" -i a="$tmp/a.npy" -i b="$tmp/b.npy" -o c="$tmp/c.npy" --stats
/usr/bin/python3 -c "
import numpy as np
a = np.load('$tmp/a.npy').astype(np.float32)
b = np.load('$tmp/b.npy').astype(np.float32)
c = np.load('$tmp/c.npy')
acc = np.zeros((24, 16), np.float32)
for k in range(64):  # the matrix unit's order: one f32 rounding per product
    acc = (acc + a[:, k:k + 1] * b[k:k + 1, :]).astype(np.float32)
assert (c.view(np.uint32) == acc.view(np.uint32)).all(), 'results differ from NumPy'
print('-- C = A x B: all %d values equal NumPy\'s, bit for bit' % c.size)"
"$bin/acc-run" "$tmp/matmul.bin" -i a="$tmp/a.npy" -i b="$tmp/b.npy"
