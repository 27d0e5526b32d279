#!/bin/busybox sh
# shellcheck shell=dash
# /init of the test initramfs (run.sh builds it): mounts what iotrace needs, runs
# scenario.sh, prints every result file on the serial console and powers off.
# Output protocol, parsed by run.sh:
#   @@IOTRACE-INIT uptime=S@@      /init started (S: seconds since the kernel started)
#   @@IOTRACE-BEGIN NAME@@ ... @@IOTRACE-END@@   base64 of NAME, gzip-compressed
#   @@IOTRACE-DONE uptime=S@@      everything printed
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin HOME=/ TMPDIR=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
echo "@@IOTRACE-INIT uptime=$(cut -d' ' -f1 /proc/uptime)@@"
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link set lo up
hostname guest

IOTRACE=/iotrace/bin/iotrace WORKLOADS=/iotrace/workloads PYSCRIPT=/iotrace/py_loop_sleep.py \
	PYTHON=$([ -x /usr/bin/python3.11 ] && echo /usr/bin/python3.11) \
	sh /iotrace/scenario.sh /out 2>&1 | tee /scenario.log # progress on the console too
cp /scenario.log /out/scenario.log
dmesg >/out/dmesg.txt
cat /proc/uptime >/out/uptime.txt

# Kernel messages printed now would split the base64 lines: only emergencies from here on.
echo 1 >/proc/sys/kernel/printk
for f in /out/*; do
	echo "@@IOTRACE-BEGIN ${f##*/}@@"
	gzip -c "$f" | base64
	echo "@@IOTRACE-END@@"
done
echo "@@IOTRACE-DONE uptime=$(cut -d' ' -f1 /proc/uptime)@@"
poweroff -f
