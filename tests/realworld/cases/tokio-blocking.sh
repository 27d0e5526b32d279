#!/usr/bin/env bash
# tokio (multi-thread runtime, 2 workers): like tokio-offload, but every 10th request
# sleeps 30 ms with std::thread::sleep on the async worker; wrk, 8 keep-alive connections.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
MODE=blocking
source "$RW_TOP/tests/realworld/programs/tokio/case.inc.sh"
