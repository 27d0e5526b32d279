#!/usr/bin/env bash
# JDK 17 com.sun.net.httpserver hello server on the default executor (handlers run on the
# dispatcher thread), and a stats thread appending the request count to a file once a
# second; wrk, 10 keep-alive connections.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
JAVA_MODE="default stats $WORK/stats.txt"
source "$RW_TOP/tests/realworld/programs/jdk-httpserver/case.inc.sh"
