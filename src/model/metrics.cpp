// Syscall-per-operation ratios, per process and per event-loop thread (defined in the man page).
#include <algorithm>

#include "src/findings/findings.hpp"
#include "src/output/report.hpp"
#include "src/model/thread_profile.hpp"

namespace iotrace {
namespace {

// A metric built on a count the kernel could not give (Capture::unavailable) is left out.
void add_profile_metrics(std::vector<Metric>& out, const Capture& c, const ThreadProfile& p,
                         const UringCounters& u, uint64_t select_max, uint32_t tid) {
  auto put = [&](const char* id, double num, double den) {
    if (den > 0) out.push_back({id, num / den, tid});
  };
  auto put_count = [&](const char* id, double v) { out.push_back({id, v, tid}); };
  auto put_if = [&](const char* count, const char* id, double num, double den) {
    if (c.provides(count)) put(id, num, den);
  };
  auto count_if = [&](const char* count, const char* id, double v) {
    if (c.provides(count)) put_count(id, v);
  };
  const double ops = static_cast<double>(p.ops());
  put_count("operations", ops);
  put_count("io_syscalls", static_cast<double>(p.io_syscalls));
  put("syscalls_per_op", static_cast<double>(p.io_syscalls), ops);
  put("events_per_wait", static_cast<double>(p.epoll_events), static_cast<double>(p.epoll_waits));
  put("empty_wait_share", static_cast<double>(p.epoll_zero), static_cast<double>(p.epoll_waits));
  put("select_fds_per_call", static_cast<double>(p.select_nfds), static_cast<double>(p.select_calls));
  put("select_ready_per_call", static_cast<double>(p.select_ready), static_cast<double>(p.select_calls));
  if (p.select_calls) put_count("select_max_nfds", static_cast<double>(select_max));
  put("poll_fds_per_call", static_cast<double>(p.poll_nfds), static_cast<double>(p.poll_calls));
  put("poll_ready_per_call", static_cast<double>(p.poll_ready), static_cast<double>(p.poll_calls));
  put("eagain_share", static_cast<double>(p.data_eagain),
      static_cast<double>(p.data_ops + p.data_eagain));
  put("epoll_ctl_per_event", static_cast<double>(p.epoll_ctl), static_cast<double>(p.epoll_events));
  put("bytes_per_read", static_cast<double>(p.read_bytes), static_cast<double>(p.read_calls_ok));
  put("bytes_per_write", static_cast<double>(p.write_bytes), static_cast<double>(p.write_calls_ok));
  if (p.uring_enters || u.sqes) {
    put_if("uring_sqes", "sqes_per_enter", static_cast<double>(u.sqes), static_cast<double>(p.uring_enters));
    put_if("uring_cqes", "cqes_per_enter", static_cast<double>(u.cqes), static_cast<double>(p.uring_enters));
    put("enters_per_op", static_cast<double>(p.uring_enters), ops);
    count_if("uring_sqes", "uring_sqes", static_cast<double>(u.sqes));
    count_if("uring_cqes", "uring_cqes", static_cast<double>(u.cqes));
    put_count("sqpoll_wakeups", static_cast<double>(u.enter_sqwakeup));
    count_if("uring_punts", "iowq_punts", static_cast<double>(u.punts));
    count_if("uring_overflows", "cq_overflows", static_cast<double>(u.overflows));
    count_if("uring_failed", "uring_failed", static_cast<double>(u.failed));
    count_if("uring_links", "uring_links", static_cast<double>(u.links));
  }
  if (p.aio_submits) {
    put("iocbs_per_submit", static_cast<double>(p.aio_iocbs), static_cast<double>(p.aio_submits));
    put("submit_ns_per_call", static_cast<double>(p.aio_submit_ns), static_cast<double>(p.aio_submits));
  }
  const auto& t = *p.thread;
  put("switches_per_op", static_cast<double>(t.vol_switches + t.invol_switches), ops);
}

// Sums the profiles of a process; uring counters of io-wq and SQPOLL threads count for it.
ThreadProfile sum_profiles(const std::vector<ThreadProfile>& profs, ThreadRecord& sum_thread) {
  ThreadProfile s;
  s.thread = &sum_thread;
  for (const auto& p : profs) {
    const auto& t = *p.thread;
#define IOT_SUM(f) s.f += p.f
    IOT_SUM(calls); IOT_SUM(epoll_waits); IOT_SUM(epoll_events); IOT_SUM(epoll_maxevents);
    IOT_SUM(epoll_zero); IOT_SUM(select_calls); IOT_SUM(select_nfds); IOT_SUM(select_ready);
    IOT_SUM(poll_calls); IOT_SUM(poll_nfds); IOT_SUM(poll_ready); IOT_SUM(uring_enters);
    IOT_SUM(uring_to_submit); IOT_SUM(uring_consumed); IOT_SUM(aio_submits); IOT_SUM(aio_iocbs);
    IOT_SUM(aio_submitted); IOT_SUM(aio_submit_ns); IOT_SUM(aio_getevents); IOT_SUM(aio_events);
    IOT_SUM(epoll_ctl); IOT_SUM(sock_reads); IOT_SUM(sock_writes); IOT_SUM(sock_read_bytes);
    IOT_SUM(sock_write_bytes); IOT_SUM(sock_eagain); IOT_SUM(sock_blocking_calls);
    IOT_SUM(sock_blocking_ns); IOT_SUM(sock_nonblock_calls); IOT_SUM(inet_calls); IOT_SUM(unix_calls);
    IOT_SUM(accepts); IOT_SUM(accepts_ok); IOT_SUM(connects);
    IOT_SUM(connects_ok); IOT_SUM(file_reads); IOT_SUM(file_writes); IOT_SUM(file_read_bytes);
    IOT_SUM(file_write_bytes); IOT_SUM(file_ns); IOT_SUM(fsyncs); IOT_SUM(other_reads);
    IOT_SUM(other_writes); IOT_SUM(other_eagain); IOT_SUM(data_ops); IOT_SUM(data_eagain);
    IOT_SUM(read_calls_ok); IOT_SUM(read_bytes); IOT_SUM(write_calls_ok); IOT_SUM(write_bytes);
    IOT_SUM(io_syscalls); IOT_SUM(futex_calls); IOT_SUM(futex_ns); IOT_SUM(sleep_calls);
    IOT_SUM(sleep_ns); IOT_SUM(syscall_ns); IOT_SUM(child_waits);
#undef IOT_SUM
    s.poll_max_nfds = std::max(s.poll_max_nfds, p.poll_max_nfds);
    auto& u = sum_thread.uring;
    u.sqes += t.uring.sqes; u.cqes += t.uring.cqes; u.failed += t.uring.failed;
    u.punts += t.uring.punts; u.overflows += t.uring.overflows; u.links += t.uring.links;
    u.enter_getevents += t.uring.enter_getevents; u.enter_sqwakeup += t.uring.enter_sqwakeup;
    u.rings += t.uring.rings; u.rings_sqpoll += t.uring.rings_sqpoll;
    for (int i = 0; i < k_uring_ops; ++i) u.ops[i] += t.uring.ops[i];
    sum_thread.vol_switches += t.vol_switches;
    sum_thread.invol_switches += t.invol_switches;
    sum_thread.select_max_nfds = std::max(sum_thread.select_max_nfds, t.select_max_nfds);
    sum_thread.oncpu_ns += t.oncpu_ns;
  }
  return s;
}

}  // namespace

ThreadProfile process_profile(const std::vector<ThreadProfile>& profs, ThreadRecord& sum_thread) {
  return sum_profiles(profs, sum_thread);
}

Metrics compute_metrics(const Capture& c, const ProcessReport& pr) {
  Metrics m;
  auto profs = profile_threads(c, pr.process.pid);
  ThreadRecord sum;
  ThreadProfile all = sum_profiles(profs, sum);
  add_profile_metrics(m.values, c, all, sum.uring, sum.select_max_nfds, 0);
  for (const auto& p : profs)
    if (p.thread->loop)
      add_profile_metrics(m.values, c, p, p.thread->uring, p.thread->select_max_nfds, p.thread->tid);
  return m;
}

}  // namespace iotrace
