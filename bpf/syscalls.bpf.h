/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sys_enter/sys_exit: per-thread, per-syscall, per-fd-kind accounting in iot_stats, plus the
 * event-loop checks (stalls, flagged calls) for threads that wait in a multiplexer.
 */
#ifndef IOTRACE_SYSCALLS_BPF_H
#define IOTRACE_SYSCALLS_BPF_H

#define IOT_EAGAIN 11
#define IOT_EINTR 4
#define IOT_EPOLL_CTL_ADD 1
#define IOT_EPOLL_CTL_DEL 2
#define IOT_EPOLL_CTL_MOD 3
#define IOT_EPOLLEXCLUSIVE (1u << 28)
#define IOT_EPOLLONESHOT (1u << 30)
#define IOT_EPOLLET (1u << 31)
#define IOT_IORING_ENTER_GETEVENTS 1u
#define IOT_IORING_ENTER_SQ_WAKEUP 2u
#define IOT_FUTEX_CMD_MASK 0x7f /* ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME) */
#define IOT_FUTEX_WAIT 0
#define IOT_FUTEX_LOCK_PI 6
#define IOT_FUTEX_WAIT_BITSET 9
#define IOT_FUTEX_LOCK_PI2 13

#include "edge.bpf.h"
#include "dns.bpf.h"

/* Which argument (1-based) carries the call's size: nfds, maxevents, to_submit, nr iocbs. */
const volatile __u8 cfg_size_arg[IOT_MAX_SYSCALLS] = {};

static __always_inline __u8 size_arg_of(long nr)
{
	__u64 n = (__u64)nr;

	asm volatile("" : "+r"(n));
	if (n >= IOT_MAX_SYSCALLS)
		return 0;
	return cfg_size_arg[n];
}

static __always_inline __u64 sys_arg(struct iot_thread *t, __u32 i)
{
	switch (i) {
	case 1: return t->sys_arg0;
	case 2: return t->sys_arg1;
	case 3: return t->sys_arg2;
	case 4: return t->sys_arg3;
	}
	return 0;
}

static __always_inline bool is_wait(struct iot_thread *t, long nr)
{
	if (t->dns_start_ns)
		return false; /* the resolver's own poll() inside getaddrinfo() */
	if (nr == cfg_nr_io_uring_enter)
		return (t->sys_arg3 & IOT_IORING_ENTER_GETEVENTS) && t->sys_arg2 > 0;
	/* A poll on one fd is a timeout around one blocking-style call (a thread-per-connection
	 * worker waiting for its socket), not a wait on many sources: the thread is no loop.
	 * The same rule is in src/model/thread_role.cpp (multiplexed_waits); keep the two in step. */
	if (nr == cfg_nr_poll || nr == cfg_nr_ppoll)
		return t->sys_arg1 >= 2;
	/* select with no descriptors is a sleep (apr_sleep, portable sleeps): on a loop it is a
	 * call inside the iteration, judged like any other, not the iteration's end. */
	if (nr == cfg_nr_select || nr == cfg_nr_pselect6)
		return t->sys_arg0 > 0;
	return bit_set(cfg_wait_sys, nr);
}

/* The iteration that ends now, at the entry of the next wait: a stall record, or a timeline one. */
static __always_inline void fill_iteration(struct iot_stall_event *e, __u32 type, struct iot_thread *t,
					   __u32 tid, __u64 now, bool direct)
{
	__u64 dur = now - t->wait_exit_ns;

	e->hdr.type = type;
	e->tid = tid;
	e->tgid = t->tgid;
	e->start_ns = t->wait_exit_ns;
	e->dur_ns = dur;
	e->sys_ns = t->iter_sys_ns;
	e->cpu_ns = cpu_now(t, now) - t->iter_cpu_base;
	sched_since(t, t->iter_sched_a, t->iter_sched_b, t->iter_sched_c, dur, &e->sleep_ns, &e->runq_ns, &e->cpu_ns,
		    direct);
	e->max_sys_ns = t->iter_max_sys_ns;
	e->max_nr = t->iter_max_nr;
	e->max_stack = t->iter_max_stack;
}

