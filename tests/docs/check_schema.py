#!/usr/bin/env python3
"""Validates iotrace's outputs against the schemas it publishes (man/*.schema.json).

  check_schema.py IOTRACE SOURCE_DIR

Reports: tests/golden/*.json, and `IOTRACE report CAPTURE --json [--all-threads]` of every
capture under tests/fixtures. Captures: every tests/fixtures/**/*.capture.json. Also checks
that the schemas reject a report with an unknown field, so that a schema that accepts anything
cannot pass. Exit 0 when everything validates, 1 otherwise.
"""
import glob
import json
import os
import subprocess
import sys

import jsonschema


def main():
    iotrace, top = sys.argv[1], sys.argv[2]
    load = lambda p: json.load(open(p))
    report_schema = load(os.path.join(top, "man/iotrace-report.schema.json"))
    capture_schema = load(os.path.join(top, "man/iotrace-capture.schema.json"))
    jsonschema.Draft202012Validator.check_schema(report_schema)
    jsonschema.Draft202012Validator.check_schema(capture_schema)
    reports = jsonschema.Draft202012Validator(report_schema)
    captures = jsonschema.Draft202012Validator(capture_schema)
    failed = 0
    checked = 0

    def check(validator, doc, name):
        nonlocal failed, checked
        checked += 1
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors[:5]:
            print("%s: %s at %s" % (name, e.message, "/".join(map(str, e.path))))
        failed += bool(errors)

    for p in sorted(glob.glob(os.path.join(top, "tests/golden/*.json"))):
        check(reports, load(p), p)
    caps = sorted(glob.glob(os.path.join(top, "tests/fixtures/**/*.capture.json"), recursive=True))
    for p in caps:
        check(captures, load(p), p)
        for extra in ([], ["--all-threads"]):
            out = subprocess.run([iotrace, "report", p, "--json"] + extra, capture_output=True,
                                 text=True, check=True).stdout
            check(reports, json.loads(out), "report %s %s" % (p, " ".join(extra)))
    bad = load(os.path.join(top, "tests/golden/empty.json"))
    bad["no_such_field"] = 1
    if reports.is_valid(bad):
        print("the report schema accepts an unknown field")
        failed += 1
    print("%d documents checked, %d failed" % (checked, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
