#!/bin/sh
# make run: the end-to-end path a newcomer runs first.
# usage: scripts/run-example.sh BUILD_DIR
set -eu
build=${1:-build}
bin=$build/bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== accc: round-tripping a tensor through the .npy tools"
/usr/bin/python3 -c "import numpy as np; np.save('$tmp/x.npy', np.linspace(-1, 1, 8, dtype=np.float32))"
"$bin/acc-npy" convert "$tmp/x.npy" "$tmp/x16.npy" --to f16
"$bin/acc-npy" show "$tmp/x16.npy"
"$bin/acc-npy" convert "$tmp/x16.npy" "$tmp/back.npy" --to f32
"$bin/acc-npy" cmp "$tmp/x.npy" "$tmp/back.npy" --rtol 1e-3

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
