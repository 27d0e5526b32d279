#!/usr/bin/env bash
# Python asyncio as in python-asyncio-sync-client, but the backend is named (backend.test):
# every request's synchronous HTTP call first resolves it with getaddrinfo, which queries a
# DNS server (dnsmasq on 127.0.0.1:53), on the loop thread; wrk, 4 keep-alive connections.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
MODE=sync-client-dns
CONNS=4
source "$RW_TOP/tests/realworld/programs/python-asyncio/case.inc.sh"
