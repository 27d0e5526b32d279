/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * io_uring tracepoints. They run in the context of whoever did the work: the submitter, the
 * ring's SQPOLL thread or an io-wq worker, all threads of the owning process. Their names and
 * arguments change across kernels, so probes/ switches off the ones this kernel lacks.
 */
#ifndef IOTRACE_IO_URING_BPF_H
#define IOTRACE_IO_URING_BPF_H

#define IOT_IORING_SETUP_SQPOLL (1u << 1)

/* These are tp_btf programs even when the syscall programs are raw_tp ones (a kernel without
 * what those need): the thread rows are then in iot_threads, and iot_tls does not exist
 * (libbpf poisons the branch that uses it, which the verifier then never reaches). */
static __always_inline struct iot_thread *uring_thread(void)
{
	__u64 now = bpf_ktime_get_ns();

	return cfg_tls ? current_thread(now, true) : current_thread(now, false);
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(iot_ur_submit, struct io_kiocb *req)
{
	struct iot_thread *t = uring_thread();
	__u8 op;

	if (!t)
		return 0;
	op = BPF_CORE_READ(req, opcode);
	t->uring_sqes++;
	t->uring_ops[op & (IOT_URING_OPS - 1)]++;
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(iot_ur_complete, void *uctx, void *req, struct io_uring_cqe *cqe)
{
	struct iot_thread *t = uring_thread();

	if (!t)
		return 0;
	t->uring_cqes++;
	if (BPF_CORE_READ(cqe, res) < 0)
		t->uring_failed++;
	return 0;
}

SEC("tp_btf/io_uring_queue_async_work")
int BPF_PROG(iot_ur_punt, struct io_kiocb *req, int rw)
{
	struct iot_thread *t = uring_thread();

	if (t)
		t->uring_punts++;
	return 0;
}

SEC("tp_btf/io_uring_cqe_overflow")
int BPF_PROG(iot_ur_overflow)
{
	struct iot_thread *t = uring_thread();

	if (t)
		t->uring_overflows++;
	return 0;
}

SEC("tp_btf/io_uring_link")
int BPF_PROG(iot_ur_link)
{
	struct iot_thread *t = uring_thread();

	if (t)
		t->uring_links++;
	return 0;
}

SEC("tp_btf/io_uring_create")
int BPF_PROG(iot_ur_create, int fd, void *uctx, __u32 sq_entries, __u32 cq_entries, __u32 flags)
{
	struct iot_thread *t = uring_thread();

	if (!t)
		return 0;
	t->uring_rings++;
	if (flags & IOT_IORING_SETUP_SQPOLL)
		t->uring_rings_sqpoll++;
	return 0;
}

#endif
