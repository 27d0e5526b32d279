#!/bin/sh
# Builds the Debian package of this tree: OUTDIR/iotrace_VERSION_ARCH.deb and its debug
# symbols (iotrace-dbgsym_VERSION_ARCH.deb), checked with lintian (no error, no warning).
# Usage: scripts/build-deb.sh [OUTDIR]   (default build/deb; run scripts/install-deps.sh first)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/deb}
work=$(mktemp -d /tmp/iotrace-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
# dpkg-buildpackage writes beside the source tree: build from a copy holding only the
# sources (what git tracks, or would), not the developer's build trees.
mkdir "$work/iotrace"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		(cd "$top" && xargs -0 tar -cf - --no-recursion) | tar -xf - -C "$work/iotrace"
else
	tar -C "$top" --exclude=./build --exclude='./build-*' -cf - . | tar -xf - -C "$work/iotrace"
fi
(cd "$work/iotrace" && dpkg-buildpackage -b -us -uc -j"$(nproc)")
lintian --fail-on error,warning --tag-display-limit 0 "$work"/*.deb
mkdir -p "$out"
cp "$work"/*.deb "$out"/
ls "$out"/*.deb
