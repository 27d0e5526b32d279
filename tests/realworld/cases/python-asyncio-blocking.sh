#!/usr/bin/env bash
# Python asyncio as in python-asyncio, but every 10th request calls time.sleep(0.03) in the
# handler, on the loop thread; wrk, 10 keep-alive connections.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
MODE=blocking
source "$RW_TOP/tests/realworld/programs/python-asyncio/case.inc.sh"
