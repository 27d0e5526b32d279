#!/usr/bin/env bash
# fio ioengine=io_uring, O_DIRECT: 4k random read/write, iodepth 8, on a 64 MB file in a temp dir.
source "$(dirname "$0")/../lib.sh"
rw_init "$@"
FIO_ENGINE=io_uring
FIO_DIRECT=1
FIO_EXTRA=""
source "$(dirname "$0")/../fio.inc.sh"
rw_attach -f "$FIO_PARENT"
rw_note "$(fio --version), ioengine=io_uring direct=1, parent $FIO_PARENT, job $FIO_JOB"
rw_snapshot "$FIO_PARENT" "$FIO_JOB"
rw_sample_threads "$FIO_JOB" 2
rw_strace_burst "$FIO_JOB" 1
rw_strace_sample "$FIO_JOB" 12