static __always_inline void emit_stall(struct iot_thread *t, __u32 tid, __u64 now, bool direct)
{
	struct iot_stall_event *e;

	t->stalls++;
	e = bpf_ringbuf_reserve(&iot_events, sizeof(*e), 0);
	if (!e) {
		count_loss(IOT_LOSS_RINGBUF);
		return;
	}
	fill_iteration(e, IOT_EV_STALL, t, tid, now, direct);
	e->hdr.size = sizeof(*e);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void tl_iteration(struct iot_thread *t, __u32 tid, __u64 now, bool stall, bool direct)
{
	struct iot_tl_iter *e = tl_reserve(sizeof(*e));

	if (!e)
		return;
	fill_iteration(&e->it, IOT_TL_ITER, t, tid, now, direct);
	e->it.hdr.size = sizeof(*e);
	e->wait_ret = t->tl_wait_ret;
	e->stall = stall;
	e->pad = 0;
	tl_submit(e);
}

/* A loop thread enters its next wait: the iteration since the last one ends. */
static __always_inline void end_iteration(struct iot_thread *t, __u32 tid, __u64 now, bool direct)
{
	__u64 dur = now - t->wait_exit_ns;
	bool stall = cfg_stall_ns && dur >= cfg_stall_ns;

	t->iters++;
	t->iter_hist[log2_slot(dur)]++;
	if (stall)
		emit_stall(t, tid, now, direct);
	if (cfg_timeline)
		tl_iteration(t, tid, now, stall, direct);
}

/* A wait returned: a new iteration begins. */
static __always_inline void begin_iteration(struct iot_thread *t, __u64 now, bool direct)
{
	t->flags |= IOT_THR_LOOP;
	t->wait_exit_ns = now;
	t->iter_sys_ns = 0;
	t->iter_max_sys_ns = 0;
	t->iter_max_nr = -1;
	t->iter_max_stack = -1;
	sched_mark(t, &t->iter_sched_a, &t->iter_sched_b, &t->iter_sched_c, direct);
	t->iter_cpu_base = cpu_now(t, now);
}

/* direct: regs is a BTF pointer (tp_btf) and can be read with plain loads. */
static __always_inline int on_sys_enter(void *ctx, struct pt_regs *regs, long nr, bool direct)
{
	__u8 nonblock = 0, kind = IOT_FD_NONE;
	struct iot_thread *t;
	__u64 now;

	/* Every syscall on the host comes here: the target check comes before anything else. */
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!is_target(pid_tgid >> 32) || nr == cfg_nr_uretprobe)
		return 0;
	now = bpf_ktime_get_ns();
	t = target_thread(pid_tgid, now, direct);
	if (!t)
		return 0;
	if (direct) {
		t->sys_arg0 = PT_REGS_PARM1_SYSCALL(regs);
		t->sys_arg1 = PT_REGS_PARM2_SYSCALL(regs);
		t->sys_arg2 = PT_REGS_PARM3_SYSCALL(regs);
		t->sys_arg3 = PT_REGS_PARM4_SYSCALL(regs);
		t->sys_arg4 = PT_REGS_PARM5_SYSCALL(regs);
	} else {
		t->sys_arg0 = PT_REGS_PARM1_CORE_SYSCALL(regs);
		t->sys_arg1 = PT_REGS_PARM2_CORE_SYSCALL(regs);
		t->sys_arg2 = PT_REGS_PARM3_CORE_SYSCALL(regs);
		t->sys_arg3 = PT_REGS_PARM4_CORE_SYSCALL(regs);
		t->sys_arg4 = PT_REGS_PARM5_CORE_SYSCALL(regs);
	}
	if (bit_set(cfg_fd_arg0, nr))
		kind = direct ? fd_kind_btf((int)t->sys_arg0, &nonblock)
			      : fd_kind((int)t->sys_arg0, &nonblock);
	t->sys_fd_kind = kind;
	t->sys_nonblock = nonblock;
	t->sys_nr = nr;
	if (t->wait_exit_ns) /* only loop threads' calls are split (check_loop_call) */
		sched_mark(t, &t->sys_sched_a, &t->sys_sched_b, &t->sys_sched_c, direct);
	if (is_wait(t, nr) && t->wait_exit_ns) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();

		check_et_drained(ctx, t, tid);
		end_iteration(t, tid, now, direct);
	}
	t->sys_start_ns = now;
	return 0;
}

