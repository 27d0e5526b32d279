/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Copies of the user stack at flagged calls. The kernel's frame-pointer walk stops inside libc
 * on binaries built without frame pointers (nearly every distro package); a copy of the stack
 * and registers lets user space unwind it with the binaries' .eh_frame, as perf's
 * --call-graph dwarf does. For CPython 3.11 the thread's Python frames are read here too: they
 * live in the interpreter's heap, not on the C stack, and are gone once the call returns. */
#ifndef IOTRACE_USTACK_BPF_H
#define IOTRACE_USTACK_BPF_H

/* The thread's PyThreadState: the interpreter keeps one per thread in a list, with the
 * thread's kernel tid in native_thread_id. */
static __always_inline __u64 py_thread_state(const struct iot_py_layout *l, __u32 tid)
{
	__u64 interp = 0, ts = 0, ntid = 0;

	if (bpf_probe_read_user(&interp, sizeof(interp), (void *)(l->runtime + l->interp_head)) || !interp)
		return 0;
	if (bpf_probe_read_user(&ts, sizeof(ts), (void *)(interp + l->threads_head)))
		return 0;
	for (int i = 0; i < 128 && ts; i++) {
		if (bpf_probe_read_user(&ntid, sizeof(ntid), (void *)(ts + l->ts_native_tid)))
			return 0;
		if ((__u32)ntid == tid)
			return ts;
		if (bpf_probe_read_user(&ts, sizeof(ts), (void *)(ts + l->ts_next)))
			return 0;
	}
	return 0;
}

static __always_inline void copy_py_frames(struct iot_ustack_event *e, __u32 tgid, __u32 tid)
{
	const struct iot_py_layout *l = bpf_map_lookup_elem(&iot_py, &tgid);
	__u64 ts, cframe = 0, frame = 0;

	if (!l)
		return;
	ts = py_thread_state(l, tid);
	if (!ts) {
		e->py_status = IOT_PY_NO_THREAD;
		return;
	}
	e->py_status = IOT_PY_OK;
	if (bpf_probe_read_user(&cframe, sizeof(cframe), (void *)(ts + l->ts_cframe)) || !cframe)
		return;
	if (bpf_probe_read_user(&frame, sizeof(frame), (void *)(cframe + l->cf_current)))
		return;
	for (int i = 0; i < IOT_PY_FRAMES && frame; i++) {
		__u64 code = 0, instr = 0;
		__u8 entry = 0;

		if (bpf_probe_read_user(&code, sizeof(code), (void *)(frame + l->fr_code)) ||
		    bpf_probe_read_user(&instr, sizeof(instr), (void *)(frame + l->fr_prev_instr)))
			break;
		bpf_probe_read_user(&entry, sizeof(entry), (void *)(frame + l->fr_is_entry));
		e->py[i].code = code | (entry ? 1 : 0);
		e->py[i].instr = instr;
		e->py_count = i + 1;
		if (bpf_probe_read_user(&frame, sizeof(frame), (void *)(frame + l->fr_previous)))
			break;
	}
}

/* The stack from sp up to its top is mapped and was touched, but where the mapping ends (a
 * thread's stack ends a few KiB above a shallow sp, at its thread control block and then a
 * guard page) the program cannot tell cheaply. One byte is read at each following page until
 * one fails, then the readable part is copied at once: a failed 16 KiB copy would first copy
 * all that is readable and then fault, once per size tried. */
static __always_inline __u32 copy_stack(__u8 *dst, __u64 sp)
{
	__u32 len = 4096 - (sp & 4095);
	__u64 page = (sp & ~4095ull) + 4096;
	__u8 b;

	for (int i = 0; i < IOT_USTACK_BYTES / 4096 - 1; i++, page += 4096) {
		if (bpf_probe_read_user(&b, 1, (void *)page))
			break;
		len += 4096;
	}
	if (len > IOT_USTACK_BYTES)
		len = IOT_USTACK_BYTES;
	if (bpf_probe_read_user(dst, len, (void *)sp))
		return 0;
	return len;
}

static __always_inline void send_ustack(struct pt_regs *regs, const struct iot_flag_key *key, __u32 tgid)
{
	struct iot_ustack_event *e;

	e = bpf_ringbuf_reserve(&iot_ustacks, sizeof(*e), 0);
	if (!e) {
		count_loss(IOT_LOSS_USTACK);
		return;
	}
	e->hdr.type = IOT_EV_USTACK;
	e->hdr.size = sizeof(*e);
	e->tid = key->tid;
	e->tgid = tgid;
	e->key = *key;
	e->py_status = IOT_PY_NONE;
	e->py_count = 0;
	if (bpf_probe_read_kernel(e->regs, sizeof(e->regs), regs)) {
		bpf_ringbuf_discard(e, 0);
		count_loss(IOT_LOSS_USTACK);
		return;
	}
	e->len = copy_stack(e->data, BPF_CORE_READ(regs, sp));
	copy_py_frames(e, tgid, key->tid);
	/* User space polls at least every 100 ms; waking it for each copy costs the traced thread
	 * more than the copy. Wake it only once the buffer is half full. */
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&iot_ustacks, BPF_RB_AVAIL_DATA) > 2 * 1024 * 1024
				      ? BPF_RB_FORCE_WAKEUP
				      : BPF_RB_NO_WAKEUP);
}

#endif
