/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Scheduler accounting for target threads: on-CPU time, sleep (blocked) and run-queue delay,
 * voluntary and involuntary switches. These split a slow call into "blocked" and "preempted".
 */
#ifndef IOTRACE_SCHED_BPF_H
#define IOTRACE_SCHED_BPF_H

static __always_inline void lw_close_call(struct iot_thread *t); /* loop_watch.bpf.h */

/* direct: prev and next are BTF pointers (tp_btf) and can be read with plain loads. */
static __always_inline void on_switch(bool preempt, struct task_struct *prev,
				      struct task_struct *next, unsigned int prev_state, bool direct)
{
	/* Every context switch on the host comes here: filter before any other work. */
	bool prev_t = is_target(direct ? prev->tgid : BPF_CORE_READ(prev, tgid));
	bool next_t = is_target(direct ? next->tgid : BPF_CORE_READ(next, tgid));
	__u64 now;
	__u32 tid;
	struct iot_thread *t;

	if (!prev_t && !next_t)
		return;
	now = bpf_ktime_get_ns();
	tid = BPF_CORE_READ(prev, pid);
	t = prev_t ? thread_of(prev, tid, direct) : NULL;

	if (t) {
		if (t->oncpu_since_ns)
			t->oncpu_ns += now - t->oncpu_since_ns;
		t->oncpu_since_ns = 0;
		t->offcpu_since_ns = now;
		/* prev_state 0 (TASK_RUNNING) or a preemption: still runnable */
		t->out_sleeping = !preempt && prev_state != 0;
		if (t->out_sleeping)
			t->vol_switches++;
		else
			t->invol_switches++;
		if (cfg_runq_from_task) {
			/* prev is still current here: its totals are consistent (see sched_mark) */
			__u64 cpu;

			sched_since(t, 0, t->run_delay0, 0, 0, &t->sleep_ns, &t->runq_ns, &cpu, direct);
		}
	}
	tid = BPF_CORE_READ(next, pid);
	t = next_t ? thread_of(next, tid, direct) : NULL;
	if (t) {
		if (t->offcpu_since_ns && cfg_runq_from_task) {
			t->offcpu_ns += now - t->offcpu_since_ns;
		} else if (t->offcpu_since_ns) {
			__u64 ready = t->offcpu_since_ns;
			if (t->out_sleeping) {
				ready = t->wakeup_ns > t->offcpu_since_ns ? t->wakeup_ns : now;
				t->sleep_ns += ready - t->offcpu_since_ns;
			}
			t->runq_ns += now - ready;
		}
		t->offcpu_since_ns = 0;
		t->oncpu_since_ns = now;
	}
}

static __always_inline void on_wakeup(struct task_struct *p, bool direct)
{
	__u32 tid;
	struct iot_thread *t;

	if (!is_target(direct ? p->tgid : BPF_CORE_READ(p, tgid)))
		return;
	tid = BPF_CORE_READ(p, pid);
	t = thread_of(p, tid, direct);
	if (t)
		t->wakeup_ns = bpf_ktime_get_ns();
}

static __always_inline void on_exit(struct task_struct *task, bool direct)
{
	__u32 tid = BPF_CORE_READ(task, pid);
	struct iot_thread *t = thread_of(task, tid, direct);

	if (t) {
		__u64 cpu;

		t->flags |= IOT_THR_EXITED;
		t->last_ns = bpf_ktime_get_ns();
		/* the loop watch's call in progress when a loop thread leaves between waits */
		if (cfg_loop_watch && direct)
			lw_close_call(t);
		/* The task is current and will not be seen switching out again as a target: close
		 * its stretch on CPU here, and bring its split up to date. */
		if (t->oncpu_since_ns) {
			t->oncpu_ns += t->last_ns - t->oncpu_since_ns;
			t->oncpu_since_ns = 0;
		}
		if (cfg_sched_from_task && direct)
			sched_totals(t, task, t->last_ns);
		else if (cfg_runq_from_task)
			sched_since(t, 0, t->run_delay0, 0, 0, &t->sleep_ns, &t->runq_ns, &cpu, direct);
		/* A loop leaving between waits: its last iteration ends here, not at a next wait. */
		if (cfg_timeline && t->wait_exit_ns && !(t->sys_nr >= 0 && is_wait(t, t->sys_nr)))
			tl_iteration(t, tid, t->last_ns,
				     cfg_stall_ns && t->last_ns - t->wait_exit_ns >= cfg_stall_ns, direct);
		/* task storage is freed with the task: keep the row */
		if (direct) {
			struct iot_exited_key key = {.tid = tid, .first_ns = t->first_ns};

			if (bpf_map_update_elem(&iot_exited, &key, t, BPF_ANY))
				count_loss(IOT_LOSS_THREADS_FULL);
		}
	}
	/* The last thread of a process: its pid may be reused at once, and a new process with
	 * that pid must not be counted as the target (signal->live reaches 0 before this
	 * tracepoint, on every kernel with it). */
	if (BPF_CORE_READ(task, signal, live.counter) == 0) {
		__u32 tgid = BPF_CORE_READ(task, tgid);
		__u8 *v;

		if (cfg_one_tgid) {
			if (tgid == cfg_one_tgid)
				one_tgid_gone = 1;
			return;
		}
		v = bpf_map_lookup_elem(&iot_targets, &tgid);
		if (v)
			*v = IOT_TARGET_GONE;
	}
}

/* With --follow-children, new processes of a target become targets at fork. */
static __always_inline void on_fork(struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 cpid = BPF_CORE_READ(child, pid);
	__u8 one = 1;

	if (!cfg_follow_children || cpid != BPF_CORE_READ(child, tgid) || !is_target(ptgid))
		return;
	bpf_map_update_elem(&iot_targets, &cpid, &one, BPF_ANY); /* IOT_TARGET_LIVE */
}

SEC("tp_btf/sched_switch")
int BPF_PROG(iot_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	on_switch(preempt, prev, next, prev_state, true);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(iot_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	on_switch(preempt, prev, next, prev_state, false);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(iot_wakeup_btf, struct task_struct *p)
{
	on_wakeup(p, true);
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(iot_wakeup_raw, struct task_struct *p)
{
	on_wakeup(p, false);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(iot_exit_task_btf, struct task_struct *task)
{
	on_exit(task, true);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(iot_exit_task_raw, struct task_struct *task)
{
	on_exit(task, false);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(iot_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent, child);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(iot_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent, child);
	return 0;
}

/* Live threads for user space: one record (struct iot_thread, which starts with the tid) per
 * task that has a row in iot_tls. */
SEC("iter/task")
int iot_dump_threads(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct iot_thread *t;

	if (!task)
		return 0;
	t = bpf_task_storage_get(&iot_tls, task, 0, 0);
	if (!t)
		return 0;
	if (cfg_sched_from_task && !(t->flags & IOT_THR_EXITED))
		sched_totals(t, task, bpf_ktime_get_ns());
	bpf_seq_write(ctx->meta->seq, t, sizeof(*t));
	return 0;
}

#endif
