#!/usr/bin/env bash
# Python asyncio as in python-asyncio, but every request's handler makes a synchronous HTTP
# call (urllib, a blocking socket) to a backend that answers in 20 ms, on the loop thread;
# wrk, 4 keep-alive connections.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
MODE=sync-client
CONNS=4
source "$RW_TOP/tests/realworld/programs/python-asyncio/case.inc.sh"
