#!/usr/bin/env python3
"""Compares the loop findings of two runs of the real-server suite: one with the full tracer
and one with the loop watch (RW_ATTACH_ARGS=--loop-watch), case by case.

Usage: loop_watch_compare.py FULL_DIR WATCH_DIR [CASE...]

Each DIR holds NAME/report.json per case (build/realworld as run.sh leaves it). For each case,
the findings about loops that stop them, (id, severity, thread name, syscall), must be the same
in both. Findings the loop watch cannot make are left out: blocking-risk-on-loop (a call that did
not sleep), et-not-drained and the ratio findings. Prints a table; exits 1 on any difference.
"""
import json
import os
import sys

LOOP_IDS = {"blocking-call-on-loop", "slow-call-on-loop", "loop-stall", "cpu-stall",
            "sync-dns-on-loop", "lock-wait-on-loop", "loop-preempted", "preempted-on-loop"}


def loop_findings(path):
    with open(path) as f:
        report = json.load(f)
    out = set()
    for p in report["processes"]:
        names = {t["tid"]: t["comm"] for t in p["threads"]}
        for f in p["findings"]:
            if f["id"] in LOOP_IDS and f["severity"] in ("high", "medium"):
                out.add((f["id"], f["severity"], names.get(f.get("tid"), "?"), f.get("syscall") or ""))
    return out


def main():
    full, watch = sys.argv[1], sys.argv[2]
    cases = sys.argv[3:] or sorted(d for d in os.listdir(watch) if os.path.exists(f"{watch}/{d}/report.json"))
    bad = 0
    print("| case | full tracer | loop watch | same |")
    print("|---|---|---|---|")
    for c in cases:
        a, b = loop_findings(f"{full}/{c}/report.json"), loop_findings(f"{watch}/{c}/report.json")
        same = a == b
        bad += not same
        fmt = lambda s: ", ".join(f"{i} {sev} ({t}, {sc})" for i, sev, t, sc in sorted(s)) or "none"
        print(f"| {c} | {fmt(a)} | {fmt(b)} | {'yes' if same else '**no**'} |")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
