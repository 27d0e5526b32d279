#!/usr/bin/env bash
# Python asyncio (asyncio.start_server) HTTP/1.1 keep-alive hello server, one event loop;
# wrk, 10 keep-alive connections.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
MODE=correct
source "$RW_TOP/tests/realworld/programs/python-asyncio/case.inc.sh"
