#!/usr/bin/env bash
# JDK 17 com.sun.net.httpserver hello server, a fixed pool of 4 handler threads;
# wrk, 10 keep-alive connections.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
JAVA_MODE=
source "$RW_TOP/tests/realworld/programs/jdk-httpserver/case.inc.sh"
