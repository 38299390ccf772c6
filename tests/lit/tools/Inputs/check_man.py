#!/usr/bin/python3
"""The man pages and --help name the same options (tests/lit/tools/man.test).

    check_man.py MANDIR TOOL...

For each TOOL: the options --help lists (the lines "  -x ...", the
spelling up to the first two spaces) must be exactly the options of the
OPTIONS section of MANDIR/TOOL.1 (each ".TP" entry whose tag starts with a
dash, fonts and escapes removed), and groff must format the page without a
warning. Prints one line per tool; exits 1 on a difference.
"""
import os
import re
import shutil
import subprocess
import sys


def help_options(tool):
    text = subprocess.run([tool, "--help"], capture_output=True, text=True, check=True).stdout
    opts = []
    for line in text.splitlines():
        m = re.match(r"  (-\S.*?)(?:  |$)", line)
        if m:
            opts.append(m.group(1))
    return opts


def unroff(s):
    s = re.sub(r"\\f[BIRP]", "", s)
    return s.replace("\\-", "-").replace("\\e", "\\").replace("\\(em", "--").strip()


def man_options(path):
    lines = open(path).read().splitlines()
    opts, section = [], None
    for k, line in enumerate(lines):
        if line.startswith(".SH "):
            section = line[4:].strip().strip('"')
        elif line == ".TP" and section == "OPTIONS" and k + 1 < len(lines):
            tag = unroff(lines[k + 1])
            if tag.startswith("-"):
                opts.append(tag)
    return opts


failed = False
mandir = sys.argv[1]
groff = shutil.which("groff")
for tool in sys.argv[2:]:
    page = os.path.join(mandir, tool + ".1")
    in_help, in_man = help_options(tool), man_options(page)
    only_help = [o for o in in_help if o not in in_man]
    only_man = [o for o in in_man if o not in in_help]
    problems = []
    if only_help:
        problems.append("not in %s.1: %s" % (tool, ", ".join(only_help)))
    if only_man:
        problems.append("not in --help: %s" % ", ".join(only_man))
    if len(set(in_help)) != len(in_help):
        problems.append("--help lists an option twice")
    if groff:
        r = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", page], capture_output=True,
                           text=True)
        if r.returncode or r.stderr:
            problems.append("groff: " + r.stderr.strip())
    print("%s: %d options: %s" % (tool, len(in_help), "; ".join(problems) or "same"))
    failed |= bool(problems)
sys.exit(1 if failed else 0)