static __always_inline struct iot_stats *stats_row(struct iot_stats_key *key)
{
	struct iot_stats *s = bpf_map_lookup_elem(&iot_stats, key);
	__u32 zero = 0;
	struct iot_stats *z;

	if (s)
		return s;
	z = bpf_map_lookup_elem(&iot_zstats, &zero);
	if (!z)
		return NULL;
	if (bpf_map_update_elem(&iot_stats, key, z, BPF_NOEXIST) && !bpf_map_lookup_elem(&iot_stats, key)) {
		count_loss(IOT_LOSS_STATS_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&iot_stats, key);
}

/* One completed call in the thread's row for (syscall, fd kind, blocking mode). */
static __always_inline void count_call(struct iot_thread *t, __u32 tid, long nr, __u64 lat, long ret)
{
	struct iot_stats_key key = {.tid = tid, .nr = nr, .fd_kind = t->sys_fd_kind, .nonblock = t->sys_nonblock};
	struct iot_stats *s = stats_row(&key);
	__u64 size;
	__u8 sz;

	if (!s)
		return;
	s->calls++;
	s->total_ns += lat;
	if (lat > s->max_ns)
		s->max_ns = lat;
	s->hist[log2_slot(lat)]++;
	if (ret < 0) {
		if (ret == -IOT_EAGAIN)
			s->err_eagain++;
		else if (ret == -IOT_EINTR)
			s->err_eintr++;
		else
			s->err_other++;
	} else if (ret == 0) {
		s->zero_ret++;
	} else if (bit_set(cfg_data_sys, nr)) {
		s->bytes += ret;
	} else {
		s->ret_sum += ret;
	}
	sz = size_arg_of(nr);
	if (sz) {
		size = sys_arg(t, sz);
		s->arg_sum += size;
		if (size > s->arg_max)
			s->arg_max = size;
	}
}

static __always_inline void note_epoll_ctl(struct iot_thread *t)
{
	__u32 events = 0;
	__u8 nb = 0, kind;

	if (t->sys_arg1 == IOT_EPOLL_CTL_ADD)
		t->ctl_add++;
	else if (t->sys_arg1 == IOT_EPOLL_CTL_MOD)
		t->ctl_mod++;
	else {
		t->ctl_del++;
		note_et_registration(t, t->sys_arg1, 0);
		return;
	}
	bpf_probe_read_user(&events, sizeof(events), (void *)t->sys_arg3);
	note_et_registration(t, t->sys_arg1, events);
	if (events & IOT_EPOLLET)
		t->reg_edge++;
	else
		t->reg_level++;
	if (events & IOT_EPOLLONESHOT)
		t->reg_oneshot++;
	if (events & IOT_EPOLLEXCLUSIVE)
		t->reg_exclusive++;
	kind = fd_kind((int)t->sys_arg2, &nb);
	if (kind < IOT_FD_KINDS)
		t->reg_fd_kind[kind]++;
}

static __always_inline bool is_risky(struct iot_thread *t, long nr)
{
	__u8 k = t->sys_fd_kind;

	if (nr == cfg_nr_futex) {
		__u32 cmd = t->sys_arg1 & IOT_FUTEX_CMD_MASK;
		return cmd == IOT_FUTEX_WAIT || cmd == IOT_FUTEX_WAIT_BITSET ||
		       cmd == IOT_FUTEX_LOCK_PI || cmd == IOT_FUTEX_LOCK_PI2;
	}
	if (bit_set(cfg_risk_sys, nr))
		return true;
	if (!bit_set(cfg_data_sys, nr) && !bit_set(cfg_conn_sys, nr))
		return false;
	if (k == IOT_FD_REG || k == IOT_FD_BLK)
		return true; /* disk I/O is always "ready" */
	return !t->sys_nonblock && (k == IOT_FD_TCP || k == IOT_FD_UDP || k == IOT_FD_UNIX ||
				    k == IOT_FD_PIPE || k == IOT_FD_SOCK_OTHER);
}

static __always_inline void check_loop_call(void *ctx, struct pt_regs *regs, struct iot_thread *t,
					    __u32 tid, long nr, __u64 lat, bool direct)
{
	struct iot_flag_rec r = {.tid = tid, .nr = nr, .fd_kind = t->sys_fd_kind, .stack = -1};
	__u64 sp_words[IOT_SP_WORDS] = {};

	t->iter_sys_ns += lat;
	if (t->dns_start_ns)
		return; /* inside a resolver call: the DNS finding covers its calls */
	if (cfg_block_ns && lat >= cfg_block_ns)
		r.kind = IOT_FLAG_SLOW;
	else if (cfg_block_ns && is_risky(t, nr))
		r.kind = IOT_FLAG_RISK;
	if (r.kind) {
		user_stack_id(ctx, &r.stack);
		/* The syscall wrapper in libc keeps no frame pointer, so the stack walk skips its
		 * caller; the caller's return address is usually among the top words at sp. */
#if defined(__TARGET_ARCH_arm64)
		/* On arm64 a wrapper that saves no frame keeps it in the link register (x30). */
		sp_words[0] = BPF_CORE_READ(regs, regs[30]);
		bpf_probe_read_user(&sp_words[1], sizeof(sp_words) - sizeof(sp_words[0]),
				    (void *)PT_REGS_SP_CORE(regs));
#else
		bpf_probe_read_user(sp_words, sizeof(sp_words), (void *)PT_REGS_SP_CORE(regs));
#endif
		r.sp_words = sp_words;
		r.regs = regs;
		r.tgid = t->tgid;
		r.lat_ns = lat;
		__u64 cpu;

		sched_since(t, t->sys_sched_a, t->sys_sched_b, t->sys_sched_c, lat, &r.sleep_ns, &r.runq_ns, &cpu, direct);
		record_flag(&r);
	}
	if (lat > t->iter_max_sys_ns) {
		t->iter_max_sys_ns = lat;
		t->iter_max_nr = nr;
		t->iter_max_stack = r.stack;
	}
}

static __always_inline int on_sys_exit(void *ctx, struct pt_regs *regs, long ret, bool direct)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct iot_thread *t;
	__u64 now;

	if (cfg_one_tgid && (pid_tgid >> 32) != cfg_one_tgid)
		return 0;
	if (trace_stopped)
		return 0;
	t = thread_of_current(tid, direct);
	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
	__u64 lat;
	long nr;

	if (!t || t->sys_nr < 0)
		return 0;
	nr = t->sys_nr;
	t->sys_nr = -1;
	lat = now - t->sys_start_ns;
	t->last_ns = now;

	count_call(t, tid, nr, lat, ret);

	if (nr == cfg_nr_epoll_ctl && ret == 0)
		note_epoll_ctl(t);
	else if ((nr == cfg_nr_select || nr == cfg_nr_pselect6) && t->sys_arg0 > t->select_max_fd)
		t->select_max_fd = t->sys_arg0;
	else if (nr == cfg_nr_io_uring_enter) {
		if (t->sys_arg3 & IOT_IORING_ENTER_GETEVENTS)
			t->uring_enter_getevents++;
		if (t->sys_arg3 & IOT_IORING_ENTER_SQ_WAKEUP)
			t->uring_enter_sqwakeup++;
	} else if (nr == cfg_nr_prctl || bit_set(cfg_exec_sys, nr)) {
		bpf_get_current_comm(t->comm, sizeof(t->comm));
		t->tid = tid; /* exec from another thread: it takes over the leader's tid */
	} else if (nr == cfg_nr_connect) {
		note_udp53(t, t->sys_arg1);
	} else if (nr == cfg_nr_sendto) {
		note_udp53(t, t->sys_arg4);
	}
	if (t->wait_exit_ns && bit_set(cfg_read_sys, nr) &&
	    (t->sys_fd_kind == IOT_FD_TCP || t->sys_fd_kind == IOT_FD_UNIX || t->sys_fd_kind == IOT_FD_UDP))
		note_et_read(t, nr, ret);

	if (is_wait(t, nr)) {
		if (cfg_timeline)
			tl_wait(t, tid, now, lat, nr, ret);
		begin_iteration(t, now, direct);
	} else if (t->wait_exit_ns) {
		check_loop_call(ctx, regs, t, tid, nr, lat, direct);
	}
	if (cfg_timeline)
		tl_tick(t, tid, now, direct);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(iot_enter_btf, struct pt_regs *regs, long id)
{
	return on_sys_enter(ctx, regs, id, true);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(iot_exit_btf, struct pt_regs *regs, long ret)
{
	return on_sys_exit(ctx, regs, ret, true);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(iot_enter_raw, struct pt_regs *regs, long id)
{
	return on_sys_enter(ctx, regs, id, false);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(iot_exit_raw, struct pt_regs *regs, long ret)
{
	return on_sys_exit(ctx, regs, ret, false);
}

#endif
