#include "src/model/thread_profile.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "src/capture/syscall_table.hpp"

namespace iotrace {

uint64_t ThreadProfile::ops() const {
  return data_ops + accepts_ok + connects_ok + thread->uring.cqes + aio_events;
}

ThreadProfile profile_thread(const ThreadRecord& t, const std::vector<const SyscallRow*>& rows,
                             Arch arch) {
  ThreadProfile p;
  p.thread = &t;
  for (const auto* row : rows) {
    const SyscallRow& r = *row;
    p.calls += r.calls;
    p.syscall_ns += r.total_ns;
    const std::string name = syscall_name(arch, r.nr);
    const std::string_view n = name;
    const uint64_t ok = r.ok_calls();
    if (n == "epoll_wait" || n == "epoll_pwait" || n == "epoll_pwait2") {
      p.epoll_waits += r.calls;
      p.epoll_events += r.ret_sum;
      p.epoll_maxevents += r.arg_sum;
      p.epoll_zero += r.zero_ret;
      p.io_syscalls += r.calls;
    } else if ((n == "select" || n == "pselect6") && r.arg_max == 0 && r.arg_sum == 0) {
      // select with no descriptors is a portable sleep (apr_sleep and the like), not a wait
      p.sleep_calls += r.calls;
      p.sleep_ns += r.total_ns;
    } else if (n == "select" || n == "pselect6") {
      p.select_calls += r.calls;
      p.select_nfds += r.arg_sum;
      p.select_ready += r.ret_sum;
      p.io_syscalls += r.calls;
    } else if (n == "poll" || n == "ppoll") {
      p.poll_calls += r.calls;
      p.poll_nfds += r.arg_sum;
      p.poll_ready += r.ret_sum;
      p.poll_max_nfds = std::max(p.poll_max_nfds, r.arg_max);
      if (r.arg_max <= 1) p.poll_single_calls += r.calls;
      p.io_syscalls += r.calls;
    } else if (n == "io_uring_enter") {
      p.uring_enters += r.calls;
      p.uring_to_submit += r.arg_sum;
      p.uring_consumed += r.ret_sum;
      p.io_syscalls += r.calls;
    } else if (n == "io_submit") {
      p.aio_submits += r.calls;
      p.aio_iocbs += r.arg_sum;
      p.aio_submitted += r.ret_sum;
      p.aio_submit_ns += r.total_ns;
      p.io_syscalls += r.calls;
    } else if (n == "io_getevents" || n == "io_pgetevents") {
      p.aio_getevents += r.calls;
      p.aio_events += r.ret_sum;
      p.aio_getevents_ns += r.total_ns;
      p.io_syscalls += r.calls;
    } else if (n == "epoll_ctl") {
      p.epoll_ctl += r.calls;
      p.io_syscalls += r.calls;
    } else if (n == "accept" || n == "accept4") {
      p.accepts += r.calls;
      p.accepts_ok += ok;
      p.io_syscalls += r.calls;
      if (!r.nonblock) {
        p.sock_blocking_calls += r.calls - r.err_eagain;
        p.sock_blocking_ns += r.total_ns;
      }
      p.sock_eagain += r.err_eagain;
      p.data_eagain += r.err_eagain;
    } else if (n == "connect") {
      p.connects += r.calls;
      p.connects_ok += ok;
      p.io_syscalls += r.calls;
    } else if (n == "futex" || n == "futex_wait" || n == "futex_waitv") {
      p.futex_calls += r.calls;
      p.futex_ns += r.total_ns;
    } else if (n == "wait4" || n == "waitid") {
      p.child_waits += r.calls;
    } else if (n == "nanosleep" || n == "clock_nanosleep") {
      p.sleep_calls += r.calls;
      p.sleep_ns += r.total_ns;
    } else if (n == "fsync" || n == "fdatasync" || n == "sync_file_range") {
      p.fsyncs += r.calls;
    }
    const bool reads = syscall_has(arch, r.nr, k_read), writes = syscall_has(arch, r.nr, k_write);
    if (!(reads || writes)) continue;
    const uint64_t done = ok;  // moved data or returned 0
    p.data_ops += done;
    p.data_eagain += r.err_eagain;
    p.io_syscalls += done + r.err_eagain;
    if (reads) {
      p.read_calls_ok += done;
      p.read_bytes += r.bytes;
    } else {
      p.write_calls_ok += done;
      p.write_bytes += r.bytes;
    }
    if (is_socket(r.fd_kind)) {
      (reads ? p.sock_reads : p.sock_writes) += r.calls;
      (reads ? p.sock_read_bytes : p.sock_write_bytes) += r.bytes;
      p.sock_eagain += r.err_eagain;
      if (!r.nonblock) {
        p.sock_blocking_calls += r.calls - r.err_eagain;
        p.sock_blocking_ns += r.total_ns;
      }
      p.sock_nonblock_calls += r.nonblock ? r.calls : r.err_eagain;
      if (r.fd_kind == FdKind::tcp || r.fd_kind == FdKind::udp) p.inet_calls += r.calls;
      if (r.fd_kind == FdKind::unix_socket) p.unix_calls += r.calls;
    } else if (r.fd_kind == FdKind::regular || r.fd_kind == FdKind::blockdev) {
      (reads ? p.file_reads : p.file_writes) += r.calls;
      (reads ? p.file_read_bytes : p.file_write_bytes) += r.bytes;
      p.file_ns += r.total_ns;
    } else {
      (reads ? p.other_reads : p.other_writes) += r.calls;
      p.other_eagain += r.err_eagain;
    }
  }
  return p;
}

std::vector<ThreadProfile> profile_threads(const Capture& c, uint32_t pid) {
  std::unordered_map<uint32_t, std::vector<const SyscallRow*>> rows;
  for (const auto& r : c.syscalls) rows[r.tid].push_back(&r);
  std::vector<ThreadProfile> out;
  for (const auto& t : c.threads)
    if (t.pid == pid) out.push_back(profile_thread(t, rows[t.tid], c.arch));
  return out;
}

}  // namespace iotrace
