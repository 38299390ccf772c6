"""Check a Chrome trace written by acc-run --trace and summarise it.

Every event has the fields the trace-event format requires; complete
slices ("X") have a non-negative duration and, on each track, follow each
other without overlapping. Prints the tracks and the slices of the machine
track in time order.
"""
import json
import sys

trace = json.load(open(sys.argv[1]))
events = trace["traceEvents"]
names = {}
slices = {}
for e in events:
    for field in ("name", "ph", "pid", "tid"):
        assert field in e, f"event without {field}: {e}"
    if e["ph"] == "M":
        if e["name"] == "thread_name":
            names[e["tid"]] = e["args"]["name"]
        continue
    assert e["ph"] == "X", e
    assert e["dur"] >= 0 and e["ts"] >= 0, e
    slices.setdefault(e["tid"], []).append(e)
for tid, ss in slices.items():
    ss.sort(key=lambda e: e["ts"])
    for a, b in zip(ss, ss[1:]):
        assert a["ts"] + a["dur"] <= b["ts"] + 1e-6, f"overlap on track {tid}: {a} {b}"
    assert tid in names, f"track {tid} has no name"
print("tracks: " + ", ".join(names[t] for t in sorted(names)))
print("machine: " + ", ".join(e["name"] for e in slices.get(0, [])))
for t in sorted(names):
    if t:
        print(f"{names[t]}: {len(slices.get(t, []))} compute slices")
