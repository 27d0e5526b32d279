#!/usr/bin/env bash
# tokio (multi-thread runtime, 2 workers): each request's 2 ms of blocking work runs in
# spawn_blocking; wrk, 8 keep-alive connections.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
MODE=offload
source "$RW_TOP/tests/realworld/programs/tokio/case.inc.sh"
