"""Simulator speed: simulated instructions per host second on a
compute-heavy program, the matrix-unit inner loop of an f16 matmul.

Every tile of the machine loads a 64 x 16 f16 weight block into its
matrix unit (six workers, ampw), then each of its six workers streams
rows of A through it: per row 16 f16amp and 4 ampst in a hardware loop
(the K_w = 64, f32-out kernel of docs/machine.md), for PASSES passes over
64 rows. That is what a large compiled matmul does almost all the time.
With --dtype f32 the same loop runs f32amp (32 MACs, 2 issue turns).
A and B are initialised data (random normal f16), so no host transfer
dilutes the machine's utilisation.

  /usr/bin/python3 bench/sim_speed.py [BUILD_DIR] [--tiles N] [--passes P]
                                      [--threads T ...] [--dtype f16|f32]

For each thread count it runs acc-run --stats, times it (wall clock, and
the CPU time of acc-run, which other load on the machine does not
inflate), and prints one row of the table in bench/README.md.
"""
import argparse
import os
import random
import re
import resource
import struct
import subprocess
import sys
import tempfile
import time

PROGRAM = """\
        .machine acc1, tiles={tiles}
        .output c, f32, [384, 16]

        .equ    A, 0x0000               ; 6 x 64 rows x 128 bytes
        .equ    B, 0xc000               ; 64 rows x 32 bytes
        .equ    C, 0xc800               ; 6 x 64 rows x 64 bytes
        .equ    WARGS, 0x12800
        .equ    CARGS, 0x12880

        .program mm
        .supervisor
main:   li      m2, 2048
        ampcfg  m2
        li      m1, WARGS
        loopi   6, .Lloading
        run     m1, load_w
        addi    m1, m1, 16
.Lloading:
        wait
        li      m1, CARGS
        loopi   6, .Lcomputing
        run     m1, rows
        addi    m1, m1, 16
.Lcomputing:
        wait
        end

        .worker
load_w: ldw     m2, [m1]
        ldw     m3, [m1+4]
        ldw     m4, [m1+8]
        loop    m4, .Lcopied
        ampw    [m2]+=16, m3
.Lcopied:
        exit

rows:   ldw     m2, [m1]                ; this worker's 64 rows of A
        ldw     m3, [m1+4]              ; and of C
        li      m5, {passes}
        ampclr
.Lpass: addi    m6, m2, 0
        addi    m7, m3, 0
        loopi   64, .Lrows
{body}
.Lrows: addi    m5, m5, -1
        bnz     m5, .Lpass
        exit

        .tiles  all
        .exec   mm
        .org    A                       ; every tile the same data (stored once)
{a_rows}
        .org    B
{b_rows}
        .org    WARGS
        .word   B + 16 * 0,   16 * 0,   22, 0
        .word   B + 16 * 22,  16 * 22,  22, 0
        .word   B + 16 * 44,  16 * 44,  21, 0
        .word   B + 16 * 65,  16 * 65,  21, 0
        .word   B + 16 * 86,  16 * 86,  21, 0
        .word   B + 16 * 107, 16 * 107, 21, 0
        .org    CARGS
        .word   A + 8192 * 0, C + 4096 * 0, 0, 0
        .word   A + 8192 * 1, C + 4096 * 1, 0, 0
        .word   A + 8192 * 2, C + 4096 * 2, 0, 0
        .word   A + 8192 * 3, C + 4096 * 3, 0, 0
        .word   A + 8192 * 4, C + 4096 * 4, 0, 0
        .word   A + 8192 * 5, C + 4096 * 5, 0, 0
        .tiles  0
        .layout c, C, 0, 384 * 16
"""

def data(nbytes, dtype, rng):
    """nbytes of random normal (sigma 1) f16 or f32 values, as .half/.word lines."""
    if dtype == "f16":
        bits = [struct.unpack("<H", struct.pack("<e", rng.gauss(0, 1)))[0]
                for _ in range(nbytes // 2)]
        return "\n".join("        .half   " + ", ".join("0x%04x" % b for b in bits[i:i + 16])
                         for i in range(0, len(bits), 16))
    bits = [struct.unpack("<I", struct.pack("<f", rng.gauss(0, 1)))[0] for _ in range(nbytes // 4)]
    return "\n".join("        .word   " + ", ".join("0x%08x" % b for b in bits[i:i + 8])
                     for i in range(0, len(bits), 8))


def body(dtype):
    """One row of 16 outputs: 16 multiplies (64 f16 or 32 f32 MACs each), 4 read-outs."""
    return "\n".join(["        %-7s [m6]+=8" % (dtype + "amp")] * 16 +
                     ["        ampst   [m7]+=16, %d" % q for q in range(4)])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build", nargs="?", default="build")
    p.add_argument("--tiles", type=int, default=1472)
    p.add_argument("--passes", type=int, default=16)
    p.add_argument("--threads", type=int, nargs="*", default=[1, os.cpu_count() or 1])
    p.add_argument("--dtype", choices=["f16", "f32"], default="f16")
    args = p.parse_args()
    bin_dir = os.path.join(args.build, "bin")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "mm.s")
        binary = os.path.join(tmp, "mm.bin")
        with open(src, "w") as f:
            rng = random.Random(1)
            f.write(PROGRAM.format(tiles=args.tiles, passes=args.passes, body=body(args.dtype),
                                   a_rows=data(6 * 64 * 128, args.dtype, rng),
                                   b_rows=data(2048, args.dtype, rng)))
        subprocess.run([os.path.join(bin_dir, "acc-as"), src, "-o", binary], check=True)
        print("| type | tiles | simulated instructions | simulated cycles | MAC slots used "
              "| host threads | wall seconds | CPU seconds | instructions per wall second "
              "| instructions per CPU second |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for threads in args.threads:
            cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            run = subprocess.run([os.path.join(bin_dir, "acc-run"), binary, "--stats", "--threads", str(threads), "-o",
                                  "c=" + os.path.join(tmp, "c.npy")],
                                 check=True, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_seconds = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
            stats = run.stderr
            insns = int(re.search(r"instructions\s+(\d+)", stats).group(1))
            cycles = int(re.search(r"cycles\s+(\d+)", stats).group(1))
            amp = re.search(r"\(([0-9.]+)% of the MAC slots\)", stats).group(1)
            print(f"| {args.dtype} | {args.tiles} | {insns:,} | {cycles:,} | {amp}% | {threads} "
                  f"| {seconds:.2f} | {cpu_seconds:.2f} | {insns / seconds / 1e6:.1f} M "
                  f"| {insns / cpu_seconds / 1e6:.1f} M |")
            sys.stdout.flush()


main()
