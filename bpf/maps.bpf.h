/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Maps and run-time settings shared by every iotrace program. */
#ifndef IOTRACE_MAPS_BPF_H
#define IOTRACE_MAPS_BPF_H

/* Settings, written by probes/ between open and load. */
/* Copy user stacks at flagged calls for DWARF unwinding (0: frame-pointer walks only). */
const volatile bool cfg_ustack = false;
const volatile __u64 cfg_fd_arg0[IOT_SYSCALL_WORDS] = {};  /* syscalls whose arg0 is an fd */
const volatile __u64 cfg_data_sys[IOT_SYSCALL_WORDS] = {}; /* syscalls returning bytes moved */
const volatile __u64 cfg_wait_sys[IOT_SYSCALL_WORDS] = {}; /* multiplexing waits */
const volatile __u64 cfg_risk_sys[IOT_SYSCALL_WORDS] = {}; /* calls that can block a loop */
const volatile __u64 cfg_conn_sys[IOT_SYSCALL_WORDS] = {}; /* accept, accept4, connect */
const volatile __u64 cfg_exec_sys[IOT_SYSCALL_WORDS] = {}; /* execve, execveat: comm changes */
const volatile __u64 cfg_read_sys[IOT_SYSCALL_WORDS] = {}; /* read family: ET drain tracking */
const volatile __s32 cfg_nr_connect = -1;
const volatile __s32 cfg_nr_sendto = -1;
const volatile __u32 cfg_follow_children = 0;
const volatile __u32 cfg_trace_all = 0; /* every process but iotrace itself (iotrace top) */
const volatile __u32 cfg_self_tgid = 0;
/* The one target when there is exactly one and no children are followed: a compare is
 * cheaper than the hash lookup every other process on the host would pay. */
const volatile __u32 cfg_one_tgid = 0;
/* Run-queue delay read from the task's own sched_info.run_delay (CONFIG_SCHED_INFO) instead of
 * timing wakeups: no sched_wakeup program, which every wakeup on the host would run. */
const volatile __u32 cfg_runq_from_task = 0;
/* On- and off-CPU time from the task's se.sum_exec_runtime and run_delay: no sched_switch or
 * sched_wakeup program, which every context switch and wakeup on the host would run. tp_btf
 * programs only (threads.bpf.h). */
const volatile __u32 cfg_sched_from_task = 0;
/* Thread rows are in task storage (the tp_btf syscall programs are loaded). */
const volatile __u32 cfg_tls = 0;
const volatile __u64 cfg_stall_ns = 0; /* 0: stall detection off */
/* The loop watch's programs run instead of the syscall programs (loop_watch.bpf.h). */
const volatile __u32 cfg_loop_watch = 0;
const volatile __u64 cfg_block_ns = 0; /* 0: flagged-call detection off */
/* The running architecture's numbers (-1: it lacks the call), passed in so this file carries no
 * syscall table of its own. */
const volatile __s32 cfg_nr_epoll_ctl = -1;
const volatile __s32 cfg_nr_select = -1;
const volatile __s32 cfg_nr_pselect6 = -1;
const volatile __s32 cfg_nr_poll = -1;
const volatile __s32 cfg_nr_ppoll = -1;
const volatile __s32 cfg_nr_io_uring_enter = -1;
const volatile __s32 cfg_nr_prctl = -1;
const volatile __s32 cfg_nr_futex = -1;
/* Linux 6.11+ on x86_64: a return probe's trampoline enters this syscall on every return from
 * a probed function (iotrace's own resolver uretprobes): not a call the program made. */
const volatile __s32 cfg_nr_uretprobe = -1;

/* Processes being traced: tgid -> IOT_TARGET_LIVE, or IOT_TARGET_GONE once the whole process
 * exited (kept so user space still learns of children that came and went). */
#define IOT_TARGET_LIVE 1
#define IOT_TARGET_GONE 2
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} iot_targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct iot_thread);
} iot_threads SEC(".maps");

/* tp_btf: rows of threads that exited (task storage goes with the task). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct iot_exited_key);
	__type(value, struct iot_thread);
} iot_exited SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct iot_stats_key);
	__type(value, struct iot_stats);
} iot_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct iot_flag_key);
	__type(value, struct iot_flag_val);
} iot_flagged SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, IOT_MAX_STACK * sizeof(__u64));
} iot_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} iot_events SEC(".maps");

/* User stack copies, apart from iot_events so a burst of them never costs a stall record. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} iot_ustacks SEC(".maps");

/* CPython layouts of the target processes that run CPython 3.11, by tgid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct iot_py_layout);
} iot_py SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IOT_LOSS_KINDS);
	__type(key, __u32);
	__type(value, __u64);
} iot_loss SEC(".maps");

static __always_inline void count_loss(__u32 kind)
{
	__u64 *v = bpf_map_lookup_elem(&iot_loss, &kind);
	if (v)
		*v += 1;
}

static __always_inline bool bit_set(const volatile __u64 *bits, long nr)
{
	__u64 n = (__u64)nr, w;

	if (nr < 0 || n >= IOT_MAX_SYSCALLS)
		return false;
	w = n / 64;
	/* Opaque to the compiler, so the bound check below survives for the verifier. */
	asm volatile("" : "+r"(w));
	if (w >= IOT_SYSCALL_WORDS)
		return false;
	return (bits[w] >> (n % 64)) & 1;
}

/* Set when the single target's thread group has exited: its pid may be reused. */
volatile __u32 one_tgid_gone = 0;
/* Set by user space when the trace ends: every figure stops at once. Detaching takes a
 * grace period per tracepoint (about 0.1 s each here), long enough to skew rates. */
volatile __u32 trace_stopped = 0;

static __always_inline bool is_target(__u32 tgid)
{
	__u8 *v;

	if (trace_stopped)
		return false;
	if (cfg_one_tgid)
		return tgid == cfg_one_tgid && !one_tgid_gone;
	if (cfg_trace_all)
		return tgid != cfg_self_tgid && tgid != 0;
	v = bpf_map_lookup_elem(&iot_targets, &tgid);
	return v && *v == IOT_TARGET_LIVE;
}

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 r = 0;
	/* Branch-free-ish binary search; the verifier likes bounded shifts. */
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r < IOT_HIST_SLOTS ? r : IOT_HIST_SLOTS - 1;
}

#endif
