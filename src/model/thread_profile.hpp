// The numbers the classifier and the findings read about one thread, summed from its rows.
#pragma once
#include <cstdint>
#include <vector>

#include "src/capture/capture.hpp"

namespace iotrace {

struct ThreadProfile {
  const ThreadRecord* thread = nullptr;
  uint64_t calls = 0;
  uint64_t epoll_waits = 0, epoll_events = 0, epoll_maxevents = 0, epoll_zero = 0;
  uint64_t select_calls = 0, select_nfds = 0, select_ready = 0;
  uint64_t poll_calls = 0, poll_nfds = 0, poll_ready = 0, poll_max_nfds = 0;
  // poll calls that watched at most one fd: a timeout around one blocking-style call (Java's
  // socket timeouts, Python's socketserver), not multiplexing
  uint64_t poll_single_calls = 0;
  uint64_t uring_enters = 0, uring_to_submit = 0, uring_consumed = 0;
  uint64_t aio_submits = 0, aio_iocbs = 0, aio_submitted = 0, aio_submit_ns = 0;
  uint64_t aio_getevents = 0, aio_events = 0, aio_getevents_ns = 0;
  uint64_t epoll_ctl = 0;
  // data calls (read/write family) by where they went
  uint64_t sock_reads = 0, sock_writes = 0, sock_read_bytes = 0, sock_write_bytes = 0;
  uint64_t sock_eagain = 0;
  // on sockets without O_NONBLOCK, less those that returned EAGAIN: a call that returns EAGAIN
  // was made non-blocking (MSG_DONTWAIT), whatever the fd's flags
  uint64_t sock_blocking_calls = 0;
  uint64_t sock_nonblock_calls = 0;  // socket reads and writes made non-blocking
  uint64_t inet_calls = 0;           // reads and writes on TCP and UDP sockets
  uint64_t sock_blocking_ns = 0;
  uint64_t accepts = 0, accepts_ok = 0, connects = 0, connects_ok = 0;
  uint64_t file_reads = 0, file_writes = 0, file_read_bytes = 0, file_write_bytes = 0, file_ns = 0;
  uint64_t fsyncs = 0;
  uint64_t other_reads = 0, other_writes = 0, other_eagain = 0;  // pipes, eventfd, ...
  uint64_t unix_calls = 0;  // reads and writes on unix sockets (socketpairs among them)
  uint64_t data_ops = 0;     // data calls that moved data or returned 0
  uint64_t data_eagain = 0;  // data calls that returned EAGAIN
  uint64_t read_calls_ok = 0, read_bytes = 0, write_calls_ok = 0, write_bytes = 0;
  uint64_t io_syscalls = 0;  // waits, EAGAIN returns, epoll_ctl, io_uring_enter, io_submit, io_getevents
  uint64_t futex_calls = 0, futex_ns = 0, sleep_calls = 0, sleep_ns = 0;
  uint64_t child_waits = 0;  // wait4, waitid: reaping child processes
  uint64_t syscall_ns = 0;

  uint64_t waits() const {
    return epoll_waits + select_calls + poll_calls + thread->uring.enter_getevents + aio_getevents;
  }
  uint64_t ops() const;  // completed units of I/O (see the man page's METRICS)
};

// arch: whose syscall numbers the rows hold (Capture::arch).
ThreadProfile profile_thread(const ThreadRecord& t, const std::vector<const SyscallRow*>& rows,
                             Arch arch);
std::vector<ThreadProfile> profile_threads(const Capture& c, uint32_t pid);
// The sum over a process's threads; sum_thread receives their summed counters.
ThreadProfile process_profile(const std::vector<ThreadProfile>& profs, ThreadRecord& sum_thread);

}  // namespace iotrace
