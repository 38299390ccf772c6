#!/usr/bin/python3
"""Check -fdiagnostics-format=json output (tests/lit/tools/diagnostics.test).

    check_json_diags.py FILE

FILE (standard error of a tool) must be one JSON array and nothing else,
each element an object with exactly the keys file (a string, or null for a
message about no file), line and column (integers, 0 when unknown),
severity ("error", "warning" or "note") and message (a string). Prints one
line per object, "severity file:line:column: message", for FileCheck; exits
1 on any violation.
"""
import json
import sys

KEYS = {"file", "line", "column", "severity", "message"}

with open(sys.argv[1]) as f:
    text = f.read()
try:
    diags = json.loads(text)
except ValueError as e:
    sys.exit("not valid JSON (%s):\n%s" % (e, text))
if not isinstance(diags, list):
    sys.exit("not a JSON array")
for d in diags:
    if not isinstance(d, dict) or set(d) != KEYS:
        sys.exit("not an object with keys %s: %r" % (sorted(KEYS), d))
    if not (d["file"] is None or isinstance(d["file"], str)):
        sys.exit("file is neither a string nor null: %r" % d)
    if not all(isinstance(d[k], int) and d[k] >= 0 for k in ("line", "column")):
        sys.exit("line and column must be non-negative integers: %r" % d)
    if d["severity"] not in ("error", "warning", "note"):
        sys.exit("unknown severity: %r" % d)
    if not isinstance(d["message"], str) or not d["message"]:
        sys.exit("message must be a non-empty string: %r" % d)
    print("%s %s:%d:%d: %s" % (d["severity"], d["file"], d["line"], d["column"], d["message"]))
print("%d diagnostics" % len(diags))
