#!/usr/bin/env python3
"""The tree matches what ARCHITECTURE.md and the README's layout table say of it.

- every folder of src/, cli/ and probes/ is named in ARCHITECTURE.md, and those of src/ and
  probes/ and cli/'s commands, render and demo in the README's layout table;
- no C or C++ source file is over 600 lines (files past that hold more than one job);
- unit tests mirror the tree: tests/unit/<dir>/X_test.cpp tests <dir>/X.cpp or X.hpp.
"""
import pathlib
import sys

top = pathlib.Path(sys.argv[1])
arch = (top / "ARCHITECTURE.md").read_text()
readme = (top / "README.md").read_text()
layout = readme[readme.index("## Layout"):]
errors = []

for layer in ("src", "cli", "probes"):
    for d in sorted(p for p in (top / layer).iterdir() if p.is_dir()):
        name = f"`{layer}/{d.name}/`"
        if name not in arch:
            errors.append(f"ARCHITECTURE.md does not describe {name}")
        if d.name != "systemd" and name not in layout:
            errors.append(f"README's layout table does not list {name}")

for layer in ("src", "cli", "probes", "bpf", "tests", "bench"):
    for f in (top / layer).rglob("*"):
        if f.suffix in (".cpp", ".hpp", ".c", ".h") and "vmlinux" not in f.parts:
            n = len(f.read_text(errors="replace").splitlines())
            if n > 600:
                errors.append(f"{f.relative_to(top)} has {n} lines (at most 600)")

unit = top / "tests" / "unit"
for t in unit.rglob("*_test.cpp"):
    rel = t.relative_to(unit)
    stem = t.name[: -len("_test.cpp")]
    base = top / rel.parent
    if not any((base / (stem + ext)).exists() for ext in (".cpp", ".hpp")):
        errors.append(f"tests/unit/{rel} tests no file: {rel.parent}/{stem}.cpp is missing")

for e in errors:
    print("layout:", e)
print(f"layout: {len(errors)} problem(s)")
sys.exit(1 if errors else 0)
