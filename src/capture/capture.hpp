// A capture: everything one trace collected, decoded from the kernel maps and /proc, before
// any analysis. src/ turns a capture into a report; captures round-trip through JSON so the
// analysis can be run and tested on recorded data without BPF.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/capture/fd_kind.hpp"
#include "src/capture/syscall_table.hpp"
#include "src/util/histogram.hpp"

namespace iotrace {

inline constexpr int k_capture_version = 1;
inline constexpr int k_uring_ops = 64;

// One row of in-kernel accounting: one thread, one syscall, one kind of fd.
struct SyscallRow {
  uint32_t tid = 0;
  int nr = 0;
  FdKind fd_kind = FdKind::none;
  bool nonblock = false;
  uint64_t calls = 0;
  uint64_t err_eagain = 0;
  uint64_t err_eintr = 0;
  uint64_t err_other = 0;
  uint64_t total_ns = 0;
  uint64_t max_ns = 0;
  uint64_t bytes = 0;
  uint64_t zero_ret = 0;
  uint64_t ret_sum = 0;  // positive returns of non-data calls: events, ready fds, SQEs consumed
  uint64_t arg_sum = 0;  // size argument: maxevents, nfds, to_submit, nr iocbs
  uint64_t arg_max = 0;
  Histogram hist;

