// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The cheapest per-process syscall tracer possible on the hooks iotrace uses: tp_btf sys_enter
 * and sys_exit programs that only compare the caller's tgid with the target's. Every process
 * on the host runs them, so their cost to untraced processes is the floor iotrace's own
 * sys_enter/sys_exit programs are measured against. For the target they count calls, so a run
 * can show it really was attached.
 *
 * The same tgid check on the other hooks a tracer can choose (floor.cpp --hook loads one kind):
 * BPF trampolines on one syscall's function (fentry/fexit: only callers of that syscall run
 * them, and a full tracer on trampolines would hook every syscall function this way), and one
 * syscall's own tracepoints (enabling any puts every task on the slower syscall path).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

const volatile __u32 cfg_tgid = 0;
__u64 bfl_enters = 0;
__u64 bfl_exits = 0;

/* Every program: the tgid compare, and a count for the target only. */
static __always_inline int count_target(__u64 *n)
{
	if ((bpf_get_current_pid_tgid() >> 32) == cfg_tgid)
		__sync_fetch_and_add(n, 1);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(bfl_enter, struct pt_regs *regs, long id)
{
	return count_target(&bfl_enters);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(bfl_exit, struct pt_regs *regs, long ret)
{
	return count_target(&bfl_exits);
}

SEC("fentry/__x64_sys_getppid")
int BPF_PROG(bfl_fentry, struct pt_regs *regs)
{
	return count_target(&bfl_enters);
}

SEC("fexit/__x64_sys_getppid")
int BPF_PROG(bfl_fexit, struct pt_regs *regs, long ret)
{
	return count_target(&bfl_exits);
}

SEC("tracepoint/syscalls/sys_enter_epoll_wait")
int bfl_tp_enter(void *ctx)
{
	return count_target(&bfl_enters);
}

SEC("tracepoint/syscalls/sys_exit_epoll_wait")
int bfl_tp_exit(void *ctx)
{
	return count_target(&bfl_exits);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
