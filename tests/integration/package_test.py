#!/usr/bin/python3
"""The installed package, used the way an external project uses it.

    package_test.py --build BUILD --source SOURCE --work DIR [--cc CC] [--cflags FLAGS]
                    [--cmake CMAKE] [--ctest CTEST]

1. cmake --install BUILD --prefix DIR/prefix, and check the layout.
2. <accc/accsim.h> compiles on its own (C99 and C11, -pedantic) and a C
   program links against libaccsim through pkg-config (accsim.pc).
3. The test data: seeded inputs for each model, and the outputs expected of
   them, computed by the installed `acc-run --reference` (the reference
   evaluator, which never sees the compiled code) and checked here against
   the same formulas in NumPy; for the assembled vadd.s, NumPy's a + b.
4. tests/integration/project (copied to DIR/src) is configured against the
   prefix with find_package(accc), with Ninja and with Makefiles, and built:
   accc_add_model() compiles model/net.g (which imports layers.g and loads
   scale.npy) to an ACC-1 binary, the same model to IR text and other.g to
   a binary; the installed acc-as assembles vadd.s; run_model (linked with
   accc::accsim) runs each binary and checks its outputs (the project's
   ctest).
5. The depfile drives rebuilds: a no-op build does nothing; touching the
   imported layers.g or the weight scale.npy rebuilds the models that read
   them and nothing else; touching other.g rebuilds only other; touching a
   file no model reads (run_model.c, a note beside the models) compiles no
   model.

Prints one line per check; exits 1 if one fails.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--build", required=True)
ap.add_argument("--source", required=True)
ap.add_argument("--work", required=True)
ap.add_argument("--cc", default="cc")
ap.add_argument("--cmake", default="cmake")
ap.add_argument("--ctest", default="ctest")
ap.add_argument("--cflags", default="")
args = ap.parse_args()

work = os.path.abspath(args.work)
prefix = os.path.join(work, "prefix")
src = os.path.join(work, "src")
cflags = args.cflags.split()
failures = []


def check(what, ok, detail=""):
    print("%s: %s" % ("ok" if ok else "FAILED", what))
    if not ok:
        failures.append(what)
        if detail:
            print(detail.rstrip())


def run(cmd, cwd=None, env=None, ok_codes=(0,)):
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode not in ok_codes:
        print("command failed (%d): %s\n%s%s" % (r.returncode, " ".join(cmd), r.stdout, r.stderr))
        sys.exit(1)
    return r


shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)

# ---- 1. Install ----------------------------------------------------------------------
run([args.cmake, "--install", args.build, "--prefix", prefix])
tools = ["accc", "acc-run", "acc-as", "acc-objdump", "acc-npy", "acc-onnx-dump"]
layout = (["bin/" + t for t in tools] + ["share/man/man1/%s.1" % t for t in tools] +
          ["lib/libaccsim.a", "include/accc/accsim.h", "lib/cmake/accc/acccConfig.cmake",
           "lib/cmake/accc/acccConfigVersion.cmake", "lib/cmake/accc/AcccAddModel.cmake",
           "lib/pkgconfig/accsim.pc"])
missing = [f for f in layout if not os.path.exists(os.path.join(prefix, f))]
check("install layout (%d files)" % len(layout), not missing, "missing: " + ", ".join(missing))

accc = os.path.join(prefix, "bin", "accc")
acc_run = os.path.join(prefix, "bin", "acc-run")

# ---- 2. The header alone, and pkg-config --------------------------------------------
include = os.path.join(prefix, "include")
with open(os.path.join(work, "header.c"), "w") as f:
    f.write("#include <accc/accsim.h>\nint main(void) { return sim_num_inputs(0) * 0; }\n")
for std in ("c99", "c11"):
    r = subprocess.run([args.cc, "-std=" + std, "-Wall", "-Wextra", "-pedantic", "-Werror",
                        "-I" + include, "-c", "header.c", "-o", "header.o"] + cflags,
                       cwd=work, capture_output=True, text=True)
    check("<accc/accsim.h> compiles alone (-std=%s -pedantic)" % std, r.returncode == 0,
          r.stderr)

shutil.copytree(os.path.join(args.source, "tests", "integration", "project"), src)
shutil.copy(os.path.join(args.source, "examples", "asm", "vadd.s"), src)

# ---- 3. The test data -----------------------------------------------------------------
rng = np.random.default_rng(8)
model_dir = os.path.join(src, "model")
np.save(os.path.join(model_dir, "scale.npy"), (0.25 * np.arange(32) - 3).astype(np.float32))
with open(os.path.join(model_dir, "NOTES.txt"), "w") as f:
    f.write("A file beside the models that no model reads.\n")


def data_dir(model):
    d = os.path.join(src, "data", model)
    os.makedirs(d, exist_ok=True)
    return d


def save_f32(d, name, x):
    np.ascontiguousarray(x, dtype="<f4").tofile(os.path.join(d, name + ".f32"))


def reference(model, inputs, outputs):
    """The outputs acc-run --reference computes for model on inputs."""
    tmp = os.path.join(work, "ref")
    os.makedirs(tmp, exist_ok=True)
    cmd = [acc_run, "--reference", os.path.join(model_dir, model)]
    for name, x in inputs.items():
        np.save(os.path.join(tmp, name + ".npy"), x)
        cmd += ["-i", "%s=%s" % (name, os.path.join(tmp, name + ".npy"))]
    for name in outputs:
        cmd += ["-o", "%s=%s" % (name, os.path.join(tmp, "out-" + name + ".npy"))]
    run(cmd)
    return {name: np.load(os.path.join(tmp, "out-" + name + ".npy")) for name in outputs}


def expect(model, inputs, numpy_outputs):
    """Write model's inputs and expected outputs (the reference evaluator's,
    checked against NumPy's) to data/MODEL/."""
    d = data_dir(model)
    for name, x in inputs.items():
        save_f32(d, name, x)
    got = reference(model + ".g", inputs, numpy_outputs)
    for name, want in numpy_outputs.items():
        ok = got[name].shape == want.shape and np.allclose(got[name], want, rtol=1e-5, atol=1e-6)
        check("acc-run --reference %s.g: output %s%s agrees with NumPy" %
              (model, name, list(want.shape)), ok)
        save_f32(d, name, got[name])


