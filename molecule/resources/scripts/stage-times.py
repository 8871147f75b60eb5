#!/usr/bin/env python3
"""Pass molecule's output through unchanged and time its stages.

    molecule test -s stack 2>&1 | stage-times.py SUMMARY_FILE

Molecule announces each action as "<scenario> ➜ <action>: Executing" and ends it with "Executed: ...".
At the end one line is appended to SUMMARY_FILE, e.g. "create 21s, prepare 35s, converge 301s, ...", and the
lines that tell why a stage failed (Ansible's fatal/failed results, the tasks an idempotence run changed,
molecule's errors, pytest's failed tests) go to SUMMARY_FILE.why, at most WHY_LINES of them, each cut to
WHY_WIDTH characters: the suite's summary prints them, so that the end of a long log says what went wrong.
"""
import re
import sys
import time

ANSI = re.compile(r"\x1b\[[0-9;]*m")
START = re.compile(r"➜ (\w+): Executing")
END = re.compile(r"➜ (\w+): Executed: (\w+)")
# Lines worth repeating at the end: a task's failure, molecule's own errors, pytest's verdicts.
WHY = re.compile(r"^(fatal: |failed: |ERROR|CRITICAL|FAILED (?!- RETRYING)|E   |\*\s+\[?\S)|Idempotence test failed|short test summary")
WHY_LINES = 40
WHY_WIDTH = 400


def main():
    summary = sys.argv[1] if len(sys.argv) > 1 else None
    stages, current, why = [], None, []
    out = sys.stdout.buffer
    for raw in sys.stdin.buffer:  # bytes: the locale may not be UTF-8 (CI), the output is passed as it is
        out.write(raw)
        out.flush()
        line = ANSI.sub("", raw.decode("utf-8", "replace"))
        text = line.strip().lstrip("│").strip()  # molecule frames the output of its playbooks with "│ "
        # In an idempotence run every "changed:" result is a reason for its failure.
        if WHY.search(text) or (current and current[0] == "idempotence" and text.startswith("changed: ")):
            why.append(("[%s] " % current[0] if current else "") + text[:WHY_WIDTH])
            del why[:-WHY_LINES]
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
        with open(summary + ".why", "w", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in why)


if __name__ == "__main__":
    main()
