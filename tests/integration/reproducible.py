#!/usr/bin/python3
"""Same inputs and flags, same bytes: every example compiled twice.

    reproducible.py --bin BUILD/bin --source SOURCE --work DIR

Each model (examples/*.g, the ONNX examples of examples/onnx/make_models.py,
and a model that load()s a weight file) is compiled with each --emit kind of
EMITS (IR text, DSL text, assembly and a binary, each of the last two with
its --report) and each flag set of FLAGS twice: once from the source tree
with a relative model path, once from another working directory with an
absolute model path and another environment (time zone, locale). The
outputs go to two different directories at the same depth, so paths
written relative to the output's directory are the same. Every file of the
two output directories (the main output, the report, and for --emit=g its
.npy files) must be byte for byte the same. accc compiles on one thread;
the thread count that could matter is the simulator's, so every binary
compiled here, and every assembled example, is run by acc-run on 1 and 3
host threads: outputs, statistics and trace must be the same.

Models the backend cannot compile yet are in NOT_YET_COMPILED, one
explicit list: for them the code kinds must fail with "the backend cannot
compile 'OP' yet" and write nothing, and a listed model that compiles is a
failure too (remove it from the list).
"""
import argparse
import filecmp
import os
import shutil
import struct
import subprocess
import sys

# --emit kinds: (kind, extension, extra flags; {out} is the output's path
# without its extension). Adding a kind is one line.
EMITS = [
    ("ir", ".ir", []),
    ("g", ".g", []),
    ("asm", ".s", ["--report={out}.json"]),
    ("bin", ".bin", ["--report={out}.json"]),
]
CODE_KINDS = ("asm", "bin")
# The models the backend cannot compile yet (they use an op whose kernels
# are not in), by the name this script prints, with the op it stops at
# today. Emptied as the kernels land.
NOT_YET_COMPILED = {
}
# Flag sets every model is compiled with (the backend's --emit kinds run
# the whole pipeline whatever they say).
FLAGS = [[], ["-O2"], ["-O1", "--target=acc1-gc2"]]
# acc-run's host thread counts, whose results must not differ.
THREADS = ["1", "3"]

ap = argparse.ArgumentParser()
ap.add_argument("--bin", required=True)
ap.add_argument("--source", required=True)
ap.add_argument("--work", required=True)
args = ap.parse_args()

source = os.path.abspath(args.source)
work = os.path.abspath(args.work)
accc = os.path.join(os.path.abspath(args.bin), "accc")
acc_run = os.path.join(os.path.abspath(args.bin), "acc-run")
acc_as = os.path.join(os.path.abspath(args.bin), "acc-as")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = []


def check(what, ok, detail=""):
    if not ok:
        print("FAILED: %s\n%s" % (what, detail.rstrip()))
        failures.append(what)


# The models, as paths relative to the source tree (run A's working
# directory); run B names them by absolute path.
models = sorted(os.path.join("examples", f) for f in os.listdir(os.path.join(source, "examples"))
                if f.endswith(".g") and f != "transformer_layers.g")
onnx_dir = os.path.join(work, "onnx")
subprocess.run([sys.executable, os.path.join(source, "examples", "onnx", "make_models.py"),
                onnx_dir], check=True, capture_output=True)
