#!/usr/bin/env python3
"""Compares scenario.sh results from a guest kernel with the host's: what the workloads
control, never latencies or durations.

Usage: compare.py HOST_DIR GUEST_DIR

Per scenario and process: iotrace's exit code, the process model, trigger and parts, each
thread's (name, role, model, trigger), the findings as (id, severity, thread, syscall), and
the exact counts listed in EXACT. Also flags, on either side, a finding whose text says
" of 0 " (a ratio over a count of zero). Prints a table, then the details of every
difference; exits 1 on any difference, a missing report or a flagged finding.

Findings that only a latency threshold makes (TIMED) are compared without their severity,
which follows the time lost, and one the guest has in excess is a note, not a difference:
a guest under software emulation runs 10 to 30 times slower than the host, so calls cross
thresholds there that they never reach on the host. For the same reason a call or a stalled
iteration may get another verdict of its family (FAMILIES) in the guest: a note too. Any
other finding the host has must be in the guest; the findings a workload forces are also
pinned by their counts in EXACT.
"""
import json
import os
import sys
from collections import Counter

# Counts each workload fixes (tests/workloads/*.cpp), in the traced (root) process:
#   sys:NAME[/FDKIND]  calls of a syscall, summed over fd kinds unless one is given
#   m:NAME  a metric   ev:NAME  model evidence   f:ID  the count of a finding
#   tl:CAT[/NAME]  timeline slices of a category, and name (NAME.timeline.json)
#   stack:ID:SYMBOL  findings ID whose stack has a frame in a function named SYMBOL
# Counts that depend on timing (waits, EAGAINs, accept loops, stalls) are left out.
EXACT = {
    # 24 iterations, every third one a 30 ms sleep on the loop (ci_loop.hpp)
    "ci_blocking": ["sys:epoll_wait", "sys:read/eventfd", "sys:clock_nanosleep",
                    "f:blocking-call-on-loop", "tl:flagged call/clock_nanosleep", "tl:wait/epoll_wait"],
    "ci_offloaded": ["sys:epoll_wait", "sys:read/eventfd", "sys:write/eventfd",
                     "sys:clock_nanosleep"],
    # 12 requests, one at a time; the loop exits after the 12th reply (wl_loop_block.cpp)
    "loop_sleep": ["sys:read/tcp", "sys:write/tcp", "sys:clock_nanosleep", "sys:accept4",
                   "sys:epoll_ctl", "f:blocking-call-on-loop"],
    # and 12 jobs + 12 completions + 2 stop words through the pool's pipes
    "loop_sleep_offload": ["sys:read/tcp", "sys:write/tcp", "sys:clock_nanosleep",
                           "sys:write/pipe", "sys:epoll_ctl"],
    # 8 connections x 400 echoes (+1 EOF read each): load_client.hpp
    "blocking": ["sys:read/tcp", "sys:write/tcp", "sys:accept", "ev:blocking_socket_threads"],
    # 8 accepts, 8 x 401 recvs, 8 x 400 sends, 8 closes through the ring
    "uring": ["m:uring_sqes", "m:uring_cqes", "m:uring_failed", "m:cq_overflows"],
    "uring32": ["sys:io_uring_enter", "m:uring_sqes", "m:uring_failed", "m:sqes_per_enter"],
    "uring1": ["sys:io_uring_enter", "m:uring_sqes", "m:uring_failed", "f:uring-unbatched"],
    # 100 reads of a closed fd (each completion fails), 64 writes forced to io-wq (IOSQE_ASYNC)
    "uring_fail": ["m:uring_sqes", "m:uring_cqes", "m:uring_failed", "m:iowq_punts",
                   "f:uring-iowq-punts"],
    # 12 requests, each a getaddrinfo on the loop against the 30 ms resolver: the uprobe
    "dns": ["sys:read/tcp", "sys:write/tcp", "f:sync-dns-on-loop", "stack:sync-dns-on-loop:handle_dns"],
    # the same under the loop watch: 12 sleeps found from the context switches, with their stack
    "loop_watch": ["f:blocking-call-on-loop", "stack:blocking-call-on-loop:handle_sleep"],
    # the sleep server built without frame pointers: its stacks come from the copies
    "loop_sleep_nofp": ["sys:clock_nanosleep", "f:blocking-call-on-loop",
                        "stack:blocking-call-on-loop:handle_sleep"],
    "aio": ["sys:io_submit", "m:iocbs_per_submit"],
    "et_nodrain": ["sys:accept", "sys:epoll_ctl"],
    "epoll_et": ["sys:write/tcp", "sys:epoll_ctl", "ev:epoll_ctl_edge", "ev:fdinfo_edge"],
    "select": ["sys:read/tcp", "sys:write/tcp", "sys:accept4"],
    "poll": ["sys:read/tcp", "sys:write/tcp", "sys:accept4"],
    "select_high": ["sys:select", "m:select_max_nfds", "m:select_fds_per_call"],
    "poll_idle": ["sys:poll", "m:poll_fds_per_call", "m:poll_ready_per_call"],
    # 8 connections x 300 requests, one pread on a pool thread each
    "threadpool": ["sys:pread64", "sys:read/tcp", "sys:write/tcp", "sys:write/eventfd",
                   "ev:pool_threads", "ev:loop_threads"],
    # 12 rounds of recv + time.sleep(0.03) on the asyncio loop (py_loop_sleep.py)
    "python": ["sys:clock_nanosleep", "sys:sendto", "sys:recvfrom", "f:blocking-call-on-loop"],
}


