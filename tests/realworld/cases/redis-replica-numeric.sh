#!/usr/bin/env bash
# redis-server as the replica of a master that is down, reconnecting every second from its
# loop; the master is 127.0.0.1: each reconnect's getaddrinfo is a numeric
# conversion that asks no resolver. redis-benchmark -c 4 GET, bounded by count.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
MODE=numeric
source "$RW_TOP/tests/realworld/programs/redis-replica/case.inc.sh"
