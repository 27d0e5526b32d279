#!/usr/bin/env python3
"""Compare an iotrace JSON report with a real-server expectation.

Usage:
  compare.py EXPECT.json REPORT.json [--row-file FILE]
      Check one report; print each check that fails with its reason; exit 0 when all
      hold, 1 otherwise. --row-file writes "expected<TAB>reported<TAB>verdict" for run.sh.
  compare.py --fixtures FIXDIR EXPECTDIR IOTRACE
      For every FIXDIR/NAME.capture.json, render it with `IOTRACE report CAPTURE --json`
      and check it against EXPECTDIR/NAME.json; print a table; exit 1 if any row is wrong.

Expectation format (tests/realworld/expect/NAME.json), written from evidence gathered
without iotrace (strace, /proc/PID/fdinfo, /proc/PID/task/*/wchan...):
  {
    "program":  "what ran, under which load",                       (text, required)
    "evidence": "what the independent tools showed",                 (text, required)
    "process": {                                                      (required)
      "select":  "busiest" | "root" | "comm:NAME",
                 busiest = the process with the most system calls (sum of its
                 syscalls[].calls); root = the first process that is not a followed
                 child; comm:NAME = the busiest process whose comm is NAME
      "model":   "epoll" | ["threadpool", ...]    the process's model.model (a list
                 means any of these is right)
      "trigger": "edge" | "level" | "mixed"       optional, model.trigger
    },
    "service":      {"model": ...},      optional: report.service.model (needs -f)
    "loop_threads": {"min": 1, "max": 1},  optional: threads with role "event-loop" in the
                                           selected process
    "roles": {"pool-worker": {"min": 1}}, optional: the same for any thread role
    "must":     ["finding-id", ...],      optional: each appears in the selected process
    "must_not": ["finding-id", ...],      optional: none appears in ANY traced process
    "max_severity": "low"                 optional: no finding above this severity in any
                                          traced process (info < low < medium < high)
    "stacks": [                           optional: for each entry, some finding with this
      {"finding": "blocking-call-on-loop",  id, in any traced process, has a stack whose
       "frames": ["clock_nanosleep",        frames contain these texts in this order,
                  "handle server.py:31"],   innermost first (a frame's text is its symbol,
       "complete": true}                    file:line and module, space-separated);
    ]                                       complete: the stack is not cut short
  }
"""
import json
import os
import subprocess
import sys

SEVERITIES = ["info", "low", "medium", "high"]


def sev_rank(s):
    return SEVERITIES.index(s) if s in SEVERITIES else len(SEVERITIES)


def proc_calls(p):
    calls = sum(s.get("calls", 0) for s in p.get("syscalls") or [])
    if calls == 0:
        for t in p.get("threads") or []:
            calls += sum(s.get("calls", 0) for s in t.get("syscalls") or [])
    return calls


def select_process(report, how):
    procs = report.get("processes") or []
    if not procs:
        return None, "the report has no process"
    if how == "root":
        for p in procs:
            if not p.get("followed"):
                return p, None
        return procs[0], None
    if how.startswith("comm:"):
        name = how[5:]
        procs = [p for p in procs if p.get("comm") == name]
        if not procs:
            return None, "no process with comm %s" % name
    elif how != "busiest":
        return None, "unknown select %r" % how
    return max(procs, key=proc_calls), None


def one_of(value, expected):
    return value in expected if isinstance(expected, list) else value == expected


def show(expected):
    return "|".join(expected) if isinstance(expected, list) else str(expected)


def count_range(n, rng):
    lo, hi = rng.get("min"), rng.get("max")
    return (lo is None or n >= lo) and (hi is None or n <= hi)


def range_text(rng):
    lo, hi = rng.get("min"), rng.get("max")
    if lo is not None and lo == hi:
        return str(lo)
    if hi is None:
        return ">=%s" % lo
    if lo is None:
        return "<=%s" % hi
    return "%s..%s" % (lo, hi)


