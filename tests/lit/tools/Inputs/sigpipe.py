#!/usr/bin/python3
"""Run a command whose standard output is a pipe nobody reads (its read end
is closed before the command starts),
and print how it ended (tests/lit/tools/output.test): a tool must report
the write error and exit 1, never die of SIGPIPE.

    sigpipe.py COMMAND ARGS...
"""
import os
import subprocess
import sys

r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
os.close(w)
err = p.stderr.decode()
code = p.returncode
print("signal %d" % -code if code < 0 else "exit=%d" % code)
sys.stdout.write(err)