  uint64_t errors() const { return err_eagain + err_eintr + err_other; }
  uint64_t ok_calls() const { return calls - errors(); }
};

struct EpollRegistrations {
  uint64_t ctl_add = 0, ctl_mod = 0, ctl_del = 0;
  uint64_t edge = 0, level = 0, oneshot = 0, exclusive = 0;
  std::array<uint64_t, k_fd_kind_count> fd_kinds{};
};

struct UringCounters {
  uint64_t sqes = 0, cqes = 0, failed = 0, punts = 0, overflows = 0, links = 0;
  uint64_t enter_getevents = 0, enter_sqwakeup = 0, rings = 0, rings_sqpoll = 0;
  std::array<uint64_t, k_uring_ops> ops{};
};

struct ThreadRecord {
  uint32_t tid = 0;
  uint32_t pid = 0;
  std::string comm;
  bool exited = false;
  bool loop = false;       // waited in a multiplexer while traced
  bool io_worker = false;  // a kernel io_uring worker (io-wq or SQPOLL) of this process
  uint64_t first_ns = 0, last_ns = 0;  // relative to the capture's start
  uint64_t oncpu_ns = 0, sleep_ns = 0, runq_ns = 0;
  uint64_t vol_switches = 0, invol_switches = 0;
  uint64_t stalls = 0;
  // loop iterations (a wait's return to the next wait's entry) and their lengths
  uint64_t iterations = 0;
  Histogram iteration_hist;
  uint64_t select_max_nfds = 0;
  uint64_t dns_udp53 = 0;     // connects/sends of UDP sockets to port 53
  uint64_t et_undrained = 0;  // waits entered with unread data on an edge-triggered socket
  EpollRegistrations epoll;
  UringCounters uring;
};

// One registration in an epoll instance, from /proc/PID/fdinfo/<epfd>.
struct EpollEntry {
  int tfd = -1;
  uint32_t events = 0;
  uint64_t data = 0;
  FdKind kind = FdKind::other;
  bool listening = false;  // a listening socket (/proc/net: TCP state LISTEN, unix __SO_ACCEPTCON)
};

struct EpollInstance {
  int epfd = -1;
  std::vector<EpollEntry> entries;
};

// Threads found blocked in one kind of call when /proc was read (calls in flight since before
// the trace never complete while traced, so only /proc shows them).
struct ParkedCalls {
  int nr = 0;
  FdKind fd_kind = FdKind::none;
  uint32_t threads = 0;
};

struct ProcessRecord {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  std::string comm;
  std::string exe;
  uint64_t start_time_ticks = 0;  // /proc/PID/stat field 22: tells pid reuse apart
  bool exited = false;            // exited before the trace ended
  bool followed = false;          // a descendant added by --follow-children
  uint64_t traced_ns = 0;
  uint64_t stack_rlimit_bytes = 0;  // RLIMIT_STACK soft limit: the stack each new thread reserves
  uint64_t vm_rss_bytes = 0;
  uint32_t threads_now = 0;  // threads at the end of the trace (from /proc)
  uint32_t open_fds = 0;
  uint32_t sockets_open = 0;
  uint32_t children = 0;  // child processes at the end of the trace (/proc/PID/task/*/children)
  std::vector<EpollInstance> epoll;     // interest lists read at the end of the trace
  std::vector<std::string> libraries;   // mapped shared objects (basename), for runtime hints
  bool go_binary = false;
  uint32_t ns_pid = 0;  // the pid inside the process's own pid namespace, when it has one
  std::vector<ParkedCalls> parked;  // the executable carries Go's build info: its poller runs on any thread
};

// native: machine code of a mapped file; jit: code generated at run time (named through a
// perf map); interpreted: a frame of an interpreter's own stack (Python), placed above the
// native frame of the interpreter loop that ran it.
enum class FrameKind : uint8_t { native, jit, interpreted };
inline const char* frame_kind_name(FrameKind k) {
  return k == FrameKind::jit ? "jit" : k == FrameKind::interpreted ? "interpreted" : "native";
}
inline std::optional<FrameKind> frame_kind_from_name(const std::string& n) {
  if (n == "native") return FrameKind::native;
  if (n == "jit") return FrameKind::jit;
  if (n == "interpreted") return FrameKind::interpreted;
  return std::nullopt;
}

struct Frame {
  uint64_t addr = 0;
  std::string module{};  // basename of the mapped file, "[jit]" (no file) or "[unknown]"
  // Native frames: the address in the file's own address space (runtime address minus load
  // bias), what `addr2line -e FILE` and `eu-addr2line -e FILE` take; for shared objects and
  // PIE executables also the distance from the load base. JIT frames: the runtime address.
  uint64_t offset = 0;
  std::string symbol{};  // empty when not found
  uint64_t sym_offset = 0;
  FrameKind kind = FrameKind::native;
  std::string path{};      // the mapped file as the process saw it (native frames)
  std::string build_id{};  // hex GNU build-id of that file, when it has one
  std::string file{};      // source file (interpreted frames; native ones with line info)
  uint32_t line = 0;     // 0 when unknown
  // a function the compiler inlined into the native frame below it (named from DWARF, as
  // addr2line -i does): it shares that frame's address, and its line is where it was running
  bool inlined = false;
};

struct Stack {
  std::vector<Frame> frames;
  bool truncated = false;  // ended before the thread's first frame
  bool lost = false;       // the kernel could not store it
  // How the frames were found: "dwarf" (a copy of the user stack unwound with the binaries'
  // call-frame information) or "frame-pointer" (the kernel's walk); empty in older captures.
  std::string unwinder;
  std::string cut_reason;  // why it is truncated, when known
};

// A call made on an event-loop thread that was slow or can block, aggregated by call site.
// slow: above the block threshold; risk: can block, fast this time; et_undrained: an
// edge-triggered socket still held data when the loop waited again; dns: a synchronous
// resolver call (nr is k_nr_fn_base + function).
enum class FlagKind : uint8_t { slow = 1, risk = 2, et_undrained = 3, dns = 4 };

struct FlaggedCall {
  uint32_t tid = 0;
  int nr = 0;
  FdKind fd_kind = FdKind::none;
  FlagKind kind = FlagKind::slow;
  uint64_t count = 0, total_ns = 0, max_ns = 0, sleep_ns = 0, runq_ns = 0;
  uint64_t queued_bytes = 0;  // et_undrained: unread bytes found at the waits, summed
  Histogram hist;
  Stack stack;
};

struct Stall {
  uint32_t tid = 0;
  uint64_t start_ns = 0;  // relative to the capture's start
  uint64_t dur_ns = 0, sys_ns = 0, sleep_ns = 0, runq_ns = 0, cpu_ns = 0;
  uint64_t max_sys_ns = 0;
  int max_nr = -1;
  Stack stack;  // of the longest call in the iteration, when it was flagged
};

struct Losses {
  uint64_t stats_full = 0, threads_full = 0, ringbuf = 0, stack = 0, flagged_full = 0;
  // user stack copies the kernel could not send (iot_ustacks full): those sites keep the
  // frame-pointer stack
  uint64_t stack_copy = 0;
  // --timeline records the kernel could not send (iot_timeline full): missing from the timeline
  uint64_t timeline = 0;
  uint64_t total() const {
    return stats_full + threads_full + ringbuf + stack + flagged_full + stack_copy + timeline;
  }
};

// Which programs traced: every syscall ("full"), or only the multiplexers' waits and loop
// threads' sleeps ("loop-watch": no syscall table beyond the waits, so no models or ratios).
enum class TraceTier : uint8_t { full, loop_watch };

struct CaptureSettings {
  uint64_t stall_ns = 0;
  uint64_t block_ns = 0;
  bool follow_children = false;
  TraceTier tier = TraceTier::full;
};

struct Capture {
  int capture_version = k_capture_version;
  std::string iotrace_version;
  std::string kernel;
  // Whose syscall numbers the rows hold (nr fields): the traced machine's. Captures written
  // before the field existed are x86_64's.
  Arch arch = Arch::x86_64;
  uint64_t duration_ns = 0;
  CaptureSettings settings;
  std::vector<ProcessRecord> processes;
  std::vector<ThreadRecord> threads;
  std::vector<SyscallRow> syscalls;
  std::vector<FlaggedCall> flagged;
  std::vector<Stall> stalls;
  Losses losses;
  std::vector<std::string> notes;  // degraded features and other facts the report must state
  // Counts the kernel could not give (its tracepoint or prototype is missing): "uring_sqes",
  // "uring_cqes", "uring_failed", "uring_punts", "uring_overflows", "uring_links",
  // "uring_rings". They read 0 in the rows; no finding or ratio may be computed from them.
  std::vector<std::string> unavailable;
  bool provides(std::string_view count) const {
    for (const auto& u : unavailable)
      if (u == count) return false;
    return true;
  }
};

}  // namespace iotrace
