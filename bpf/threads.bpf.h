/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-thread state, created on a target thread's first event. tp_btf programs keep it in
 * task-local storage (iot_tls): found from the task pointer in a few loads, where a hash lookup
 * by tid hashes and walks a bucket twice per syscall. When a thread exits its row is copied to
 * iot_threads, since the storage goes with the task; user space reads live threads with the
 * iot_dump_threads iterator. raw_tp programs (older kernels) use iot_threads for every thread.
 * direct: the program is a tp_btf one (BTF pointers, task storage).
 */
#ifndef IOTRACE_THREADS_BPF_H
#define IOTRACE_THREADS_BPF_H

#define IOT_PF_IO_WORKER 0x00000010 /* include/linux/sched.h */

/* Never written: the template new entries are copied from (too big for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iot_thread);
} iot_zthread SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iot_stats);
} iot_zstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct iot_thread);
} iot_tls SEC(".maps");

/* The row of a task's thread, without creating it. */
static __always_inline struct iot_thread *thread_of(struct task_struct *task, __u32 tid, bool direct)
{
	if (direct)
		return bpf_task_storage_get(&iot_tls, task, 0, 0);
	return bpf_map_lookup_elem(&iot_threads, &tid);
}

static __always_inline struct iot_thread *thread_of_current(__u32 tid, bool direct)
{
	return thread_of(direct ? bpf_get_current_task_btf() : NULL, tid, direct);
}

/*
 * Where a thread's time goes (on CPU, asleep, waiting for a CPU), three ways:
 * - cfg_sched_from_task (tp_btf, CONFIG_SCHED_INFO): the scheduler's own per-task counters,
 *   se.sum_exec_runtime and sched_info.run_delay, read when needed; asleep is the rest of the
 *   wall time. No program runs on context switches at all.
 * - cfg_runq_from_task: sched_switch times on- and off-CPU stretches; run_delay splits off-CPU.
 * - neither: sched_switch and sched_wakeup time everything.
 * A mark is two cumulative values taken while the thread runs; sched_since() turns two marks
 * and the wall time between them into asleep and run-queue time. While a task runs, the
 * scheduler has already added its last wait to run_delay; sum_exec_runtime lags by the current
 * stretch on CPU (at most a tick), which the split counts as CPU only up to that lag.
 * direct: the program may use BTF pointers (tp_btf) instead of probe reads.
 */
static __always_inline __u64 run_delay_of(struct task_struct *task, bool direct)
{
	if (!bpf_core_field_exists(task->sched_info))
		return 0;
	if (direct)
		return task->sched_info.run_delay;
	return BPF_CORE_READ(task, sched_info.run_delay);
}

static __always_inline struct task_struct *current_task(bool direct)
{
	return direct ? bpf_get_current_task_btf() : (struct task_struct *)bpf_get_current_task();
}

static __always_inline __u64 run_delay_cur(bool direct)
{
	return run_delay_of(current_task(direct), direct);
}

static __always_inline void sched_mark(struct iot_thread *t, __u64 *a, __u64 *b, __u64 *c,
				       bool direct)
{
	if (cfg_sched_from_task) {
		struct task_struct *me = current_task(direct);

		*a = direct ? me->se.sum_exec_runtime : 0;
		*b = run_delay_of(me, direct);
		*c = direct ? me->nvcsw : 0;
	} else if (cfg_runq_from_task) {
		*a = t->offcpu_ns;
		*b = run_delay_cur(direct);
	} else {
		*a = t->sleep_ns;
		*b = t->runq_ns;
	}
}

static __always_inline __u64 sub0(__u64 x, __u64 y)
{
	return x > y ? x - y : 0;
}

/* From mark (a0, b0, c0), wall ns ago, to now: asleep, waiting for a CPU and (when known) on
 * CPU. Sleeping takes a voluntary switch: with none since the mark, nothing was asleep, and
 * the CPU time is exact (sum_exec_runtime may lag by the stretch in progress). */