models += [os.path.join(onnx_dir, "cnn.onnx"), os.path.join(onnx_dir, "transformer.onnx")]
weights_dir = os.path.join(work, "weights")
shutil.copytree(os.path.join(source, "tests", "integration", "project", "model"), weights_dir)
header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (32,), }"
header += b" " * (64 - 10 - len(header) - 1) + b"\n"
with open(os.path.join(weights_dir, "scale.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header +
            struct.pack("<32f", *(0.25 * i - 3 for i in range(32))))
models.append(os.path.join(weights_dir, "net.g"))

ENV_A = dict(os.environ, TZ="UTC", LC_ALL="C")
ENV_B = dict(os.environ, TZ="Asia/Kolkata", LC_ALL="C.UTF-8", ACCC_PROGRESS_DELAY="0")


def compile_once(model, kind, ext, extra, flags, run):
    """Compile into DIR/RUN/KIND-FLAGS/out/; the output directory."""
    name = os.path.splitext(os.path.basename(model))[0]
    tag = "%s-%d" % (kind, FLAGS.index(flags))
    out_dir = os.path.join(work, run, tag, "out")
    os.makedirs(out_dir, exist_ok=True)
    if run == "a":
        cwd, env = source, ENV_A
        model_arg = os.path.relpath(os.path.join(source, model), source)
        out = os.path.join(out_dir, name)
    else:
        cwd, env = os.path.join(work, run, tag), ENV_B
        model_arg = os.path.join(source, model)
        out = os.path.join("out", name)
    cmd = [accc, "--emit=" + kind] + flags + [e.format(out=out) for e in extra] + \
          [model_arg, "-o", out + ext]
    if "transformer.onnx" in model or "cnn.onnx" in model:
        cmd[1:1] = ["-D", "N=2"]
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    return r, out_dir


def display(model):
    """The name a model goes by in NOT_YET_COMPILED and in messages."""
    if model.startswith(work + os.sep):
        return os.path.relpath(model, work)
    return model


def same_dirs(a, b):
    """The names that differ between two directories, or are not in both."""
    names_a, names_b = sorted(os.listdir(a)), sorted(os.listdir(b))
    if names_a != names_b:
        return ["file lists: %s vs %s" % (names_a, names_b)]
    return [n for n in names_a if not filecmp.cmp(os.path.join(a, n), os.path.join(b, n),
                                                  shallow=False)]


unknown = set(NOT_YET_COMPILED) - {display(m) for m in models}
check("NOT_YET_COMPILED names only models of this test", not unknown,
      "not models: %s" % sorted(unknown))

compiled = refused = 0
binaries = []  # (name, path): kept to run on several thread counts
for kind, ext, extra in EMITS:
    for flags in FLAGS:
        for model in models:
            name = display(model)
            ra, dir_a = compile_once(model, kind, ext, extra, flags, "a")
            rb, dir_b = compile_once(model, kind, ext, extra, flags, "b")
            what = "accc --emit=%s %s %s" % (kind, " ".join(flags), name)
            if kind in CODE_KINDS and name in NOT_YET_COMPILED:
                cannot = "the backend cannot compile '"
                check(what + " compiles now: remove it from NOT_YET_COMPILED",
                      ra.returncode != 0 or rb.returncode != 0)
                for r, d in ((ra, dir_a), (rb, dir_b)):
                    if r.returncode != 0:
                        check(what + ": exit 1 with \"%s...' yet\"" % cannot,
                              r.returncode == 1 and cannot in r.stderr, r.stderr)
                        check(what + ": a failed compile writes nothing", not os.listdir(d),
                              "left: %s" % os.listdir(d))
                refused += 2
            else:
                check(what + " compiles", ra.returncode == 0 and rb.returncode == 0,
                      ra.stderr + rb.stderr)
                diff = same_dirs(dir_a, dir_b)
                check(what + ": the same bytes twice", not diff, "differ: %s" % diff)
                compiled += 2
                if kind == "bin" and ra.returncode == 0:
                    stem = os.path.splitext(os.path.basename(model))[0]
                    keep = os.path.join(work, "bin-%d-%s.bin" % (FLAGS.index(flags), stem))
                    shutil.copy(os.path.join(dir_a, stem + ".bin"), keep)
                    binaries.append(("%s (%s)" % (name, " ".join(flags) or "no flags"), keep))
            for d in (dir_a, dir_b):
                shutil.rmtree(d)
                os.makedirs(d)
print("%d compiles of %d models, %d emit kinds, %d flag sets; %d refused as listed in "
      "NOT_YET_COMPILED (%d models)" % (compiled, len(models), len(EMITS), len(FLAGS), refused,
                                        len(NOT_YET_COMPILED)))

# acc-run: outputs, statistics and the trace do not depend on the thread
# count, for the assembled examples and every binary compiled above.
for s in sorted(os.listdir(os.path.join(source, "examples", "asm"))):
    binary = os.path.join(work, s.replace(".s", ".bin"))
    subprocess.run([acc_as, os.path.join(source, "examples", "asm", s), "-o", binary],
                   check=True)
    binaries.append(("examples/asm/" + s, binary))
check("some compiled binary runs on the thread counts",
      len(binaries) > len(os.listdir(os.path.join(source, "examples", "asm"))))
runs = 0
for n, (name, binary) in enumerate(binaries):
    results = []
    for t in THREADS:
        d = os.path.join(work, "run-%d-%s" % (n, t))
        os.makedirs(d)
        r = subprocess.run([acc_run, binary, "--random-inputs=5", "--stats", "--threads", t,
                            "--trace", os.path.join(d, "trace.json")],
                           capture_output=True, text=True)
        check("acc-run %s --threads %s" % (name, t), r.returncode == 0, r.stderr)
        with open(os.path.join(d, "stdout"), "w") as f:
            f.write(r.stdout)
        with open(os.path.join(d, "stats"), "w") as f:
            f.write(r.stderr)
        results.append(d)
        runs += 1
    diff = same_dirs(results[0], results[1])
    check("acc-run %s: the same outputs, statistics and trace on %s threads" %
          (name, " and ".join(THREADS)), not diff, "differ: %s" % diff)
print("%d runs of %d binaries" % (runs, len(binaries)))

if failures:
    print("%d checks failed" % len(failures))
    sys.exit(1)
print("all outputs reproducible")