a = (3 * rng.standard_normal((16, 32))).astype(np.float32)
b = (3 * rng.standard_normal((16, 32))).astype(np.float32)
scale = np.load(os.path.join(model_dir, "scale.npy"))
expect("net", {"a": a, "b": b},
       {"c": (a * scale + np.float32(0.5) + 1 / (1 + np.exp(-b.astype(np.float64)))).T,
        "m": np.concatenate([np.maximum(a, b), np.tanh(a.astype(np.float64) - b)], axis=1)})
x = rng.standard_normal(8).astype(np.float32)
expect("other", {"x": x}, {"y": np.maximum(x, 0)})
d = data_dir("vadd")
va = rng.standard_normal(256).astype(np.float32)
vb = rng.standard_normal(256).astype(np.float32)
save_f32(d, "a", va)
save_f32(d, "b", vb)
save_f32(d, "c", va + vb)

env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))
pc = run(["pkg-config", "--cflags", "--libs", "accsim"], env=env).stdout.split()
vadd = os.path.join(work, "vadd.bin")
run([os.path.join(prefix, "bin", "acc-as"), os.path.join(src, "vadd.s"), "-o", vadd])
r = subprocess.run([args.cc, "-std=c11", os.path.join(src, "run_model.c"), "-o", "run_pc"] +
                   cflags + pc, cwd=work, capture_output=True, text=True)
check("run_model.c builds with pkg-config accsim", r.returncode == 0, r.stderr)
if r.returncode == 0:
    r = subprocess.run([os.path.join(work, "run_pc"), vadd, data_dir("vadd")],
                       capture_output=True, text=True)
    check("the pkg-config build runs vadd.bin: " + r.stdout.strip().replace("\n", "; "),
          r.returncode == 0, r.stderr)


# ---- 4. and 5. The project, with each generator --------------------------------------
def touch(path):
    """Make path newer than anything built before (mtimes have a coarse
    clock on some file systems)."""
    time.sleep(0.02)
    os.utime(path)


