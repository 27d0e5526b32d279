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

static __always_inline void count_sqe(struct io_kiocb *req)
{
	struct iot_thread *t = uring_thread();
	__u8 op;

	if (!t)
		return;
	op = BPF_CORE_READ(req, opcode);
	t->uring_sqes++;
	t->uring_ops[op & (IOT_URING_OPS - 1)]++;
}

static __always_inline void count_cqe(int res)
{
	struct iot_thread *t = uring_thread();

	if (!t)
		return;
	t->uring_cqes++;
	if (res < 0)
		t->uring_failed++;
}

/*
 * The submission and completion tracepoints changed their names and prototypes across
 * kernels. One program per form; probes/kernel/features.cpp reads the running kernel's
 * prototype (the btf_trace_* typedef) and loads only the one that matches:
 *   6.3+           io_uring_submit_req(req)
 *   6.0 - 6.2      io_uring_submit_sqe(req, force_nonblock)
 *   5.15 - 5.19    io_uring_submit_sqe(ctx, req, ...)     (req is a void pointer there)
 *   6.10+          io_uring_complete(ctx, req, cqe)
 *   5.19 - 6.9     io_uring_complete(ctx, req, user_data, res, cflags, extra1, extra2)
 *   5.13 - 5.18    io_uring_complete(ctx, user_data, res, cflags)
 * Fields are read with CO-RE probe reads, so a void pointer argument reads the same.
 */
SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(iot_ur_submit, struct io_kiocb *req)
{
	count_sqe(req);
	return 0;
}

SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(iot_ur_submit_sqe, struct io_kiocb *req)
{
	count_sqe(req);
	return 0;
}

SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(iot_ur_submit_sqe_ctx, void *uctx, struct io_kiocb *req)
{
	count_sqe(req);
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(iot_ur_complete, void *uctx, void *req, struct io_uring_cqe *cqe)
{
	count_cqe(BPF_CORE_READ(cqe, res));
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(iot_ur_complete_req_res, void *uctx, void *req, __u64 user_data, int res)
{
	count_cqe(res);
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(iot_ur_complete_res, void *uctx, __u64 user_data, int res)
{
	count_cqe(res);
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
