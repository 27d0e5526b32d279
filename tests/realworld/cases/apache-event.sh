#!/usr/bin/env bash
# Apache httpd 2.4.71, mpm_event, private config; wrk, 8 keep-alive connections.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
MPM=event
source "$(dirname "$0")/../apache.inc.sh"
rw_attach -f "$APACHE_MASTER"
rw_note "apache2 mpm_event, master $APACHE_MASTER, children: $(rw_children "$APACHE_MASTER" | tr '\n' ' ')"
rw_snapshot "$APACHE_MASTER" $(rw_children "$APACHE_MASTER")
rw_strace_burst "$APACHE_MASTER" 2
rw_eustack "$APACHE_MASTER"
