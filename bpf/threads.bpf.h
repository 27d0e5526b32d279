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
 * Blocked/preempted split of the calling thread's off-CPU time between two points. With
 * cfg_runq_from_task, a mark is (off-CPU total, the task's run_delay): the scheduler adds a wait
 * to run_delay when the task gets the CPU back, so while it runs both are current. Otherwise a
 * mark is (sleep total, run-queue total) from sched_switch and sched_wakeup.
 * direct: the program may use the BTF task pointer (tp_btf) instead of probe reads.
 */
static __always_inline __u64 run_delay_cur(bool direct)
{
	struct task_struct *task = NULL;

	if (!bpf_core_field_exists(task->sched_info))
		return 0;
	if (direct)
		return bpf_get_current_task_btf()->sched_info.run_delay;
	task = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(task, sched_info.run_delay);
}

static __always_inline void sched_mark(struct iot_thread *t, __u64 *off, __u64 *runq, bool direct)
{
	if (cfg_runq_from_task) {
		*off = t->offcpu_ns;
		*runq = run_delay_cur(direct);
	} else {
		*off = t->sleep_ns;
		*runq = t->runq_ns;
	}
}

static __always_inline void sched_since(struct iot_thread *t, __u64 off0, __u64 runq0, __u64 *sleep,
					__u64 *runq, bool direct)
{
	__u64 off, rq;

	if (!cfg_runq_from_task) {
		*sleep = t->sleep_ns - off0;
		*runq = t->runq_ns - runq0;
		return;
	}
	off = t->offcpu_ns - off0;
	rq = run_delay_cur(direct) - runq0;
	if ((__s64)rq < 0)
		rq = 0;
	*runq = rq;
	*sleep = off > rq ? off - rq : 0;
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
	if (cfg_runq_from_task)
		t->run_delay0 = run_delay_cur(false);
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
