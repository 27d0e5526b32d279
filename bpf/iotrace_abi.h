/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one contract between iotrace's kernel programs and its user space.
 *
 * Fixed-width types only, explicit padding, no enums as fields: the same bytes must mean the
 * same thing to clang's BPF target and to g++. probes/ decodes these structs into model types
 * (src/capture/capture.hpp) and static-asserts their sizes, so a layout drift fails the build there.
 */
#ifndef IOTRACE_ABI_H
#define IOTRACE_ABI_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define IOT_ABI_VERSION 1

/* x86_64 and arm64 (asm-generic numbers) both have < 512 syscalls; bitmaps of syscall numbers
 * use this many bits. */
#define IOT_MAX_SYSCALLS 512
#define IOT_SYSCALL_WORDS (IOT_MAX_SYSCALLS / 64)
/* log2 latency buckets: bucket i holds [2^i, 2^(i+1)) ns; bucket 0 also holds 0. 2^40 ns ~ 18 min. */
#define IOT_HIST_SLOTS 40
#define IOT_COMM_LEN 16
#define IOT_MAX_STACK 32
#define IOT_URING_OPS 64
#define IOT_SP_WORDS 4  /* words read at the user stack pointer: the caller's return address */
#define IOT_ET_SLOTS 8  /* edge-triggered fds remembered per loop iteration */

/* Resolver functions, reported as pseudo syscall numbers IOT_NR_FN_BASE + IOT_FN_*. */
#define IOT_NR_FN_BASE 0x8000
#define IOT_FN_GETADDRINFO 0
#define IOT_FN_GETHOSTBYNAME 1
#define IOT_FN_GETHOSTBYNAME2 2
#define IOT_FN_GETHOSTBYNAME_R 3
#define IOT_FN_GETHOSTBYNAME2_R 4
#define IOT_FN_COUNT 5
/* The loop watch's pseudo syscall number for a sleep outside any syscall (a page fault). */
#define IOT_NR_FAULT 0x7fff

/* The kind of file an fd refers to, found in the kernel at the call. */
#define IOT_FD_NONE 0        /* the syscall takes no fd */
#define IOT_FD_BAD 1         /* not an open fd (EBADF) */
#define IOT_FD_TCP 2         /* AF_INET/AF_INET6 stream socket */
#define IOT_FD_UDP 3         /* AF_INET/AF_INET6 datagram socket */
#define IOT_FD_UNIX 4        /* AF_UNIX socket */
#define IOT_FD_SOCK_OTHER 5  /* netlink, packet, ... */
#define IOT_FD_REG 6         /* regular file */
#define IOT_FD_PIPE 7        /* pipe or FIFO */
#define IOT_FD_CHR 8         /* character device */
#define IOT_FD_BLK 9         /* block device */
#define IOT_FD_DIR 10
#define IOT_FD_EVENTFD 11
#define IOT_FD_TIMERFD 12
#define IOT_FD_SIGNALFD 13
#define IOT_FD_EPOLL 14
#define IOT_FD_IO_URING 15
#define IOT_FD_ANON_OTHER 16 /* pidfd, inotify, perf, bpf, ... */
#define IOT_FD_OTHER 17
#define IOT_FD_KINDS 18

/* Ways to lose data; each bumps iot_loss[index]. */
#define IOT_LOSS_STATS_FULL 0   /* iot_stats had no room for a new (thread, syscall, fd kind) */
#define IOT_LOSS_THREADS_FULL 1 /* iot_threads had no room for a new thread */
#define IOT_LOSS_RINGBUF 2      /* a rare event could not be reserved in iot_events */
#define IOT_LOSS_STACK 3        /* a user stack could not be stored (collision or map full) */
#define IOT_LOSS_FLAGGED_FULL 4 /* iot_flagged had no room for a new flagged call site */
#define IOT_LOSS_USTACK 5       /* a user stack copy could not be reserved in iot_ustacks */
#define IOT_LOSS_TIMELINE 6     /* a timeline record could not be reserved in iot_timeline */
#define IOT_LOSS_KINDS 7

/* Key of iot_stats: one row per thread, syscall and kind of fd used. */
struct iot_stats_key {
	__u32 tid;
	__u16 nr;
	__u8 fd_kind;
	__u8 nonblock; /* 1 when the fd had O_NONBLOCK at the call */
};

struct iot_stats {
	__u64 calls;
	__u64 err_eagain; /* EAGAIN == EWOULDBLOCK on Linux */
	__u64 err_eintr;
	__u64 err_other;
	__u64 total_ns;
	__u64 max_ns;
	__u64 bytes;      /* sum of positive returns of data-moving syscalls */
	__u64 zero_ret;   /* returns of 0 (EOF for reads, timeouts for waits) */
	__u64 ret_sum;    /* sum of positive returns of all other syscalls (events per wait etc.) */
	__u64 arg_sum;    /* sum of the size argument (nfds, maxevents, to_submit, nr iocbs) */
	__u64 arg_max;
	__u64 hist[IOT_HIST_SLOTS];
};