def describe_expected(exp):
    pe = exp.get("process", {})
    text = show(pe.get("model", "?"))
    if pe.get("trigger"):
        text += "/" + pe["trigger"]
    if "service" in exp:
        text += " svc=" + show(exp["service"].get("model", "?"))
    if "loop_threads" in exp:
        text += " loops=" + range_text(exp["loop_threads"])
    if exp.get("must"):
        text += " +" + ",".join(exp["must"])
    if exp.get("max_severity"):
        text += " max=" + exp["max_severity"]
    return text


def check(exp, report):
    """Return (failures, reported-summary)."""
    fails = []
    pe = exp.get("process", {})
    proc, err = select_process(report, pe.get("select", "busiest"))
    if proc is None:
        return ["process: " + err], "no process"
    model = proc.get("model") or {}
    roles = {}
    for t in proc.get("threads") or []:
        roles[t.get("role")] = roles.get(t.get("role"), 0) + 1
    procs = report.get("processes") or []
    findings = [(p, f) for p in procs for f in p.get("findings") or []]
    worst = max((sev_rank(f.get("severity")) for _, f in findings), default=-1)

    rep = "%s%s" % (model.get("model"), "/" + model["trigger"] if model.get("trigger") else "")
    svc = report.get("service")
    if "service" in exp:
        rep += " svc=%s" % (svc.get("model") if svc else None)
    if "loop_threads" in exp:
        rep += " loops=%d" % roles.get("event-loop", 0)
    listed = sorted({(f.get("id"), f.get("severity")) for _, f in findings
                     if sev_rank(f.get("severity")) >= sev_rank("medium")})
    if listed:
        rep += " " + ",".join("%s(%s)" % x for x in listed)
    rep += " max=%s" % (SEVERITIES[worst] if worst >= 0 else "none")

    where = "pid %s (%s)" % (proc.get("pid"), proc.get("comm"))
    if "model" in pe and not one_of(model.get("model"), pe["model"]):
        fails.append("process.model: expected %s, reported %s for %s: %s" % (
            show(pe["model"]), model.get("model"), where, model.get("sentence", "")))
    if "trigger" in pe and not one_of(model.get("trigger"), pe["trigger"]):
        fails.append("process.trigger: expected %s, reported %s for %s" % (
            show(pe["trigger"]), model.get("trigger"), where))
    if "service" in exp:
        want = exp["service"].get("model")
        if not svc:
            fails.append("service: expected %s, the report has no service model" % show(want))
        elif want is not None and not one_of(svc.get("model"), want):
            fails.append("service.model: expected %s, reported %s: %s" % (
                show(want), svc.get("model"), svc.get("sentence", "")))
    wanted_roles = dict(exp.get("roles") or {})
    if "loop_threads" in exp:
        wanted_roles["event-loop"] = exp["loop_threads"]
    for role, rng in wanted_roles.items():
        n = roles.get(role, 0)
        if not count_range(n, rng):
            fails.append("threads with role %s: expected %s, reported %d in %s (roles: %s)" % (
                role, range_text(rng), n, where,
                ", ".join("%s=%d" % kv for kv in sorted(roles.items(), key=str))))
    ids_here = {f.get("id") for f in proc.get("findings") or []}
    for fid in exp.get("must") or []:
        if fid not in ids_here:
            fails.append("must: finding %s not reported for %s (reported: %s)" % (
                fid, where, ", ".join(sorted(ids_here)) or "none"))
    for fid in exp.get("must_not") or []:
        for p, f in findings:
            if f.get("id") == fid:
                fails.append("must_not: %s (%s) reported for pid %s (%s) thread %s: %s" % (
                    fid, f.get("severity"), p.get("pid"), p.get("comm"), f.get("thread"),
                    f.get("evidence", "")))
    if "max_severity" in exp:
        limit = sev_rank(exp["max_severity"])
        for p, f in findings:
            if sev_rank(f.get("severity")) > limit:
                fails.append("max_severity %s: %s (%s) for pid %s (%s) thread %s: %s" % (
                    exp["max_severity"], f.get("id"), f.get("severity"), p.get("pid"),
                    p.get("comm"), f.get("thread"), f.get("evidence", "")))
    for want in exp.get("stacks") or []:
        stacks = [f.get("stack") or {} for _, f in findings if f.get("id") == want["finding"]]
        if not any(stack_matches(s, want) for s in stacks):
            best = max(stacks, key=lambda s: len(s.get("frames") or []), default={})
            fails.append("stacks: no %s stack has %s%s; one reported: %s" % (
                want["finding"], " > ".join(want["frames"]),
                " (complete)" if want.get("complete") else "", stack_text(best)))
    return fails, rep