# Findings decided by a duration (iotrace(8), FINDINGS), not by what the workload counts.
TIMED = {"blocking-call-on-loop", "slow-call-on-loop", "preempted-on-loop", "lock-wait-on-loop",
         "loop-preempted", "loop-stall", "cpu-stall", "aio-submit-blocked"}


# Alternative verdicts on one call on a loop, and on one stalled iteration: which one it gets
# depends on how long it took and where that time went (asleep, on CPU, runnable).
FAMILIES = [{"blocking-risk-on-loop", "blocking-call-on-loop", "slow-call-on-loop", "preempted-on-loop",
             "lock-wait-on-loop"},
            {"loop-stall", "cpu-stall", "loop-preempted", "lock-wait-on-loop"}]


def reclassified(f, others):
    """The finding of others that is f's call or iteration under another verdict, if any."""
    for g in others:
        if g[2:] == f[2:] and any(f[0] in fam and g[0] in fam for fam in FAMILIES):
            return g
    return None


def read(path, default=None):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# arm64 has no epoll_wait, select or poll: the C library makes the calls that replace them,
# and a guest of that architecture is compared with an x86_64 host through these.
SUCCESSORS = {"epoll_wait": "epoll_pwait", "select": "pselect6", "poll": "ppoll"}


def same_call(reported, wanted):
    return reported == wanted or SUCCESSORS.get(wanted) == reported


def count(report, timeline, spec):
    kind, _, name = spec.partition(":")
    proc = root(report)
    if kind == "tl":
        if timeline is None:
            return None
        cat, _, slice_name = name.partition("/")
        return sum(1 for e in timeline.get("traceEvents", [])
                   if e.get("ph") == "X" and e.get("cat") == cat and (not slice_name or same_call(e.get("name"), slice_name)))
    if proc is None:
        return None
    if kind == "sys":
        call, _, fd_kind = name.partition("/")
        return sum(s["calls"] for s in proc["syscalls"]
                   if same_call(s["syscall"], call) and (not fd_kind or s["fd_kind"] == fd_kind))
    if kind == "m":
        return proc["metrics"].get(name)
    if kind == "ev":
        return proc["model"]["evidence"].get(name)
    if kind == "f":
        return sum(f["count"] for f in proc["findings"] if f["id"] == name)
    if kind == "stack":
        fid, _, symbol = name.partition(":")
        return sum(1 for f in proc["findings"] if f["id"] == fid and any(
            symbol in (fr.get("symbol") or "") for fr in (f.get("stack") or {}).get("frames", [])))
    raise ValueError(spec)


def root(report):
    for p in (report or {}).get("processes", []):
        if not p.get("followed"):
            return p
    return None


def processes(report):
    """Processes keyed by (root or followed, comm): pids differ between runs."""
    out = {}
    for p in (report or {}).get("processes", []):
        key = ("followed " if p.get("followed") else "") + p["comm"]
        out.setdefault(key, []).append(p)
    return out


def thread_key(t):
    """A thread as comparable: the kernel's own io-wq workers are named after their pid
    (iou-wrk-NNN) and their number is the kernel's choice, so only their presence counts."""
    comm = t["comm"]
    if t["role"] == "io-wq":
        return (comm.rstrip("0123456789"), t["role"], t["model"], t["trigger"], "present")
    return (comm, t["role"], t["model"], t["trigger"])


def shape(proc):
    """What a process's I/O model and findings are, as comparable values."""
    m = proc["model"]
    return {
        "model": m["model"],
        "trigger": m["trigger"],
        "parts": tuple(m["parts"]),
        "threads": Counter({k: (1 if k[-1] == "present" else n)
                            for k, n in Counter(thread_key(t) for t in proc["threads"]).items()}),
        # a stall names the longest call of its iterations, which is timing too
        "findings": {(f["id"], None if f["id"] in TIMED else f["severity"], f["thread"],
                      None if f["id"] in FAMILIES[1] else f["syscall"])
                     for f in proc["findings"]},
    }