/* Per-thread state and counters that are not per-syscall (task storage, or iot_threads by tid). */
struct iot_thread {
	__u32 tid;
	__u32 tgid;
	__u32 flags; /* IOT_THR_* */
	__u32 pad3;
	char comm[IOT_COMM_LEN];
	__u64 first_ns;
	__u64 last_ns;
	/* the syscall in flight */
	__u64 sys_start_ns;
	__u64 sys_arg0;
	__u64 sys_arg1;
	__u64 sys_arg2;
	__u64 sys_arg3;
	__u64 sys_arg4;
	__u64 sys_sched_a; /* sched_mark() at the call's entry */
	__u64 sys_sched_b;
	__u64 sys_sched_c;
	__s32 sys_nr; /* -1: none */
	__u8 sys_fd_kind;
	__u8 sys_nonblock;
	__u16 pad0;
	/* scheduler accounting (sched_switch / sched_wakeup) */
	__u64 oncpu_since_ns;  /* when it was last switched in; 0 when off CPU or unknown */
	__u64 offcpu_since_ns; /* when it was last switched out */
	__u64 wakeup_ns;       /* when it was last woken after sleeping */
	__u64 oncpu_ns;
	__u64 sleep_ns;        /* off CPU, not runnable */
	__u64 runq_ns;         /* runnable, waiting for a CPU */
	__u64 vol_switches;
	__u64 invol_switches;
	__u32 out_sleeping;    /* 1 when the last switch-out was a sleep */
	__u32 pad1;
	__u64 offcpu_ns;       /* off CPU in all (with cfg_runq_from_task: sleep = off CPU - runq) */
	__u64 run_delay0;      /* task's sched_info.run_delay when first seen */
	__u64 sum_exec0;       /* task's se.sum_exec_runtime when first seen */
	__u64 nvcsw0;          /* task's voluntary / involuntary switch counts when first seen */
	__u64 nivcsw0;
	/* event-loop iteration accounting */
	__u64 wait_exit_ns;    /* return of the last multiplexing wait; 0 before the first */
	__u64 iter_sys_ns;     /* time in non-wait syscalls since wait_exit_ns */
	__u64 iter_sched_a; /* sched_mark() at wait_exit_ns */
	__u64 iter_sched_b;
	__u64 iter_sched_c;
	__u64 iter_cpu_base;
	__u64 iter_max_sys_ns; /* the longest syscall in this iteration */
	__s32 iter_max_nr;
	__s32 iter_max_stack;  /* its stack id, or -1 */
	__u64 stalls;
	/* epoll registrations seen (EPOLL_CTL_*) */
	__u64 ctl_add;
	__u64 ctl_mod;
	__u64 ctl_del;
	__u64 reg_edge;
	__u64 reg_level;
	__u64 reg_oneshot;
	__u64 reg_exclusive;
	__u64 reg_fd_kind[IOT_FD_KINDS];
	__u64 select_max_fd; /* the highest nfds passed to select/pselect6 */
	/* io_uring, from its tracepoints (run in this thread's context: submitter, sqpoll or io-wq) */
	__u64 uring_sqes;
	__u64 uring_cqes;
	__u64 uring_failed;
	__u64 uring_punts;
	__u64 uring_overflows;
	__u64 uring_links;
	__u64 uring_enter_getevents;
	__u64 uring_enter_sqwakeup;
	__u64 uring_rings_sqpoll;
	__u64 uring_rings;
	__u64 uring_ops[IOT_URING_OPS];
	/* synchronous DNS: resolver function in flight (uprobes), UDP connects/sends to port 53 */
	__u64 dns_start_ns;
	__u64 dns_sched_a;
	__u64 dns_sched_b;
	__u64 dns_sched_c;
	__u64 dns_sp_words[IOT_SP_WORDS];
	__s32 dns_fn; /* IOT_FN_*, -1: none */
	__s32 dns_stack;
	__u32 dns_depth; /* resolver functions nest (getaddrinfo calls gethostbyname*_r) */
	__u32 pad2;
	__u64 dns_udp53;
	/* edge-triggered fds read since the last wait: were they drained? */
	__s32 et_fd[IOT_ET_SLOTS];
	__u16 et_nr[IOT_ET_SLOTS];
	__u8 et_kind[IOT_ET_SLOTS];
	__u8 et_pending[IOT_ET_SLOTS]; /* 1: the last read returned data and left more queued */
	__u32 et_left[IOT_ET_SLOTS];   /* bytes still queued when that read returned */
	__u64 et_undrained;            /* waits entered with data left on an ET fd */
	/* timeline (cfg_timeline): what the last wait returned, and the current tick's counts */
	__s64 tl_wait_ret;
	__u64 tl_tick_ns; /* when the current tick began; 0 before the thread's first call */
	__u64 tl_calls;
	__u64 tl_waits;
	__u64 tl_events;  /* sum of the waits' positive returns */
	__u64 tl_sched_a; /* sched_mark() at tl_tick_ns */
	__u64 tl_sched_b;
	__u64 tl_sched_c;
	/* loop iterations (from one wait's return to the next wait's entry), in both tiers */
	__u64 iters;
	__u64 iter_hist[IOT_HIST_SLOTS];
	/* loop watch (cfg_loop_watch): the call a loop thread sleeps in inside an iteration, seen at
	 * sched_switch. Consecutive sleeps at one call site add up to one call, closed when the
	 * thread sleeps elsewhere or waits again. */
	__u64 lw_call_ns;   /* off CPU so far in the open call; 0 with lw_call_start_ns 0: none */
	__u64 lw_call_start_ns;
	__u64 lw_call_sleep_ns;
	__u64 lw_call_runq_ns;
	__u64 lw_off_ns;    /* when it went off CPU asleep inside an iteration; 0: it did not */
	__u64 lw_sp_words[IOT_SP_WORDS];
	__s32 lw_call_nr;
	__s32 lw_call_stack;
	__u8 lw_call_fd_kind;
	__u8 lw_call_in_dns; /* the open call began inside a resolver function (uprobes) */
	__u8 pad4[6];
	__u64 lw_copy_ns; /* when a stack was last copied at a sleep whose site the kernel lacked */
	__u64 lw_call_rd0; /* cfg_runq_from_task: the task's run_delay when the open call began */
};

