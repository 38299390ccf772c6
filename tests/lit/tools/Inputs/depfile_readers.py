#!/usr/bin/python3
"""GNU Make and Ninja read accc's depfiles (tests/lit/tools/depfile.test).

    depfile_readers.py DIR

In DIR, a model imports files and loads a weight whose names hold a space,
'#', '$' and ':'. A Makefile and a build.ninja compile it with accc -MD.
For each build tool: the first build runs accc; with every file as old as
the output, nothing runs; with one file the model was read from newer than
the output, accc runs again, for every such file. Prints one line per
check; exits 1 if one fails.
"""
import os
import shutil
import subprocess
import sys

root = sys.argv[1]
shutil.rmtree(root, ignore_errors=True)
os.makedirs(os.path.join(root, "lib dir"))

FILES = {
    "main.g": 'import "lib dir/odd #$:name.g"\n'
              'graph main(x: f32[4]) -> (y: f32[4]) {\n'
              '    param w: f32[4] = load("w 1.npy")\n'
              '    y = twice(x) + w\n'
              '}\n',
    "lib dir/odd #$:name.g": 'import "../plain.g"\n'
                             'graph twice(x: f32[4]) -> (y: f32[4]) {\n'
                             '    y = id(x) * 2\n'
                             '}\n',
    "plain.g": 'graph id(x: f32[4]) -> (y: f32[4]) {\n    y = x\n}\n',
}
for name, text in FILES.items():
    with open(os.path.join(root, name), "w") as f:
        f.write(text)
# w 1.npy: f32[4], zeros, written by hand so the script needs no NumPy.
header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }"
header += b" " * (64 - 10 - len(header) - 1) + b"\n"
with open(os.path.join(root, "w 1.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(16))

DEPS = ["main.g", "lib dir/odd #$:name.g", "plain.g", "w 1.npy"]

with open(os.path.join(root, "Makefile"), "w") as f:
    f.write("make.ir:\n\taccc --emit=ir -MD main.g -o make.ir\n-include make.d\n")
with open(os.path.join(root, "build.ninja"), "w") as f:
    f.write("rule accc\n"
            "  command = accc --emit=ir -MD -MF $out.d main.g -o $out\n"
            "  depfile = $out.d\n"
            "  deps = gcc\n"
            "build ninja.ir: accc\n")

TOOLS = {"make": (["make", "--no-print-directory"], "make.ir"),
         "ninja": (["ninja"], "ninja.ir")}
OLD, NEW = 1_000_000_000, 1_000_000_100
failed = False


def build(tool):
    """Run the build tool; True if it ran accc."""
    cmd, _ = TOOLS[tool]
    r = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("%s failed:\n%s%s" % (tool, r.stdout, r.stderr))
    return "accc" in r.stdout


def age_everything(tool):
    """Every input and the output equally old."""
    for name in DEPS + [TOOLS[tool][1]]:
        os.utime(os.path.join(root, name), (OLD, OLD))


def check(what, ok):
    global failed
    print("%s: %s" % (what, "ok" if ok else "FAILED"))
    failed |= not ok


for tool in TOOLS:
    check("%s: the first build runs accc" % tool, build(tool))
    age_everything(tool)
    check("%s: nothing changed, nothing runs" % tool, not build(tool))
    for dep in DEPS:
        age_everything(tool)
        os.utime(os.path.join(root, dep), (NEW, NEW))
        check("%s: '%s' changed, accc runs" % (tool, dep), build(tool))
sys.exit(1 if failed else 0)
