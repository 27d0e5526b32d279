# fio, one job on a 64 MB file in the case's temp dir (local disk), sourced by
# cases/fio-*.sh after rw_init with FIO_ENGINE, FIO_DIRECT (0|1) and optionally FIO_EXTRA
# (more job lines). 4k random reads and writes, iodepth 8, time_based for 20 s (cleanup
# ends it). fio forks one job process; the trace follows the parent with -f. Sets
# FIO_PARENT and FIO_JOB.
rw_need_pkgs fio

cat > "$WORK/job.fio" <<EOF
[global]
filename=$WORK/fio.data
size=64m
bs=4k
rw=randrw
rwmixread=70
ioengine=$FIO_ENGINE
direct=$FIO_DIRECT
iodepth=8
time_based=1
runtime=20
randrepeat=0
group_reporting=1
${FIO_EXTRA:-}

[job]
EOF
# Lay the file out first, so that the traced run does I/O and not allocation.
fio --name=layout --filename="$WORK/fio.data" --size=64m --rw=write --bs=1m \
  --ioengine=psync --end_fsync=1 > "$WORK/layout.log" 2>&1 || rw_die "fio layout failed"
rw_bg fio fio --output="$WORK/fio.out" "$WORK/job.fio"
FIO_PARENT=${RW_PID[fio]}
FIO_JOB=$(rw_wait_child "$FIO_PARENT" fio 10)
# Past the job's setup.
sleep 1