#define IOT_THR_EXITED 1u
#define IOT_THR_LOOP 2u  /* has waited in a multiplexer: its other calls are checked */
#define IOT_THR_IO_WORKER 4u /* PF_IO_WORKER: io-wq or sqpoll kernel thread */

/* Flagged calls on event-loop threads, aggregated by call site. */
#define IOT_FLAG_SLOW 1  /* latency above cfg_block_ns */
#define IOT_FLAG_RISK 2  /* a call that can block, fast this time */
#define IOT_FLAG_ET 3    /* an edge-triggered fd left with unread data when the loop waited */
#define IOT_FLAG_DNS 4   /* a synchronous resolver call (uprobe) */

struct iot_flag_key {
	__u32 tid;
	__s32 stack_id; /* in iot_stacks; negative when it could not be stored */
	__u16 nr;
	__u8 fd_kind;
	__u8 kind;      /* IOT_FLAG_* */
	__u32 pad;
};

struct iot_flag_val {
	__u64 sp_words[IOT_SP_WORDS]; /* at the first occurrence: probable return addresses */
	__u64 queued_bytes;           /* IOT_FLAG_ET: unread bytes found, summed */
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u64 sleep_ns;
	__u64 runq_ns;
	__u64 copy_ns;                /* when the user stack was last copied for this site */
	__u64 hist[IOT_HIST_SLOTS];
};

/* Key of iot_exited: threads whose rows left task storage at exit. A tid can be reused while a
 * trace runs; the first-seen time tells the two threads apart. */
struct iot_exited_key {
	__u32 tid;
	__u32 pad;
	__u64 first_ns;
};

/* Key of iot_etfds: sockets registered edge-triggered, written by probes/ from fdinfo too. */
struct iot_etfd_key {
	__u32 tgid;
	__s32 fd;
};

/* Rare events sent through the iot_events ring buffer. Every record starts with this. */
#define IOT_EV_STALL 1
struct iot_event_hdr {
	__u32 type;
	__u32 size;
};

struct iot_stall_event {
	struct iot_event_hdr hdr;
	__u32 tid;
	__u32 tgid;
	__u64 start_ns;   /* wait return that began the iteration */
	__u64 dur_ns;     /* to the next wait entry */
	__u64 sys_ns;     /* in non-wait syscalls */
	__u64 sleep_ns;   /* off CPU, sleeping */
	__u64 runq_ns;    /* runnable, not running */
	__u64 cpu_ns;     /* on CPU */
	__u64 max_sys_ns; /* longest syscall in the iteration */
	__s32 max_nr;
	__s32 max_stack;
};

/* A copy of the user stack and registers at a flagged call, unwound in user space with the
 * binaries' call-frame information (.eh_frame), so stacks reach the caller's code in programs
 * built without frame pointers. Sent through iot_ustacks once per new call site, at its 2nd,
 * 4th, 8th... occurrence, and at most once a second after that: never per ordinary syscall. */
