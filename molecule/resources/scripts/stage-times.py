#!/usr/bin/env python3
"""Pass molecule's output through unchanged and time its stages.

    molecule test -s stack 2>&1 | stage-times.py SUMMARY_FILE

Molecule announces each action as "<scenario> ➜ <action>: Executing" and ends it with "Executed: ...".
At the end one line is appended to SUMMARY_FILE, e.g. "create 21s, prepare 35s, converge 301s, ...".
"""
import re
import sys
import time

ANSI = re.compile(r"\x1b\[[0-9;]*m")
START = re.compile(r"➜ (\w+): Executing")
END = re.compile(r"➜ (\w+): Executed: (\w+)")


def main():
    summary = sys.argv[1] if len(sys.argv) > 1 else None
    stages, current = [], None
    out = sys.stdout.buffer
    for raw in sys.stdin.buffer:  # bytes: the locale may not be UTF-8 (CI), the output is passed as it is
        out.write(raw)
        out.flush()
        line = ANSI.sub("", raw.decode("utf-8", "replace"))
        m = START.search(line)
        if m:
            current = (m.group(1), time.monotonic())
            continue
        m = END.search(line)
        if m and current and current[0] == m.group(1):
            status = "" if m.group(2) == "Successful" else " " + m.group(2).lower()
            stages.append("%s %ds%s" % (current[0], round(time.monotonic() - current[1]), status))
            current = None
    if current:
        stages.append("%s %ds unfinished" % (current[0], round(time.monotonic() - current[1])))
    if summary:
        with open(summary, "a", encoding="utf-8") as f:
            f.write(", ".join(stages) + "\n")


if __name__ == "__main__":
    main()
