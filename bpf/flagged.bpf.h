/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Flagged calls on event-loop threads, aggregated in the kernel by call site (thread, call, fd
 * kind, kind of flag, user stack). Only flagged calls pay for a stack walk. */
#ifndef IOTRACE_FLAGGED_BPF_H
#define IOTRACE_FLAGGED_BPF_H

struct iot_flag_rec {
	__u32 tid;
	__s32 stack;
	__u16 nr;
	__u8 fd_kind;
	__u8 kind;
	__u64 lat_ns;
	__u64 sleep_ns;
	__u64 runq_ns;
	__u64 queued;
	const __u64 *sp_words; /* may be NULL */
	struct pt_regs *regs;  /* the user registers at the call: copy its stack when due */
	__u32 tgid;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iot_flag_val);
} iot_zflag SEC(".maps");

static __always_inline void user_stack_id(void *ctx, __s32 *stack)
{
	*stack = bpf_get_stackid(ctx, &iot_stacks, BPF_F_USER_STACK);
	if (*stack < 0)
		count_loss(IOT_LOSS_STACK);
}

/* A new call site is copied; then at its 2nd, 4th, 8th... occurrence and at most once a
 * second, so that sites which the frame-pointer walk cannot tell apart (one libc frame) are
 * sampled too, at a bounded cost. */
static __always_inline bool copy_due(struct iot_flag_val *v)
{
	__u64 now;

	if (!(v->count & (v->count - 1)))
		return true;
	now = bpf_ktime_get_ns();
	return now - v->copy_ns >= 1000000000ull;
}

/* Every flagged call on the timeline, the ones whose site found no room in iot_flagged too. */
static __always_inline void tl_flag(struct iot_flag_rec *r)
{
	struct iot_tl_call *e = tl_call(IOT_TL_FLAG, r->tid, r->tgid, bpf_ktime_get_ns(), r->lat_ns, r->nr);

	if (!e)
		return;
	e->sleep_ns = r->sleep_ns;
	e->runq_ns = r->runq_ns;
	e->stack = r->stack;
	e->kind = r->kind;
	e->fd_kind = r->fd_kind;
	tl_submit(e);
}

static __always_inline void record_flag(struct iot_flag_rec *r)
{
	struct iot_flag_key key = {};
	struct iot_flag_val *v;
	__u32 zero = 0;

	if (cfg_timeline)
		tl_flag(r);

	key.tid = r->tid;
	key.stack_id = r->stack;
	key.nr = r->nr;
	key.fd_kind = r->fd_kind;
	key.kind = r->kind;
	v = bpf_map_lookup_elem(&iot_flagged, &key);
	if (!v) {
		struct iot_flag_val *z = bpf_map_lookup_elem(&iot_zflag, &zero);
		if (!z)
			return;
		if (bpf_map_update_elem(&iot_flagged, &key, z, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&iot_flagged, &key)) {
			count_loss(IOT_LOSS_FLAGGED_FULL);
			return;
		}
		v = bpf_map_lookup_elem(&iot_flagged, &key);
		if (!v)
			return;
		if (r->sp_words)
			bpf_probe_read_kernel(v->sp_words, sizeof(v->sp_words), r->sp_words);
	}
	v->count++;
	v->total_ns += r->lat_ns;
	if (r->lat_ns > v->max_ns)
		v->max_ns = r->lat_ns;
	v->sleep_ns += r->sleep_ns;
	v->runq_ns += r->runq_ns;
	v->queued_bytes += r->queued;
	v->hist[log2_slot(r->lat_ns)]++;
	/* a site without a stack id holds calls from any number of stacks: a copy would name one */
	if (cfg_ustack && r->regs && key.stack_id >= 0 && copy_due(v)) {
		v->copy_ns = bpf_ktime_get_ns();
		send_ustack(r->regs, &key, r->tgid);
	}
}

#endif