#define IOT_EV_USTACK 2
#define IOT_USTACK_BYTES 16384
/* The user registers at the start of the kernel's struct pt_regs, in its own order: all 21
 * words on x86_64; on arm64 struct user_pt_regs (regs[31], sp, pc, pstate). The BPF object is
 * built per architecture (-D__TARGET_ARCH_*), user space by the matching compiler. */
#if defined(__TARGET_ARCH_arm64) || (!defined(__bpf__) && defined(__aarch64__))
#define IOT_PT_REGS_WORDS 34
#else
#define IOT_PT_REGS_WORDS 21
#endif
#define IOT_PY_FRAMES 48

/* Where a CPython 3.11 thread's frames are, for one target process: the runtime's address in
 * that process and the struct offsets of the interpreter build it runs (set by probes/). */
struct iot_py_layout {
	__u64 runtime;         /* &_PyRuntime */
	__u32 interp_head;     /* _PyRuntimeState.interpreters.head */
	__u32 threads_head;    /* PyInterpreterState.threads.head */
	__u32 ts_next;         /* PyThreadState.next */
	__u32 ts_native_tid;   /* PyThreadState.native_thread_id */
	__u32 ts_cframe;       /* PyThreadState.cframe */
	__u32 cf_current;      /* _PyCFrame.current_frame */
	__u32 fr_code;         /* _PyInterpreterFrame.f_code */
	__u32 fr_previous;     /* _PyInterpreterFrame.previous */
	__u32 fr_prev_instr;   /* _PyInterpreterFrame.prev_instr */
	__u32 fr_is_entry;     /* _PyInterpreterFrame.is_entry */
};

/* One Python frame: its code object and last instruction. Bit 0 of code is set on a frame
 * that entered the C eval loop (is_entry): the native _PyEval_EvalFrameDefault frames split
 * the chain there. */
struct iot_py_frame {
	__u64 code;
	__u64 instr;
};

#define IOT_PY_NONE 0      /* not a Python process, or no layout */
#define IOT_PY_OK 1
#define IOT_PY_NO_THREAD 2 /* no thread state with this thread's id */

struct iot_ustack_event {
	struct iot_event_hdr hdr;
	__u32 tid;
	__u32 tgid;
	struct iot_flag_key key; /* the call site this copy belongs to */
	__u64 regs[IOT_PT_REGS_WORDS];
	__u32 len;               /* bytes of data[], from regs' sp upward */
	__u16 py_status;         /* IOT_PY_* */
	__u16 py_count;
	struct iot_py_frame py[IOT_PY_FRAMES];
	__u8 data[IOT_USTACK_BYTES];
};

/* Timeline records (--timeline), sent through iot_timeline only when cfg_timeline is set. */
#define IOT_TL_BYTES (4 * 1024 * 1024) /* iot_timeline's size with --timeline (a page without) */
#define IOT_TL_ITER 3 /* struct iot_tl_iter: a loop iteration, sent when the next wait begins */
#define IOT_TL_WAIT 4 /* struct iot_tl_call: a multiplexing wait, sent when it returns */
#define IOT_TL_FLAG 5 /* struct iot_tl_call: a flagged call, sent with record_flag() */
#define IOT_TL_TICK 6 /* struct iot_tl_tick: a thread's counts, at most every 100 ms of its calls */

struct iot_tl_iter {
	struct iot_stall_event it; /* hdr.type IOT_TL_ITER */
	__s64 wait_ret;            /* what the wait that began the iteration returned */
	__u32 stall;               /* 1: at least cfg_stall_ns */
	__u32 pad;
};

struct iot_tl_call {
	struct iot_event_hdr hdr;
	__u32 tid;
	__u32 tgid;
	__u64 start_ns;
	__u64 dur_ns;
	__u64 sleep_ns; /* flagged calls: off CPU, sleeping */
	__u64 runq_ns;
	__s64 ret;      /* waits: the return value (events, or -errno) */
	__s32 nr;
	__s32 stack;    /* flagged calls: stack id in iot_stacks, or negative */
	__u8 kind;      /* flagged calls: IOT_FLAG_* */
	__u8 fd_kind;
	__u16 pad0;
	__u32 pad1;
};

struct iot_tl_tick {
	struct iot_event_hdr hdr;
	__u32 tid;
	__u32 tgid;
	__u64 start_ns; /* the tick covers [start_ns, start_ns + dur_ns) */
	__u64 dur_ns;
	__u64 calls;
	__u64 waits;
	__u64 events;   /* sum of the waits' positive returns */
	__u64 runq_ns;  /* runnable, waiting for a CPU */
};

#endif /* IOTRACE_ABI_H */
