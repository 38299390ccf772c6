#!/bin/sh
# make run: the end-to-end path a newcomer runs first.
# usage: scripts/run-example.sh BUILD_DIR
#
# One example is compiled by accc and run on the simulated machine; the
# others, which use ops the backend cannot compile yet (matrix products,
# convolutions, reductions), run on the reference evaluator.
set -eu
build=${1:-build}
bin=$build/bin
here=$(dirname "$0")/..
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The example compiled and run on the simulated machine.
model=preprocess

echo "== accc: examples/$model.g compiled for acc1-mini (accc examples/$model.g -o $model.bin)"
"$bin/accc" --target=acc1-mini "$here/examples/$model.g" -o "$tmp/$model.bin" --report="$tmp/$model.json"
"$bin/acc-objdump" -h "$tmp/$model.bin" | sed -n '/^machine/,$p'
echo "-- the first lines of its assembly (accc -S):"
"$bin/accc" --target=acc1-mini -S "$here/examples/$model.g" -o - | grep -v '^;' | head -n 12
echo "   ..."
echo
echo "== acc-run: $model.bin on the reference interpreter, against the reference evaluator"
outs=$("$bin/acc-objdump" -h "$tmp/$model.bin" | awk '$1 == "output" { print $2 }')
run_o= ref_o=
for o in $outs; do
    run_o="$run_o -o $o=$tmp/run.$o.npy"
    ref_o="$ref_o -o $o=$tmp/ref.$o.npy"
done
# shellcheck disable=SC2086 # one word per -o option
"$bin/acc-run" "$tmp/$model.bin" --random-inputs=1 --stats $run_o
# shellcheck disable=SC2086
"$bin/acc-run" --reference "$here/examples/$model.g" --random-inputs=1 $ref_o
for o in $outs; do
    "$bin/acc-npy" show "$tmp/run.$o.npy" | head -n 2
    "$bin/acc-npy" cmp "$tmp/run.$o.npy" "$tmp/ref.$o.npy" --rtol 1e-5 --atol 1e-6
done
echo
echo "== acc-run --reference: the other example models on the reference evaluator"
echo "   (the backend cannot compile matrix products, convolutions and reductions yet)"
for m in mlp lenet resnet_block mobilenet_block transformer; do
    [ "$m" = "$model" ] && continue
    echo "-- examples/$m.g"
    "$bin/acc-run" --reference "$here/examples/$m.g" --random-inputs=1
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
