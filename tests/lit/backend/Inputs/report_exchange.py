"""Print the exchange cycles --report estimated (argv[1], summed over the
supersteps) and those acc-run --stats simulated (standard input)."""
import json
import re
import sys

with open(sys.argv[1]) as f:
    estimated = sum(s["exchange_cycles"] for s in json.load(f)["steps"])
m = re.search(r"^\s*exchange\s+(\d+)", sys.stdin.read(), re.M)
print("estimated %d simulated %s" % (estimated, m.group(1) if m else "none"))
