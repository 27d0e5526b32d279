/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The loop watch (cfg_loop_watch): event-loop health without a program on every syscall.
 *
 * The full tracer hooks raw_syscalls, which puts every task on the host on the syscall slow path
 * and runs a program for each of their calls. A loop's health needs less: its waits, which end
 * and begin its iterations, and the moments a loop thread leaves the CPU asleep in the middle of
 * an iteration. Here only the multiplexers' own tracepoints (syscalls:sys_enter_epoll_wait and
 * the like) and sched_switch / sched_wakeup run programs, so the cost follows the waits and the
 * context switches, as off-CPU profilers' does, and an untraced process's other syscalls pay
 * nothing.
 *
 * At a loop thread's switch-out asleep inside an iteration, the call it sleeps in is its
 * registers' syscall number (orig_ax), its fd's kind is read from its fd table, and its user
 * stack is walked (it is current): the flagged-call site is the one the full tracer would name.
 * Consecutive sleeps at one site (one call that sleeps several times, or a run of calls) add up
 * to one call, closed when the thread sleeps elsewhere or enters its next wait; its off-CPU time
 * is what is judged against cfg_block_ns. A call that does not sleep costs the loop only CPU,
 * which the iteration's split (stalls) accounts for.
 */
#ifndef IOTRACE_LOOP_WATCH_BPF_H
#define IOTRACE_LOOP_WATCH_BPF_H

#define IOT_PF_EXITING 0x00000004 /* include/linux/sched.h */

/* The syscall a task's user registers say it is in; IOT_NR_FAULT outside any. */
static __always_inline long lw_syscall_of(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_arm64)
	long nr = BPF_CORE_READ(regs, syscallno);
#else
	long nr = BPF_CORE_READ(regs, orig_ax);
#endif
	return nr < 0 || nr >= IOT_MAX_SYSCALLS ? IOT_NR_FAULT : nr;
}

/* The open call becomes a flagged call when its sleeps took long enough. */
static __always_inline void lw_close_call(struct iot_thread *t)
{
	struct iot_flag_rec r = {.tid = t->tid, .nr = t->lw_call_nr, .fd_kind = t->lw_call_fd_kind,
				 .stack = t->lw_call_stack, .kind = IOT_FLAG_SLOW};
	__u64 lat = t->lw_call_ns;

	if (!t->lw_call_start_ns)
		return;
	if (cfg_runq_from_task) {
		/* the thread is current: its run_delay holds every wait for a CPU since the call began */
		__u64 rq = sub0(run_delay_cur(true), t->lw_call_rd0);

		t->lw_call_runq_ns = rq < lat ? rq : lat;
		t->lw_call_sleep_ns = lat - t->lw_call_runq_ns;
	}
	t->lw_call_start_ns = 0;
	t->lw_call_ns = 0;
	t->iter_sys_ns += lat;
	if (lat > t->iter_max_sys_ns) {
		t->iter_max_sys_ns = lat;
		t->iter_max_nr = t->lw_call_nr;
		t->iter_max_stack = t->lw_call_stack;
	}
	/* inside a resolver call: the DNS finding covers its calls, as in the full tracer */
	if (!cfg_block_ns || lat < cfg_block_ns || t->lw_call_in_dns)
		return;
	r.lat_ns = lat;
	r.sleep_ns = t->lw_call_sleep_ns;
	r.runq_ns = t->lw_call_runq_ns;
	r.sp_words = t->lw_sp_words;
	r.tgid = t->tgid;
	record_flag(&r); /* regs NULL: its stack was copied at the switch-out, when due */
}