class Project:
    def __init__(self, generator):
        self.generator = generator
        self.dir = os.path.join(work, "build-" + generator.split()[0].lower())
        cmd = [args.cmake, "-S", src, "-B", self.dir, "-G", generator,
               "-DCMAKE_PREFIX_PATH=" + prefix, "-DCMAKE_C_COMPILER=" + args.cc]
        if cflags:
            cmd += ["-DCMAKE_C_FLAGS=" + " ".join(cflags),
                    "-DCMAKE_EXE_LINKER_FLAGS=" + " ".join(cflags)]
        run(cmd)

    def build(self):
        """Build; the models accc compiled, by their accc_add_model names."""
        out = run([args.cmake, "--build", self.dir, "-j", "2"]).stdout
        return sorted(line.split("Compiling ACC-1 model ")[1].strip()
                      for line in out.splitlines() if "Compiling ACC-1 model " in line)

    def dry_run(self):
        """Ninja: what a build would do and why (ninja -n -d explain)."""
        r = run(["ninja", "-C", self.dir, "-n", "-d", "explain"])
        return r.stdout + r.stderr

    def dirty(self):
        """Ninja: the targets a build would remake."""
        return {line.split("ninja explain: ")[1][:-len(" is dirty")]
                for line in self.dry_run().splitlines()
                if line.startswith("ninja explain: ") and line.endswith(" is dirty")}

    def ctest(self):
        return subprocess.run([args.ctest, "--test-dir", self.dir, "--output-on-failure"],
                              capture_output=True, text=True)

    def path(self, name):
        return os.path.join(self.dir, name)


# What each accc_add_model target makes.
OUTPUTS = {"net": "net.bin", "net_ir": "net.ir", "other": "bin/other.bin"}


def exercise(generator):
    tag = {"Ninja": "Ninja", "Unix Makefiles": "Makefiles"}[generator]
    p = Project(generator)
    check("%s: the first build compiles every model" % tag,
          p.build() == ["net", "net_ir", "other"])
    with open(p.path("net.ir")) as f:
        text = f.read()
    check("%s: net.ir is the model's IR" % tag, text.startswith("graph net(%a: f32[16, 32]"),
          text)
    with open(p.path("net.bin"), "rb") as f:
        check("%s: net.bin is an ELF binary (accc_add_model's default --emit=bin)" % tag,
              f.read(4) == b"\x7fELF")
    check("%s: other.bin in a subdirectory" % tag, os.path.exists(p.path("bin/other.bin")))
    with open(p.path("net.bin.d")) as f:
        deps = f.read()
    check("%s: net.bin's depfile names layers.g and scale.npy" % tag,
          "layers.g" in deps and "scale.npy" in deps, deps)
    r = p.ctest()
    lines = [l.strip() for l in r.stdout.splitlines() if "Passed" in l or "Failed" in l]
    check("%s: run_model (accc::accsim) runs net.bin, other.bin and vadd.bin and their outputs "
          "are the expected ones: %s" % (tag, "; ".join(lines)),
          r.returncode == 0 and len(lines) == 3, r.stdout)
    if tag == "Ninja":
        explain = p.dry_run()
        check("Ninja: a no-op build does nothing", "no work to do" in explain, explain)
    check("%s: a second build compiles nothing" % tag, p.build() == [])
    for changed, want in (("model/layers.g", ["net", "net_ir"]),
                          ("model/scale.npy", ["net", "net_ir"]),
                          ("model/other.g", ["other"]),
                          ("run_model.c", []),
                          ("model/NOTES.txt", [])):
        touch(os.path.join(src, changed))
        if tag == "Ninja":
            dirty = p.dirty()
            outputs = {OUTPUTS[w] for w in want}
            models = {o for o in OUTPUTS.values() if o in dirty}
            check("Ninja: after touching %s, the models ninja -n -d explain finds dirty are: %s"
                  % (changed, ", ".join(sorted(outputs)) or "none"),
                  models == outputs, "dirty: %s" % sorted(dirty))
        check("%s: touching %s rebuilds %s" % (tag, changed, ", ".join(want) or "no model"),
              p.build() == want)
    check("%s: then nothing is left to do" % tag, p.build() == [])
    r = p.ctest()
    check("%s: the rebuilt binaries still give the expected outputs" % tag, r.returncode == 0,
          r.stdout)


exercise("Ninja")
exercise("Unix Makefiles")

if failures:
    print("%d checks failed" % len(failures))
    sys.exit(1)
print("all checks passed")
