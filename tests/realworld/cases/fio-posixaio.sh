#!/usr/bin/env bash
# fio ioengine=posixaio (glibc aio helper threads), buffered: 4k random read/write, iodepth 8, on a 64 MB file in a temp dir.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
FIO_ENGINE=posixaio
FIO_DIRECT=0
FIO_EXTRA=""
source "$(dirname "$0")/../fio.inc.sh"
rw_attach -f "$FIO_PARENT"
rw_note "$(fio --version), ioengine=posixaio direct=0, parent $FIO_PARENT, job $FIO_JOB"
rw_snapshot "$FIO_PARENT" "$FIO_JOB"
rw_sample_threads "$FIO_JOB" 2
rw_strace_burst "$FIO_JOB" 1
rw_strace_sample "$FIO_JOB" 12
