#!/bin/sh
# The Debian package, as a user meets it: built by the documented command (lintian clean),
# installed with apt-get, its iotrace doctor, demo and man page working, its exporter unit
# installed but not enabled, its debug symbols in the -dbgsym package under the binary's
# build id; then removed and purged, leaving none of its files behind.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "check_deb: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { [ "${CI:-}" = true ] && fail "needs root (apt-get) but CI=true"; echo "skipped: needs root"; exit 77; }
out=$(mktemp -d /tmp/iotrace-deb-test.XXXXXX)
trap 'apt-get purge -y -qq iotrace >/dev/null 2>&1 || true; rm -rf "$out"' EXIT
export DEBIAN_FRONTEND=noninteractive

"$top/scripts/build-deb.sh" "$out" >"$out/build.log" 2>&1 || { tail -40 "$out/build.log"; fail "the package did not build or lintian refused it"; }
deb=$(ls "$out"/iotrace_*.deb)
dbg=$(ls "$out"/iotrace-dbgsym_*.deb)

apt-get purge -y -qq iotrace >/dev/null 2>&1 || true
apt-get install -y -qq "$deb" >"$out/install.log" 2>&1 || { cat "$out/install.log"; fail "apt-get install $deb failed"; }
[ -x /usr/sbin/iotrace ] || fail "no /usr/sbin/iotrace after install"
version=$(dpkg-query -W -f '${Version}' iotrace)
/usr/sbin/iotrace --version | grep -q "$version" || fail "iotrace --version does not say $version"
/usr/sbin/iotrace doctor >"$out/doctor.txt" 2>&1 || { cat "$out/doctor.txt"; fail "the installed iotrace doctor failed"; }
/usr/sbin/iotrace demo >"$out/demo.txt" 2>&1 || { cat "$out/demo.txt"; fail "the installed iotrace demo failed"; }
grep -q "blocking-call-on-loop" "$out/demo.txt" || { cat "$out/demo.txt"; fail "the installed demo did not find its bug"; }
MANPAGER=cat man iotrace 2>/dev/null | grep -q "TLS and authentication" || fail "man iotrace does not show the installed page"
unit=/lib/systemd/system/iotrace-exporter.service
grep -q "^ExecStart=/usr/sbin/iotrace exporter" "$unit" || fail "$unit does not run /usr/sbin/iotrace"
[ ! -e /etc/systemd/system/multi-user.target.wants/iotrace-exporter.service ] || fail "the exporter was enabled on install"
[ -f /usr/share/bash-completion/completions/iotrace ] || fail "no bash completion"
[ -f /usr/share/iotrace/iotrace-report.schema.json ] || fail "no report schema"

# The binary is stripped; its symbols are in the -dbgsym package, under its build id.
id=$(readelf -n /usr/sbin/iotrace | sed -n 's/.*Build ID: //p')
[ -n "$id" ] || fail "the installed binary has no build id"
dpkg -c "$dbg" | grep "usr/lib/debug/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug" >/dev/null ||
	fail "the -dbgsym package has no debug file for build id $id"
if readelf -S /usr/sbin/iotrace | grep -q "\.debug_info"; then fail "the installed binary is not stripped"; fi

files=$(dpkg -L iotrace | while read -r f; do [ -f "$f" ] && echo "$f"; done)
apt-get purge -y -qq iotrace >"$out/purge.log" 2>&1 || { cat "$out/purge.log"; fail "apt-get purge failed"; }
dpkg-query -W -f '${Status}' iotrace 2>/dev/null | grep -q "installed" && fail "iotrace is still installed after purge"
for f in $files; do [ ! -e "$f" ] || fail "$f is left after purge"; done
echo "check_deb: $(basename "$deb") built lintian-clean, installed, ran doctor and demo, showed its man page, purged clean"