def frame_text(fr):
    where = fr.get("file", "")
    if where and fr.get("line"):
        where = "%s:%d" % (os.path.basename(where), fr["line"])
    return " ".join(x for x in (fr.get("symbol", ""), where, fr.get("module", "")) if x)


def stack_text(stack):
    frames = [frame_text(fr) for fr in stack.get("frames") or []]
    text = " > ".join(frames[:14]) or "no frames"
    if stack.get("truncated"):
        text += " (cut short: %s)" % stack.get("cut_reason", "?")
    return text


def stack_matches(stack, want):
    if want.get("complete") and stack.get("truncated"):
        return False
    texts = [frame_text(fr) for fr in stack.get("frames") or []]
    at = 0
    for needle in want["frames"]:
        while at < len(texts) and needle not in texts[at]:
            at += 1
        if at == len(texts):
            return False
        at += 1
    return True


def load(path):
    with open(path) as f:
        return json.load(f)


def compare_files(expect_path, report_path):
    exp = load(expect_path)
    try:
        report = load(report_path)
    except (OSError, ValueError) as e:
        return ["report: cannot read %s: %s" % (report_path, e)], describe_expected(exp), "no report"
    fails, rep = check(exp, report)
    return fails, describe_expected(exp), rep


def table(rows):
    head = ("program", "expected", "reported", "verdict")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(4)]
    line = lambda r: " | ".join(str(r[i]).ljust(widths[i]) for i in range(4)).rstrip()
    out = [line(head), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def fixtures_mode(fixdir, expectdir, iotrace):
    names = sorted(f[: -len(".capture.json")] for f in os.listdir(fixdir)
                   if f.endswith(".capture.json")) if os.path.isdir(fixdir) else []
    if not names:
        print("no fixtures in %s" % fixdir)
        return 0
    rows, bad = [], 0
    for name in names:
        capture = os.path.join(fixdir, name + ".capture.json")
        expect = os.path.join(expectdir, name + ".json")
        if not os.path.exists(expect):
            rows.append((name, "no expect file", "-", "WRONG"))
            bad += 1
            continue
        exp = load(expect)
        res = subprocess.run([iotrace, "report", capture, "--json"], capture_output=True,
                             text=True, env=dict(os.environ, LC_ALL="C", TZ="UTC"))
        if res.returncode != 0:
            fails, rep = ["iotrace report exited %d: %s" % (res.returncode, res.stderr.strip())], "error"
        else:
            try:
                fails, rep = check(exp, json.loads(res.stdout))
            except ValueError as e:
                fails, rep = ["iotrace report printed no JSON: %s" % e], "error"
        verdict = "WRONG" if fails else "ok"
        bad += bool(fails)
        rows.append((name, describe_expected(exp), rep, verdict))
        for f in fails:
            print("%s: %s" % (name, f))
    print(table(rows))
    print("%d passed, %d failed" % (len(rows) - bad, bad))
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 1 and argv[0] == "--fixtures":
        if len(argv) != 4:
            print(__doc__, file=sys.stderr)
            return 2
        return fixtures_mode(*argv[1:])
    row_file = None
    if "--row-file" in argv:
        i = argv.index("--row-file")
        row_file = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    fails, expected, reported = compare_files(argv[0], argv[1])
    for f in fails:
        print("  " + f)
    if row_file:
        with open(row_file, "w") as f:
            f.write("%s\t%s\t%s\n" % (expected, reported, "WRONG" if fails else "ok"))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