/* A loop thread goes to sleep inside an iteration (prev is current). */
static __always_inline void lw_sleeps(void *ctx, struct task_struct *prev, struct iot_thread *t, __u64 now)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(prev);
	long nr = lw_syscall_of(regs);
	__u8 nonblock = 0, kind = IOT_FD_NONE;
	__s32 stack;

	if (nr != IOT_NR_FAULT && bit_set(cfg_fd_arg0, nr))
		kind = fd_kind_btf((int)PT_REGS_PARM1_CORE_SYSCALL(regs), &nonblock);
	user_stack_id(ctx, &stack);
	if (t->lw_call_start_ns && (t->lw_call_nr != nr || t->lw_call_stack != stack))
		lw_close_call(t);
	if (!t->lw_call_start_ns) {
		t->lw_call_start_ns = now;
		t->lw_call_sleep_ns = 0;
		t->lw_call_runq_ns = 0;
		t->lw_call_nr = nr;
		t->lw_call_stack = stack;
		t->lw_call_fd_kind = kind;
		t->lw_call_in_dns = t->dns_start_ns != 0;
		if (cfg_runq_from_task)
			t->lw_call_rd0 = run_delay_of(prev, true);
#if defined(__TARGET_ARCH_arm64)
		t->lw_sp_words[0] = BPF_CORE_READ(regs, regs[30]);
		bpf_probe_read_user(&t->lw_sp_words[1], sizeof(t->lw_sp_words) - sizeof(__u64),
				    (void *)PT_REGS_SP_CORE(regs));
#else
		bpf_probe_read_user(t->lw_sp_words, sizeof(t->lw_sp_words), (void *)PT_REGS_SP_CORE(regs));
#endif
	}
	t->lw_off_ns = now;
	/* The stack copy for DWARF unwinding must be taken now, while the thread is current, before
	 * anyone knows whether the sleep will be long: at a site the kernel already holds, on the
	 * full tracer's schedule; at a new one, at most once a second per thread (most sleeps of a
	 * loop thread inside an iteration are the blocking calls this is for). */
	if (cfg_ustack && stack >= 0) {
		struct iot_flag_key key = {.tid = t->tid, .stack_id = stack, .nr = nr, .fd_kind = kind,
					   .kind = IOT_FLAG_SLOW};
		struct iot_flag_val *v = bpf_map_lookup_elem(&iot_flagged, &key);

		/* copy_due()'s 2nd, 4th, 8th... occurrence counts flagged calls, which a site's
		 * short sleeps do not advance: here a known site is copied at most once a second */
		if (v && now - v->copy_ns >= 1000000000ull) {
			v->copy_ns = now;
			send_ustack(regs, &key, t->tgid);
		} else if (!v && now - t->lw_copy_ns >= 1000000000ull) {
			t->lw_copy_ns = now;
			send_ustack(regs, &key, t->tgid);
		}
	}
}

/* It runs again: the stretch off CPU is added to its open call. Its split into asleep and
 * waiting for a CPU comes from the task's run_delay when the call closes (cfg_runq_from_task),
 * else from the wakeup's time (iot_lw_wakeup_btf). */
static __always_inline void lw_wakes(struct iot_thread *t, __u64 now)
{
	__u64 off = t->lw_off_ns, ready = t->wakeup_ns > off ? t->wakeup_ns : now;

	t->lw_off_ns = 0;
	t->lw_call_ns += now - off;
	if (cfg_runq_from_task)
		return;
	t->lw_call_sleep_ns += ready - off;
	t->lw_call_runq_ns += now - ready;
}

/* The state a task leaves the CPU in, from the task itself: sched_switch's prev_state argument
 * exists only from Linux 5.18 (and task_struct.state was renamed __state in 5.14). */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int lw_task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

#define IOT_TASK_SLEEPS 0x0003 /* TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE */

static __always_inline void lw_switch(void *ctx, bool preempt, struct task_struct *prev,
				      struct task_struct *next)
{
	struct iot_thread *t;

	if (trace_stopped)
		return;
	/* Every context switch on the host comes here: only loop threads have a row, and with one
	 * target a compare is cheaper than two task-storage lookups. */
	if (cfg_one_tgid && prev->tgid != cfg_one_tgid && next->tgid != cfg_one_tgid)
		return;
	t = bpf_task_storage_get(&iot_tls, prev, 0, 0);
	/* Asleep only: a stopped, traced or frozen task is not blocked by its own call, and an
	 * exiting task's last switch is no sleep (and it has no user stack left to walk). */
	if (t && t->wait_exit_ns && t->sys_nr < 0 && !preempt && !t->lw_off_ns &&
	    (lw_task_state(prev) & IOT_TASK_SLEEPS) && !(prev->flags & IOT_PF_EXITING))
		lw_sleeps(ctx, prev, t, bpf_ktime_get_ns());
	t = bpf_task_storage_get(&iot_tls, next, 0, 0);
	if (t && t->lw_off_ns)
		lw_wakes(t, bpf_ktime_get_ns());
}

/* A multiplexer's wait begins: the iteration ends (its open call first). */
static __always_inline void lw_enter(long nr, __u64 a0, __u64 a1, __u64 a2, __u64 a3)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct iot_thread *t;
	__u64 now;

	if (!is_target(pid_tgid >> 32))
		return;
	now = bpf_ktime_get_ns();
	t = target_thread(pid_tgid, now, true);
	if (!t)
		return;
	t->sys_arg0 = a0;
	t->sys_arg1 = a1;
	t->sys_arg2 = a2;
	t->sys_arg3 = a3;
	t->sys_nonblock = 0;
	t->sys_fd_kind = bit_set(cfg_fd_arg0, nr) ? fd_kind((int)a0, &t->sys_nonblock) : IOT_FD_NONE;
	/* A one-fd poll or a select with no fds is a call inside the iteration, judged by its
	 * sleeps like any other: it is not followed to its exit. */
	if (!is_wait(t, nr))
		return;
	if (t->wait_exit_ns) {
		lw_close_call(t);
		end_iteration(t, tid, now, true);
	}
	t->sys_nr = nr;
	t->sys_start_ns = now;
}

