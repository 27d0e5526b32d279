#!/bin/sh
# One command from a fresh Debian 12 machine (as root): dependencies, build, 'iotrace demo'.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" iotrace
exec "$top/build/iotrace" demo "$@"
