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

static __always_inline void record_flag(struct iot_flag_rec *r)
{
	struct iot_flag_key key = {};
	struct iot_flag_val *v;
	__u32 zero = 0;

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
}

#endif