def zero_ratios(report):
    """Findings whose text divides by a count of zero ("... 0 of 0 ...")."""
    bad = []
    for p in (report or {}).get("processes", []):
        for f in p["findings"]:
            for field in ("title", "evidence", "advice"):
                if " of 0 " in f.get(field, ""):
                    bad.append(f"{p['comm']}: {f['id']} {field}: {f[field]}")
    return bad


def pair(a, b):
    return str(a) if a == b else f"{a} -> {b}"


def compare(host, guest, name):
    """One scenario: (row cells, problems, notes)."""
    problems, notes = [], []
    h_rc, g_rc = read(f"{host}/{name}.rc"), read(f"{guest}/{name}.rc")
    h_rep, g_rep = load_json(f"{host}/{name}.json"), load_json(f"{guest}/{name}.json")
    if g_rc is None:
        problems.append("guest did not run it")
    elif h_rc != g_rc:
        problems.append(f"iotrace exit {h_rc} on the host, {g_rc} in the guest")
    if h_rep is None:
        problems.append("no report on the host")
    if g_rep is None and g_rc is not None:
        problems.append("no report in the guest")
    for side, rep in (("host", h_rep), ("guest", g_rep)):
        problems += [f"{side}: ratio over 0: {z}" for z in zero_ratios(rep)]

    h_procs, g_procs = processes(h_rep), processes(g_rep)
    if h_rep is not None and g_rep is not None:
        for key in sorted(set(h_procs) | set(g_procs)):
            hs = [shape(p) for p in h_procs.get(key, [])]
            gs = [shape(p) for p in g_procs.get(key, [])]
            if len(hs) != len(gs):
                problems.append(f"process {key}: {len(hs)} on the host, {len(gs)} in the guest")
                continue
            for h, g in zip(hs, gs):
                for field in ("model", "trigger", "parts"):
                    if h[field] != g[field]:
                        problems.append(f"{key}: {field} {h[field]} -> {g[field]}")
                if h["threads"] != g["threads"]:
                    only_h, only_g = h["threads"] - g["threads"], g["threads"] - h["threads"]
                    problems.append(f"{key}: threads (name, role, model, trigger) host only "
                                    f"{dict(only_h)}, guest only {dict(only_g)}")
                gone, new = h["findings"] - g["findings"], g["findings"] - h["findings"]
                for f in sorted(gone, key=str):
                    if (other := reclassified(f, new)):
                        notes.append(f"{key}: timing only, in the guest {f} is {other[0]}")
                        new.discard(other)
                    else:
                        problems.append(f"{key}: finding gone in the guest: {f}")
                for f in sorted(new, key=str):
                    if f[0] in TIMED or reclassified(f, gone):
                        notes.append(f"{key}: timing only, new in the guest: {f}")
                    else:
                        problems.append(f"{key}: finding new in the guest: {f}")

    h_tl = load_json(f"{host}/{name}.timeline.json")
    g_tl = load_json(f"{guest}/{name}.timeline.json")
    counts = []
    for spec in EXACT.get(name, []):
        hv = count(h_rep, h_tl, spec) if h_rep is not None else None
        gv = count(g_rep, g_tl, spec) if g_rep is not None else None
        label = spec.split(":", 1)[1]
        if hv != gv and g_rep is not None:
            problems.append(f"{label}: {hv} on the host, {gv} in the guest")
        counts.append(f"{label}={fmt(hv) if hv == gv or g_rep is None else fmt(hv) + '->' + fmt(gv)}")

    hp, gp = root(h_rep), root(g_rep)
    model = pair(model_text(hp), model_text(gp) if g_rep is not None else "-")
    findings = pair(finding_ids(hp), finding_ids(gp) if g_rep is not None else "-")
    return [name, model, findings, " ".join(counts), pair(h_rc or "-", g_rc or "-")], problems, notes


def fmt(v):
    return "-" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def model_text(p):
    if p is None:
        return "-"
    m = p["model"]
    return m["model"] + (f"/{m['trigger']}" if m["trigger"] else "")


def finding_ids(p):
    if p is None:
        return "-"
    return ",".join(sorted({f["id"] for f in p["findings"]})) or "none"


