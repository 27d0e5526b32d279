// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Minimal programs for `iotrace doctor`: one per attach type iotrace uses (and fentry, which it
 * does not), loaded and attached one at a time to learn what this kernel allows. Each counts
 * its hits from the doctor's own process, so the doctor can check that a probe also fired.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Indexes into iot_pr_hits; probes/kernel/doctor_checks.cpp uses the same numbers. */
#define IOT_PR_SYS_BTF 0
#define IOT_PR_SYS_RAW 1
#define IOT_PR_SCH_BTF 2
#define IOT_PR_SCH_RAW 3
#define IOT_PR_URING 4
#define IOT_PR_UPROBE 5
#define IOT_PR_URETPROBE 6
#define IOT_PR_FENTRY 7
#define IOT_PR_SLOTS 8

const volatile __u32 cfg_self_tgid = 0;

__u64 iot_pr_hits[IOT_PR_SLOTS] = {};

static __always_inline void hit(int slot)
{
	if ((__u32)(bpf_get_current_pid_tgid() >> 32) == cfg_self_tgid)
		__sync_fetch_and_add(&iot_pr_hits[slot], 1);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(iot_pr_sys_btf, struct pt_regs *regs, long id)
{
	hit(IOT_PR_SYS_BTF);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(iot_pr_sys_raw, struct pt_regs *regs, long id)
{
	hit(IOT_PR_SYS_RAW);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(iot_pr_sch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	hit(IOT_PR_SCH_BTF);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(iot_pr_sch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	hit(IOT_PR_SCH_RAW);
	return 0;
}

/* Loaded only when the tracepoint is in the kernel's BTF; never expected to fire here. */
SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(iot_pr_uring)
{
	hit(IOT_PR_URING);
	return 0;
}

/* Attached by the doctor to a function in its own binary; the cookie is checked. */
SEC("uprobe")
int BPF_KPROBE(iot_pr_uprobe)
{
	if (bpf_get_attach_cookie(ctx) == 0x10)
		hit(IOT_PR_UPROBE);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(iot_pr_uret)
{
	hit(IOT_PR_URETPROBE);
	return 0;
}

/* iotrace does not use fentry; the doctor reports whether it would work. */
SEC("fentry/vfs_read")
int BPF_PROG(iot_pr_fentry)
{
	hit(IOT_PR_FENTRY);
	return 0;
}
