/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Synchronous name resolution: uprobes on the target's libc resolver functions (attached by
 * probes/ to the libc each target maps; the attach cookie is the IOT_FN_* index). A call
 * made on an event-loop thread is flagged with its duration and the caller's stack.
 * The resolver polls its UDP socket internally; those waits are not loop iterations.
 */
#ifndef IOTRACE_DNS_BPF_H
#define IOTRACE_DNS_BPF_H

static __always_inline int dns_enter(struct pt_regs *ctx, bool direct)
{
	__u64 now = bpf_ktime_get_ns();
	struct iot_thread *t = current_thread(now, direct);

	if (!t || t->dns_depth++ > 0)
		return 0; /* only the outermost resolver call is timed */
	t->dns_start_ns = now;
	t->dns_fn = (__s32)bpf_get_attach_cookie(ctx);
	sched_mark(t, &t->dns_sched_a, &t->dns_sched_b, &t->dns_sched_c, direct);
	t->dns_stack = -1;
	if (t->wait_exit_ns) {
		user_stack_id(ctx, &t->dns_stack);
		/* at a function's entry, [sp] is exactly the caller's return address */
		bpf_probe_read_user(t->dns_sp_words, sizeof(t->dns_sp_words),
				    (void *)PT_REGS_SP(ctx));
	}
	return 0;
}

static __always_inline int dns_exit(struct pt_regs *ctx, bool direct)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct iot_thread *t = thread_of_current(tid, direct);

	if (!t || !t->dns_start_ns)
		return 0;
	if (t->dns_depth > 0 && --t->dns_depth > 0)
		return 0;
	if (t->wait_exit_ns) {
		struct iot_flag_rec r = {
			.tid = tid,
			.stack = t->dns_stack,
			.nr = IOT_NR_FN_BASE + (t->dns_fn & 0xff),
			.kind = IOT_FLAG_DNS,
			.lat_ns = now - t->dns_start_ns,
			.sp_words = t->dns_sp_words,
			/* at the return: a copy unwinds from the caller of the resolver function */
			.regs = ctx,
			.tgid = t->tgid,
		};
		__u64 cpu;

		sched_since(t, t->dns_sched_a, t->dns_sched_b, t->dns_sched_c, now - t->dns_start_ns, &r.sleep_ns,
			    &r.runq_ns, &cpu, direct);
		record_flag(&r);
	}
	t->dns_start_ns = 0;
	return 0;
}

/* Twins like the tracepoint programs: _btf with the tp_btf programs (task storage), _raw with raw_tp. */
SEC("uprobe")
int BPF_KPROBE(iot_dns_enter_btf)
{
	return dns_enter(ctx, true);
}

SEC("uretprobe")
int BPF_KRETPROBE(iot_dns_exit_btf)
{
	return dns_exit(ctx, true);
}

SEC("uprobe")
int BPF_KPROBE(iot_dns_enter_raw)
{
	return dns_enter(ctx, false);
}

SEC("uretprobe")
int BPF_KRETPROBE(iot_dns_exit_raw)
{
	return dns_exit(ctx, false);
}

/* connect()/sendto() of a UDP socket to port 53: a resolver at work, whichever library. */
static __always_inline void note_udp53(struct iot_thread *t, __u64 addr)
{
	__u16 sa[2] = {};

	if (t->sys_fd_kind != IOT_FD_UDP || !addr)
		return;
	bpf_probe_read_user(sa, sizeof(sa), (void *)addr);
	if ((sa[0] == IOT_AF_INET || sa[0] == IOT_AF_INET6) && sa[1] == __builtin_bswap16(53))
		t->dns_udp53++;
}

#endif
