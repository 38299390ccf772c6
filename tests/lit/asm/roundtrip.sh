#!/bin/sh
# roundtrip.sh WORKDIR FILE.s...
#
# For each assembly program (files named err-*.s hold deliberate errors and
# are skipped): assemble it, disassemble the binary with acc-objdump -d,
# reassemble that, and require the two binaries to be identical, every
# section byte for byte. Then require readelf -a ($READELF) to read the
# binary without a warning or an error.
set -eu
work=$1
shift
mkdir -p "$work"
n=0
for src in "$@"; do
    name=$(basename "$src" .s)
    case "$name" in err-*) continue ;; esac
    bin="$work/$name.bin"
    acc-as "$src" -o "$bin"
    acc-objdump -d "$bin" > "$work/$name.dis.s"
    acc-as "$work/$name.dis.s" -o "$work/$name.re.bin"
    if ! cmp "$bin" "$work/$name.re.bin"; then
        echo "FAIL $src: the disassembly reassembles to different bytes"
        exit 1
    fi
    "${READELF:-readelf}" -a "$bin" > "$work/$name.readelf" 2>&1
    if grep -i -E 'warning|error' "$work/$name.readelf"; then
        echo "FAIL $src: readelf -a complains"
        exit 1
    fi
    echo "ok $name"
    n=$((n + 1))
done
echo "$n programs"