/* The wait returned: counted in the thread's rows, and a new iteration begins. */
static __always_inline void lw_exit(long nr, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct iot_thread *t;
	__u64 now;

	if (trace_stopped)
		return;
	t = bpf_task_storage_get(&iot_tls, bpf_get_current_task_btf(), 0, 0);
	if (!t || t->sys_nr != nr)
		return;
	now = bpf_ktime_get_ns();
	t->sys_nr = -1;
	t->last_ns = now;
	count_call(t, tid, nr, now - t->sys_start_ns, ret);
	if (cfg_timeline)
		tl_wait(t, tid, now, now - t->sys_start_ns, nr, ret);
	begin_iteration(t, now, true);
}

#define IOT_LW_WAIT(name, arg3)                                                    \
	SEC("tracepoint/syscalls/sys_enter_" #name)                            \
	int iot_lw_enter_##name(struct trace_event_raw_sys_enter *ctx)         \
	{                                                                      \
		lw_enter(ctx->id, ctx->args[0], ctx->args[1], ctx->args[2], arg3);                       \
		return 0;                                                      \
	}                                                                      \
	SEC("tracepoint/syscalls/sys_exit_" #name)                             \
	int iot_lw_exit_##name(struct trace_event_raw_sys_exit *ctx)           \
	{                                                                      \
		lw_exit(ctx->id, ctx->ret);                                    \
		return 0;                                                      \
	}

/* A program may not read past its event's record (attaching fails with EACCES): poll has three
 * arguments. arm64 has neither epoll_wait, poll nor select: their programs fail to attach there
 * and are skipped (probes/tracer/attach.cpp). */
IOT_LW_WAIT(epoll_wait, ctx->args[3])
IOT_LW_WAIT(epoll_pwait, ctx->args[3])
IOT_LW_WAIT(epoll_pwait2, ctx->args[3])
IOT_LW_WAIT(poll, 0)
IOT_LW_WAIT(ppoll, ctx->args[3])
IOT_LW_WAIT(select, ctx->args[3])
IOT_LW_WAIT(pselect6, ctx->args[3])
IOT_LW_WAIT(io_uring_enter, ctx->args[3])

/* The same hooks on BPF trampolines, where the kernel allows fentry/fexit (probes/ tries them
 * first): a trampoline costs only the calls of the function it is on, where an enabled syscall
 * tracepoint puts every task on the host on the slower syscall path. The syscall wrappers take
 * the user registers; the syscall number is in them. */
#if defined(__TARGET_ARCH_arm64)
#define IOT_SYS_FN(name) "__arm64_sys_" #name
#else
#define IOT_SYS_FN(name) "__x64_sys_" #name
#endif

#define IOT_LW_TRAMP(name)                                                                   \
	SEC("fentry/" IOT_SYS_FN(name))                                                      \
	int BPF_PROG(iot_lw_fentry_##name, struct pt_regs *regs)                             \
	{                                                                                    \
		lw_enter(lw_syscall_of(regs), PT_REGS_PARM1_CORE_SYSCALL(regs),              \
			 PT_REGS_PARM2_CORE_SYSCALL(regs), PT_REGS_PARM3_CORE_SYSCALL(regs),  \
			 PT_REGS_PARM4_CORE_SYSCALL(regs));                                   \
		return 0;                                                                    \
	}                                                                                    \
	SEC("fexit/" IOT_SYS_FN(name))                                                       \
	int BPF_PROG(iot_lw_fexit_##name, struct pt_regs *regs, long ret)                    \
	{                                                                                    \
		lw_exit(lw_syscall_of(regs), ret);                                          \
		return 0;                                                                    \
	}

#if !defined(__TARGET_ARCH_arm64)
IOT_LW_TRAMP(epoll_wait)
IOT_LW_TRAMP(poll)
IOT_LW_TRAMP(select)
#endif
IOT_LW_TRAMP(epoll_pwait)
IOT_LW_TRAMP(epoll_pwait2)
IOT_LW_TRAMP(ppoll)
IOT_LW_TRAMP(pselect6)
IOT_LW_TRAMP(io_uring_enter)

SEC("tp_btf/sched_switch")
int BPF_PROG(iot_lw_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	lw_switch(ctx, preempt, prev, next);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(iot_lw_wakeup_btf, struct task_struct *p)
{
	struct iot_thread *t;

	if (trace_stopped)
		return 0;
	t = bpf_task_storage_get(&iot_tls, p, 0, 0);
	if (t && t->lw_off_ns)
		t->wakeup_ns = bpf_ktime_get_ns();
	return 0;
}

#endif