def load_failure(path):
    """The lines of an iotrace -v log that tell why loading failed."""
    keys = ("not found", "failed", "error:", "invalid", "refused", "permission denied")
    lines = [l for l in read(path, "").splitlines()
             if any(k in l.lower() for k in keys) or l.startswith("exit ")]
    return list(dict.fromkeys(lines))[:12]  # the fallbacks repeat the same lines


def report_notes(path):
    return set((load_json(path) or {}).get("notes", []))


def doctor_row(host, guest):
    h, g = load_json(f"{host}/doctor.json"), load_json(f"{guest}/doctor.json")
    if h is None or g is None:
        return ["doctor", "-", "-", "", pair(read(f"{host}/doctor.rc"), read(f"{guest}/doctor.rc"))], \
            ["doctor --json gave no JSON" + (" on the host" if h is None else " in the guest")]
    hs = {c["id"]: c["state"] for c in h["checks"]}
    gs = {c["id"]: c["state"] for c in g["checks"]}
    # Kernel features differ between kernels by nature: shown, not failed on.
    moved = " ".join(f"{k}:{hs.get(k, '-')}->{gs.get(k, '-')}" for k in sorted(set(hs) | set(gs))
                     if hs.get(k) != gs.get(k))
    problems = []
    if h["attach_works"] != g["attach_works"]:
        problems.append(f"doctor: attach_works {h['attach_works']} -> {g['attach_works']}")
    return ["doctor", f"attach_works={pair(h['attach_works'], g['attach_works'])}", moved or "same checks",
            "", pair(read(f"{host}/doctor.rc"), read(f"{guest}/doctor.rc"))], problems


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    host, guest = sys.argv[1], sys.argv[2]
    if not os.path.exists(f"{host}/uname.txt"):
        sys.exit(f"compare.py: no host results in {host}")
    kernel = read(f"{guest}/uname.txt") or os.path.basename(guest.rstrip("/"))
    host_kernel = read(f"{host}/uname.txt", "?")
    names = sorted((f[:-3] for f in os.listdir(host) if f.endswith(".rc") and f != "doctor.rc"),
                   key=lambda n: os.path.getmtime(f"{host}/{n}.rc"))
    if not os.path.exists(f"{guest}/uname.txt"):
        print(f"{kernel}: the guest produced no results (see {guest}/console.log)")
        return 1
    rows, details = [], []
    row, problems = doctor_row(host, guest)
    rows.append(row + ["DIFF" if problems else "OK"])
    details.append(("doctor", problems, []))
    for name in names:
        if os.path.exists(f"{guest}/{name}.skipped"):  # python3.11 absent in the guest
            rows.append([name, "-", "-", read(f"{guest}/{name}.skipped"), "-", "SKIP"])
            continue
        row, problems, notes = compare(host, guest, name)
        rows.append(row + ["DIFF" if problems else "OK*" if notes else "OK"])
        details.append((name, problems, notes))

    print(f"kernel {kernel} vs host {host_kernel}")
    header = ["kernel", "workload", "model (host -> guest)", "findings", "key counts", "exit", "result"]
    table = [header] + [[kernel] + r for r in rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    for r in table:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    if any(r[-1] == "OK*" for r in rows):
        print("OK*: the same, but for findings that only the guest's slowness (software emulation)\n"
              "     explains: latency thresholds crossed, a call judged slow instead of at risk;\n"
              "     listed below as timing only")
    failed = [d for d in details if d[1]]
    shown = {}  # stderr text -> the scenario it was printed for
    for name, problems, notes in details:
        if not problems and not notes:
            continue
        print(f"\n{kernel} {name}:")
        for p in problems + notes:
            print(f"  {p}")
        err = read(f"{guest}/{name}.err")
        if err and any("exit" in p or "report" in p for p in problems):
            if err in shown:
                print(f"  guest stderr: as for {shown[err]}")
            else:
                shown[err] = name
                print("  guest stderr:\n" + "\n".join("    " + line for line in err.splitlines()[:20]))
    if shown and read(f"{guest}/load.log", "").splitlines()[-1:] != read(f"{host}/load.log", "").splitlines()[-1:]:
        print(f"\n{kernel} load.log (iotrace -v run -- true), the lines that say why:")
        for line in load_failure(f"{guest}/load.log"):
            print(f"  {line}")
    # What iotrace said about this kernel (fallbacks chosen), once
    h_notes = set().union(*(report_notes(f"{host}/{n}.json") for n in names))
    g_notes = set().union(*(report_notes(f"{guest}/{n}.json") for n in names)) - h_notes
    for n in sorted(g_notes):
        print(f"\n{kernel} report note: {n}")
    print(f"\n{kernel}: {sum(r[-1] in ('OK', 'OK*') for r in rows)} of {len(rows)} OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
