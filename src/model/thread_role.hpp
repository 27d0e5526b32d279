// What one thread does, judged from its calls: the one definition of an event-loop thread that
// the thread models, the process models and every loop finding use.
//
// A thread is an event loop when it waits for many sources at once and does its work on what
// the wait returned:
//   1. it waits in a multiplexer: epoll_wait, select, poll or ppoll on two or more fds (a poll
//      on one fd is a timeout around one call), io_uring_enter with GETEVENTS, io_getevents;
//      or it submits to io_uring / Linux AIO and peeks the completions;
//   2. it serves connections from the wait: it reads and writes non-blocking sockets the wait
//      returned (then a blocking call it also makes is a call on the loop, however long), or
//      it registers the sockets it serves with its epoll instance, or
//      its socket waits are mostly those multiplexed waits, not calls on blocking sockets or
//      one-fd polls (a thread-per-connection worker that select()s on its listener and a
//      wake-up pipe, then reads a blocking socket, is not a loop). Two shapes serve no
//      connections from the wait: a process that waits on its one connection and its own
//      wake-up fds (a process-per-connection backend) does blocking I/O on that connection,
//      and a thread that waits only for signals, timers and wake-ups, with no TCP or UDP
//      socket, in a process that has or reaps children (a supervisor), is a control loop;
//   3. it serves more than its own disk I/O: a thread that only waits for completions of
//      regular-file I/O it submitted (fio's job thread, a storage engine's I/O thread) drives
//      asynchronous I/O and nothing else waits on it ("async-io").
// The kernel side applies rule 1 (bpf/syscalls.bpf.h is_wait) to decide whose iterations to
// time and whose calls to check; the report applies all three, and loop findings are made only
// for threads whose role here is "event-loop".
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "src/model/classify.hpp"
#include "src/model/thread_profile.hpp"

namespace iotrace {

// Facts about the other threads of the process that a thread's role depends on.
struct RoleContext {
  bool process_has_loop = false;       // another thread is an event loop
  bool process_has_requester = false;  // a thread with no I/O of its own waits on futexes
  // io_uring moves socket data for the process: its counters are spread over the submitter,
  // SQPOLL and io-wq threads, so the opcodes are judged per process
  bool uring_network = false;
  // sockets in the process's epoll interest lists at the end of the trace (distinct fds), and
  // how many of them TCP or UDP; -1 when the process had no epoll instance
  int epoll_sockets = -1;
  int epoll_inet = -1;
  int epoll_listeners = 0;       // of which listening
  int epoll_unknown_family = 0;  // of which of a family not found (older captures)
  uint64_t traced_ns = 0;  // how long the process was traced
  // it has child processes or reaps them: a supervisor's loop waits for them
  bool supervises = false;
  // the loop watch traced the waits alone: no socket call, accept or registration was seen, so
  // the interest lists at the end are the only evidence of what a wait was for
  bool waits_only = false;
};

// Waits in a multiplexer (rule 1, without the submit-only case).
bool multiplexes(const ThreadProfile& p);
// Multiplexed waits: epoll waits, select calls, polls on 2+ fds, io_uring and AIO waits.
uint64_t multiplexed_waits(const ThreadProfile& p);
// Blocking waits on sockets: calls on blocking sockets, and one-fd polls before socket calls.
uint64_t socket_blocking_waits(const ThreadProfile& p);
// Rule 2's shapes that serve no connection from the wait.
bool waits_on_one_connection(const ThreadProfile& p, const RoleContext& ctx);
bool is_control_loop(const ThreadProfile& p, const RoleContext& ctx);
// Rule 1 to 3: the thread is an event loop.
bool is_event_loop(const ThreadProfile& p, const RoleContext& ctx);
// Rule 3's exception: async disk I/O with no other source.
bool drives_async_file_io(const ThreadProfile& p, const RoleContext& ctx);
// Blocking I/O is a real part of what the thread does (not two reads of a config file).
bool does_blocking_io(const ThreadProfile& p);
// Polls non-blocking fds on CPU with no wait: EAGAIN after EAGAIN, and no sleep in between.
bool is_busy_poll(const ThreadProfile& p);
// Has no I/O of its own and waits on futexes: a thread that hands work to others and waits.
bool is_requester(const ThreadProfile& p);

// has_children: the capture holds processes whose parent this one is. waits_only: a loop
// watch's capture.
RoleContext role_context(const std::vector<ThreadProfile>& profs, const ProcessRecord& proc,
                         bool has_children, bool waits_only = false);
ThreadModel classify_thread(const ThreadProfile& p, const RoleContext& ctx);

// The multiplexer models a thread waits in, largest first (minor ones under 10% dropped).
std::vector<std::string> loop_models(const ThreadProfile& p);
// Every model a loop thread takes part in: the multiplexers, then the interfaces it submits to.
std::vector<std::string> thread_parts(const ThreadProfile& p);
std::string uring_ops_text(const std::array<uint64_t, k_uring_ops>& ops);

}  // namespace iotrace
