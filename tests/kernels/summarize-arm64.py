#!/usr/bin/env python3
"""Summarises an arm64 guest's results (tests/kernels/run-arm64.sh): the syscalls each report
names, the counts wl_counted fixes, and the io_uring metrics.

Usage: summarize-arm64.py OUT_DIR
Exit 1 when a count wl_counted fixes is off or a report is missing.
"""
import json
import os
import sys

# wl_counted after "go" (tests/workloads/wl_counted.cpp), in arm64's names: glibc's epoll_wait
# is the epoll_pwait syscall there.
COUNTED = {("write", "tcp"): 10000, ("read", "tcp"): 10007, ("epoll_pwait", "epoll"): 200,
           ("pread64", "regular"): 3, ("getppid", None): 50}


def root_process(path):
    with open(path) as f:
        rep = json.load(f)
    return rep["processes"][0] if rep.get("processes") else None


def calls(p):
    out = {}
    for s in p["syscalls"]:
        out[(s["syscall"], s["fd_kind"])] = out.get((s["syscall"], s["fd_kind"]), 0) + s["calls"]
    return out


def main():
    d = sys.argv[1]
    bad = 0
    for name in sorted(f[:-5] for f in os.listdir(d) if f.endswith(".json") and not f.startswith("doctor")
                       and not f.endswith((".timeline.json", ".capture.json"))):
        p = root_process(os.path.join(d, name + ".json"))
        if not p:
            print("%-18s no process in the report" % name)
            continue
        top = sorted(calls(p).items(), key=lambda kv: -kv[1])[:6]
        print("%-18s model=%-10s %s" % (name, p["model"]["model"],
                                        ", ".join("%s(%s)=%d" % (k[0], k[1], v) for k, v in top)))
    path = os.path.join(d, "counted.json")
    if not os.path.exists(path):
        print("counted: no report")
        return 1
    got = calls(root_process(path))
    for (sc, kind), want in COUNTED.items():
        n = sum(v for (s, k), v in got.items() if s == sc and (kind is None or k == kind))
        ok = n == want
        bad += not ok
        print("counted %s(%s): %d, expected %d%s" % (sc, kind or "any", n, want, "" if ok else "  MISMATCH"))
    for name in ("uring_run", "uring"):
        path = os.path.join(d, name + ".json")
        if os.path.exists(path):
            m = root_process(path)["metrics"]
            print("%s: %s" % (name, ", ".join("%s=%s" % (k, m[k]) for k in sorted(m) if k.startswith(("uring", "cq", "sqes")))))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
