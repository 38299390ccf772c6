#!/usr/bin/python3
"""Compile-and-run benchmarks of the backend on a machine preset.

    /usr/bin/python3 bench/backend_bench.py BUILD_DIR [--target acc1] [--large]

Each workload is a .g model (written to a temporary directory, or an
example). For each, accc compiles it (wall time measured), acc-run runs
the binary with random inputs and --stats, and the table shows:

  cycles      simulated cycles of the whole run (host I/O included)
  % peak      the run's FLOPs against the machine's peak for the
              workload's dtype over those cycles (presets.def: tiles x
              mac_DTYPE x 2 FLOPs per cycle)
  % peak (device)
              the same over the device's cycles: all but the host link's
              (host in and host out), i.e. what a layer whose inputs are
              already on the chip would take: compute, barriers and the
              exchange
  % peak (compute)
              the same over the compute cycles only (what the kernels
              reach once the operands are on the tiles)
  compute, exchange, host in, host out
              shares of the cycles
  SRAM/tile   the largest per-tile peak of the plan (--report)
  compile s   accc's wall time for `accc MODEL -o MODEL.bin` (the report
              comes from a second compile, not timed)

--large adds the 4096 x 4096 x 4096 matmuls (minutes of simulation and
gigabytes of host memory). A workload that does not compile is reported
with accc's first error line. Nothing is asserted: this is a measurement,
not a test.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def matmul(n, dt):
    return (f"graph mm(a: {dt}[{n}, {n}], b: {dt}[{n}, {n}]) -> (c: {dt}[{n}, {n}]) {{\n"
            f"    c = a @ b\n}}\n")


def matmul_weights(n, dt):
    # the weight a parameter, as in a network: resident, not a host input
    return (f"graph mmw(a: {dt}[{n}, {n}]) -> (c: {dt}[{n}, {n}]) {{\n"
            f"    param w: {dt}[{n}, {n}] = normal(seed=1, std=0.03)\n"
            f"    c = a @ w\n}}\n")


# ResNet-50 conv4_x 3x3 layer: 256 -> 256 channels at 14 x 14, batch 1.
CONV3X3 = """graph conv(x: {dt}[{n}, 256, 14, 14]) -> (y: {dt}[{n}, 256, 14, 14]) {{
    param w: {dt}[256, 256, 3, 3] = normal(seed=1, std=0.02)
    y = conv2d(x, w, pad=[1, 1, 1, 1])
}}
"""
# MobileNet-style depthwise 3x3: 128 channels at 56 x 56.
DEPTHWISE = """graph dw(x: {dt}[1, 128, 56, 56]) -> (y: {dt}[1, 128, 56, 56]) {{
    param w: {dt}[128, 1, 3, 3] = normal(seed=1, std=0.2)
    y = conv2d(x, w, pad=[1, 1, 1, 1], groups=128)
}}
"""


def workloads(large):
    w = [
        ("matmul 1024^3 f16 (inputs)", matmul(1024, "f16"), "f16"),
        ("matmul 1024^3 f32 (inputs)", matmul(1024, "f32"), "f32"),
        ("matmul 1024^3 f16 (weights)", matmul_weights(1024, "f16"), "f16"),
        ("matmul 1024^3 f32 (weights)", matmul_weights(1024, "f32"), "f32"),
        ("ResNet-50 3x3 conv 256ch 14x14 f16", CONV3X3.format(dt="f16", n=1), "f16"),
        ("ResNet-50 3x3 conv 256ch 14x14 f32", CONV3X3.format(dt="f32", n=1), "f32"),
        ("ResNet-50 3x3 conv 256ch 14x14 f16, batch 16", CONV3X3.format(dt="f16", n=16), "f16"),
        ("ResNet-50 3x3 conv 256ch 14x14 f32, batch 16", CONV3X3.format(dt="f32", n=16), "f32"),
        ("depthwise 3x3 128ch 56x56 f32", DEPTHWISE.format(dt="f32"), "f32"),
        ("transformer layer (examples/transformer.g)", "@examples/transformer.g", "f32"),
        ("ResNet blocks (examples/resnet_block.g)", "@examples/resnet_block.g", "f32"),
        ("ResNet-50 (bench/models/resnet50.g)", "@bench/models/resnet50.g", "f32"),
    ]
    if large:
        w[2:2] = [("matmul 4096^3 f16 (inputs)", matmul(4096, "f16"), "f16"),
                  ("matmul 4096^3 f32 (inputs)", matmul(4096, "f32"), "f32")]
    return w


def preset(target):
    text = open(os.path.join(ROOT, "isa-spec", "presets.def")).read()
    m = re.search(r'PRESET\(\w+, "%s",[^,]*,(.*?)\)\s*\n' % re.escape(target), text, re.S)
    fields = dict((k, int(v)) for k, v in re.findall(r"\.(\w+) = (\d+)", m.group(1)))
    return fields


def stat(text, name):
    m = re.search(r"^\s*%s\s+(\d+)" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else 0


def run(build, target, name, source, dtype, tmp, mach):
    bindir = os.path.join(build, "bin")
    if source.startswith("@"):
        model = os.path.join(ROOT, source[1:])
    else:
        model = os.path.join(tmp, "model.g")
        with open(model, "w") as f:
            f.write(source)
    out, rep = os.path.join(tmp, "model.bin"), os.path.join(tmp, "model.json")
    accc = [os.path.join(bindir, "accc"), "--target", target, model, "-o", out]
    t0 = time.monotonic()
    c = subprocess.run(accc, capture_output=True, text=True)
    compile_s = time.monotonic() - t0
    if c.returncode != 0:
        err = next((l for l in c.stderr.splitlines() if "error" in l), c.stderr.strip())
        return "| %s | does not compile (%.1f s): %s |" % (name, compile_s, err.split("error: ")[-1][:90])
    # the report, in a second compile: writing it is not part of the compile time
    subprocess.run(accc + ["--report=" + rep], capture_output=True, check=True)
    r = subprocess.run([os.path.join(bindir, "acc-run"), out, "--random-inputs", "--stats",
                        "--threads", "2"], capture_output=True, text=True)
    if r.returncode != 0:
        return "| %s | run failed: %s |" % (name, r.stderr.strip().splitlines()[-1][:90])
    s = r.stdout + r.stderr
    cycles, compute = stat(s, "cycles"), stat(s, "compute")
    exchange, hostin, hostout = stat(s, "exchange"), stat(s, "host in"), stat(s, "host out")
    flops = stat(s, "flops")
    device = cycles - hostin - hostout
    peak = mach["tiles"] * 2 * mach["mac_" + dtype]  # FLOPs per cycle
    with open(rep) as f:
        sram = max(t["peak_bytes"] for t in json.load(f)["tile_memory"])
    pct = lambda a, b: 100.0 * a / b if b else 0.0
    return "| %s | %d | %.2f%% | %.1f%% | %.1f%% | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %d KiB | %.2f |" % (
        name, cycles, pct(flops, cycles * peak), pct(flops, device * peak),
        pct(flops, compute * peak), pct(compute, cycles), pct(exchange, cycles),
        pct(hostin, cycles), pct(hostout, cycles), sram // 1024, compile_s)


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__)
        return 2
    build, target, large = args[0], "acc1", "--large" in args
    if "--target" in args:
        target = args[args.index("--target") + 1]
    mach = preset(target)
    print("target %s: %d tiles, %d KiB SRAM per tile" % (target, mach["tiles"], mach["sram_bytes"] // 1024))
    print()
    print("| workload | cycles | % peak | % peak (device) | % peak (compute) | compute | exchange "
          "| host in | host out | SRAM/tile | compile s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, source, dtype in workloads(large):
            print(run(build, target, name, source, dtype, tmp, mach), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