static __always_inline void sched_since(struct iot_thread *t, __u64 a0, __u64 b0, __u64 c0,
					__u64 wall, __u64 *sleep, __u64 *runq, __u64 *cpu,
					bool direct)
{
	__u64 c, rq;

	if (cfg_sched_from_task) {
		struct task_struct *me = current_task(direct);

		rq = sub0(run_delay_of(me, direct), b0);
		if (direct && me->nvcsw == c0) {
			c = sub0(wall, rq);
		} else {
			c = sub0(direct ? me->se.sum_exec_runtime : 0, a0);
		}
		*cpu = c;
		*runq = rq;
		*sleep = sub0(wall, c + rq);
	} else if (cfg_runq_from_task) {
		rq = sub0(run_delay_cur(direct), b0);
		*runq = rq;
		*sleep = sub0(sub0(t->offcpu_ns, a0), rq);
	} else {
		*sleep = t->sleep_ns - a0;
		*runq = t->runq_ns - b0;
	}
}

/* With cfg_sched_from_task: a thread's totals since first sight, from its task. */
static __always_inline void sched_totals(struct iot_thread *t, struct task_struct *task, __u64 now)
{
	__u64 wall = sub0(now, t->first_ns);

	t->oncpu_ns = sub0(task->se.sum_exec_runtime, t->sum_exec0);
	t->oncpu_since_ns = 0;
	t->runq_ns = sub0(run_delay_of(task, true), t->run_delay0);
	t->sleep_ns = sub0(wall, t->oncpu_ns + t->runq_ns);
	t->vol_switches = sub0(task->nvcsw, t->nvcsw0);
	t->invol_switches = sub0(task->nivcsw, t->nivcsw0);
}

static __always_inline struct iot_thread *new_thread(__u32 tid, __u32 tgid, __u64 now, bool direct)
{
	__u32 zero = 0;
	struct iot_thread *z, *t;
	struct task_struct *task;

	if (direct) {
		t = bpf_task_storage_get(&iot_tls, bpf_get_current_task_btf(), 0,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!t) {
			count_loss(IOT_LOSS_THREADS_FULL);
			return NULL;
		}
	} else {
		z = bpf_map_lookup_elem(&iot_zthread, &zero);
		if (!z)
			return NULL;
		if (bpf_map_update_elem(&iot_threads, &tid, z, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&iot_threads, &tid)) {
			count_loss(IOT_LOSS_THREADS_FULL);
			return NULL;
		}
		t = bpf_map_lookup_elem(&iot_threads, &tid);
		if (!t)
			return NULL;
	}
	t->tid = tid;
	t->tgid = tgid;
	t->sys_nr = -1;
	t->iter_max_nr = -1;
	t->iter_max_stack = -1;
	t->dns_fn = -1;
	t->dns_stack = -1;
	t->first_ns = now;
	t->oncpu_since_ns = now; /* it is running: it made this call */
	bpf_get_current_comm(t->comm, sizeof(t->comm));
	task = (struct task_struct *)bpf_get_current_task();
	if (cfg_runq_from_task || cfg_sched_from_task)
		t->run_delay0 = run_delay_cur(direct);
	if (cfg_sched_from_task && direct) {
		struct task_struct *me = bpf_get_current_task_btf();

		t->sum_exec0 = me->se.sum_exec_runtime;
		t->nvcsw0 = me->nvcsw;
		t->nivcsw0 = me->nivcsw;
	}
	if (BPF_CORE_READ(task, flags) & IOT_PF_IO_WORKER)
		t->flags |= IOT_THR_IO_WORKER;
	return t;
}

/* The entry of a thread known to belong to a target, created on first sight. */
static __always_inline struct iot_thread *target_thread(__u64 pid_tgid, __u64 now, bool direct)
{
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	struct iot_thread *t = thread_of_current(tid, direct);

	return t ? t : new_thread(tid, tgid, now, direct);
}

/* The current thread's entry when it belongs to a target, created on first sight. */
static __always_inline struct iot_thread *current_thread(__u64 now, bool direct)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!is_target(pid_tgid >> 32))
		return NULL;
	return target_thread(pid_tgid, now, direct);
}

/* CPU time so far, including the stint in progress. */
static __always_inline __u64 cpu_now(struct iot_thread *t, __u64 now)
{
	return t->oncpu_ns + (t->oncpu_since_ns ? now - t->oncpu_since_ns : 0);
}

#endif
