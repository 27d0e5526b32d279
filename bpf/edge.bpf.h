/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Edge-triggered fds that were not drained. With EPOLLET the kernel reports an fd once per
 * arrival; a loop that reads some of the data and waits again never hears of the rest. Bytes
 * that arrive after the last read raise a new edge and are not lost, so the evidence is taken
 * when each read returns: the receive queue still held data then, and the loop waited again
 * without another read (one that drains it, or returns EAGAIN). Those bytes, still queued when
 * the wait begins, are a lost wakeup.
 */
#ifndef IOTRACE_EDGE_BPF_H
#define IOTRACE_EDGE_BPF_H

/* Sockets registered with EPOLLET in some epoll instance of a target: (tgid, fd) -> 1.
 * Filled from epoll_ctl, and by probes/ from /proc/PID/fdinfo for registrations made before
 * the trace started. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct iot_etfd_key);
	__type(value, __u8);
} iot_etfds SEC(".maps");

/* Set once any ET registration is known (here, or by probes/ from fdinfo): until then, reads
 * on loop threads skip the iot_etfds lookup. Most loops are level-triggered. */
volatile __u32 et_seen = 0;

static __always_inline void note_et_registration(struct iot_thread *t, __u32 op, __u32 events)
{
	struct iot_etfd_key key = {.tgid = t->tgid, .fd = (__s32)t->sys_arg2};
	__u8 one = 1;

	if (op != IOT_EPOLL_CTL_DEL && (events & IOT_EPOLLET)) {
		bpf_map_update_elem(&iot_etfds, &key, &one, BPF_ANY);
		et_seen = 1;
	} else if (et_seen) {
		bpf_map_delete_elem(&iot_etfds, &key);
	}
}

static __always_inline __u64 sock_unread(struct file *f);

/* Called at the exit of a read-type call on a socket by a loop thread: a read that returned
 * data while more was queued leaves the fd pending; any other read (EAGAIN, EOF, a read that
 * emptied the queue) clears it. */
static __always_inline void note_et_read(struct iot_thread *t, long nr, long ret)
{
	struct iot_etfd_key key = {.tgid = t->tgid, .fd = (__s32)t->sys_arg0};
	int free_slot = -1, i;
	__u64 left = 0;

	if (!et_seen || !bpf_map_lookup_elem(&iot_etfds, &key))
		return;
	if (ret > 0)
		left = sock_unread(fd_file(key.fd));
	for (i = 0; i < IOT_ET_SLOTS; i++) {
		if (t->et_fd[i] == key.fd && (t->et_pending[i] || left)) {
			t->et_pending[i] = left > 0;
			t->et_left[i] = left > 0xffffffffULL ? 0xffffffffU : (__u32)left;
			t->et_nr[i] = nr;
			return;
		}
		if (free_slot < 0 && !t->et_pending[i])
			free_slot = i;
	}
	if (!left || free_slot < 0)
		return;
	/* the verifier wants the index bounded on this path too */
	i = free_slot & (IOT_ET_SLOTS - 1);
	t->et_fd[i] = key.fd;
	t->et_nr[i] = nr;
	t->et_kind[i] = t->sys_fd_kind;
	t->et_pending[i] = 1;
	t->et_left[i] = left > 0xffffffffULL ? 0xffffffffU : (__u32)left;
}

static __always_inline __u64 sock_unread(struct file *f)
{
	struct socket *sock;
	struct sock *sk;

	if (!f)
		return 0;
	sock = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) == 6 /* IPPROTO_TCP */ &&
	    BPF_CORE_READ(sk, sk_type) == IOT_SOCK_STREAM) {
		struct tcp_sock *tp = (struct tcp_sock *)sk;
		return (__u32)(BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq));
	}
	return BPF_CORE_READ(sk, sk_receive_queue.qlen);
}

/* At a wait's entry: any ET socket whose last read left data queued, still unread now? */
static __always_inline void check_et_drained(void *ctx, struct iot_thread *t, __u32 tid)
{
	int i;

	for (i = 0; i < IOT_ET_SLOTS; i++) {
		__u64 left;

		if (!t->et_pending[i])
			continue;
		t->et_pending[i] = 0;
		left = sock_unread(fd_file(t->et_fd[i]));
		if (left) {
			/* what was already queued when the last read returned */
			struct iot_flag_rec r = {
				.tid = tid, .nr = t->et_nr[i], .fd_kind = t->et_kind[i],
				.kind = IOT_FLAG_ET, .queued = left < t->et_left[i] ? left : t->et_left[i],
				.tgid = t->tgid, /* for the timeline */
			};
			t->et_undrained++;
			user_stack_id(ctx, &r.stack);
			record_flag(&r);
		}
	}
}

#endif
