/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Timeline records (--timeline): one per loop iteration, per wait and per flagged call, and a
 * tick of a thread's counts at most every 100 ms of its calls. Every site tests cfg_timeline
 * first: read-only, so without --timeline the verifier removes the code and a syscall costs
 * what it did before. The records have their own ring buffer, so a busy timeline never takes
 * the room of iot_events' rare records nor shows in their loss count.
 */
#ifndef IOTRACE_TIMELINE_BPF_H
#define IOTRACE_TIMELINE_BPF_H

const volatile bool cfg_timeline = false;

#define IOT_TL_TICK_NS 100000000ull

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, IOT_TL_BYTES);
} iot_timeline SEC(".maps");

static __always_inline void *tl_reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&iot_timeline, size, 0);

	if (!e)
		count_loss(IOT_LOSS_TIMELINE);
	return e;
}

/* User space polls every 100 ms; waking it for each record would cost the traced thread more
 * than the record. Wake it only once the buffer is half full. */
static __always_inline void tl_submit(void *e)
{
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&iot_timeline, BPF_RB_AVAIL_DATA) > IOT_TL_BYTES / 2
				      ? BPF_RB_FORCE_WAKEUP
				      : BPF_RB_NO_WAKEUP);
}

/* A wait's or a flagged call's record, reserved and filled but for its kind's own fields. */
static __always_inline struct iot_tl_call *tl_call(__u32 type, __u32 tid, __u32 tgid, __u64 end, __u64 lat, long nr)
{
	struct iot_tl_call *e = tl_reserve(sizeof(*e));

	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	e->hdr.type = type;
	e->hdr.size = sizeof(*e);
	e->tid = tid;
	e->tgid = tgid;
	e->start_ns = end - lat;
	e->dur_ns = lat;
	e->nr = nr;
	e->stack = -1;
	return e;
}

static __always_inline void tl_wait(struct iot_thread *t, __u32 tid, __u64 now, __u64 lat, long nr, long ret)
{
	struct iot_tl_call *e;

	t->tl_wait_ret = ret;
	t->tl_waits++;
	if (ret > 0)
		t->tl_events += ret;
	e = tl_call(IOT_TL_WAIT, tid, t->tgid, now, lat, nr);
	if (!e)
		return;
	e->ret = ret;
	tl_submit(e);
}

/* At a syscall's return: counts it, and sends the tick once 100 ms have passed since the last. */
static __always_inline void tl_tick(struct iot_thread *t, __u32 tid, __u64 now, bool direct)
{
	struct iot_tl_tick *e;
	__u64 sleep = 0, runq = 0, cpu = 0;

	t->tl_calls++;
	if (t->tl_tick_ns && now - t->tl_tick_ns < IOT_TL_TICK_NS)
		return;
	if (t->tl_tick_ns) {
		sched_since(t, t->tl_sched_a, t->tl_sched_b, t->tl_sched_c, now - t->tl_tick_ns, &sleep, &runq,
			    &cpu, direct);
		e = tl_reserve(sizeof(*e));
		if (e) {
			e->hdr.type = IOT_TL_TICK;
			e->hdr.size = sizeof(*e);
			e->tid = tid;
			e->tgid = t->tgid;
			e->start_ns = t->tl_tick_ns;
			e->dur_ns = now - t->tl_tick_ns;
			e->calls = t->tl_calls;
			e->waits = t->tl_waits;
			e->events = t->tl_events;
			e->runq_ns = runq;
			tl_submit(e);
		}
	}
	t->tl_tick_ns = now;
	t->tl_calls = 0;
	t->tl_waits = 0;
	t->tl_events = 0;
	sched_mark(t, &t->tl_sched_a, &t->tl_sched_b, &t->tl_sched_c, direct);
}

#endif
