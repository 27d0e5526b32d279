#!/usr/bin/env bash
# redis-server as the replica of a master that is down, reconnecting every second from its
# loop; the master is named master.test, answered by dnsmasq on 127.0.0.1:53: each reconnect
# resolves it through DNS on the loop thread. redis-benchmark -c 4 GET, bounded by count.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
MODE=dns
source "$RW_TOP/tests/realworld/programs/redis-replica/case.inc.sh"
