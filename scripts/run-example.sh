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
