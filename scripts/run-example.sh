#!/bin/sh
# make run: the end-to-end path a newcomer runs first.
# usage: scripts/run-example.sh BUILD_DIR
#
# The MLP example is compiled by accc and run on the simulated machine,
# shown in detail; then every other example is compiled and run, each
# output compared with the reference evaluator's.
set -eu
build=${1:-build}
bin=$build/bin
here=$(dirname "$0")/..
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Compile MODEL for acc1, run it on the interpreter and on the reference
# evaluator with the same random inputs, compare every output.
run_and_compare() {
    m=$1 stats=$2
    "$bin/accc" "$here/examples/$m.g" -o "$tmp/$m.bin" --report="$tmp/$m.json"
    outs=$("$bin/acc-objdump" -h "$tmp/$m.bin" | awk '$1 == "output" { print $2 }')
    run_o= ref_o=
    for o in $outs; do
        run_o="$run_o -o $o=$tmp/run.$m.$o.npy"
        ref_o="$ref_o -o $o=$tmp/ref.$m.$o.npy"
    done
    # shellcheck disable=SC2086 # one word per option
    "$bin/acc-run" "$tmp/$m.bin" --random-inputs=1 $stats $run_o
    # shellcheck disable=SC2086
    "$bin/acc-run" --reference "$here/examples/$m.g" --random-inputs=1 $ref_o
    for o in $outs; do
        "$bin/acc-npy" show "$tmp/run.$m.$o.npy" | head -n 2
        "$bin/acc-npy" cmp "$tmp/run.$m.$o.npy" "$tmp/ref.$m.$o.npy" --rtol 1e-4 --atol 1e-5
    done
}

model=mlp
echo "== accc: examples/$model.g compiled for acc1 (accc examples/$model.g -o $model.bin)"
"$bin/accc" "$here/examples/$model.g" -o "$tmp/$model.bin"
"$bin/acc-objdump" -h "$tmp/$model.bin" | sed -n '/^machine/,$p'
echo "-- the first lines of its assembly (accc -S):"
"$bin/accc" -S "$here/examples/$model.g" -o "$tmp/$model.s"
grep -v '^;' "$tmp/$model.s" | head -n 12
echo "   ..."
echo
echo "== acc-run: $model.bin on the reference interpreter, against the reference evaluator"
run_and_compare "$model" --stats
echo
echo "== the other examples, compiled for acc1 and run, against the reference evaluator"
for m in preprocess lenet resnet_block mobilenet_block transformer; do
    echo "-- examples/$m.g"
    run_and_compare "$m" ""
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
