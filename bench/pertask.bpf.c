// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The per-task lever: a tracepoint program attached through a perf event opened for one task
 * (perf_event_open(pid = target, cpu = -1)), the way perf trace attaches its events. It counts
 * the calls it sees from the target and from everyone else: if the kernel ran it only for the
 * target's threads, "others" would stay 0 and untraced processes would pay nothing for it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile __u32 cfg_tgid = 0;
__u64 bpt_target = 0;
__u64 bpt_others = 0;

SEC("tracepoint/raw_syscalls/sys_enter")
int bpt_enter(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != cfg_tgid) {
		__sync_fetch_and_add(&bpt_others, 1);
		return 0;
	}
	__sync_fetch_and_add(&bpt_target, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
