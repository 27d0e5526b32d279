// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * All of iotrace's kernel programs. The areas live in their own headers but are compiled as one
 * unit so they share one set of maps and one skeleton without relying on BPF static linking.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "iotrace_abi.h"
#include "maps.bpf.h"
#include "fd_kind.bpf.h"
#include "threads.bpf.h"
#include "ustack.bpf.h"
#include "timeline.bpf.h"
#include "flagged.bpf.h"
#include "syscalls.bpf.h"
#include "sched.bpf.h"
#include "io_uring.bpf.h"
#include "loop_watch.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
