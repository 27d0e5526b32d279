#include "src/capture/capture_delta.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace iotrace {
namespace {

uint64_t sub(uint64_t cur, uint64_t prev) { return cur >= prev ? cur - prev : 0; }

Histogram hist_sub(const Histogram& cur, const Histogram& prev) {
  Histogram h;
  for (int i = 0; i < k_hist_slots; ++i) h.slots[i] = sub(cur.slots[i], prev.slots[i]);
  return h;
}

// The largest value seen in the interval, or a bound on it (see the header).
uint64_t max_in_interval(uint64_t cur_max, uint64_t prev_max, const Histogram& delta) {
  if (cur_max > prev_max) return cur_max;
  int top = -1;
  for (int i = 0; i < k_hist_slots; ++i)
    if (delta.slots[i]) top = i;
  if (top < 0) return 0;
  uint64_t bound = top >= 63 ? UINT64_MAX : (uint64_t{2} << top) - 1;
  return std::min(bound, cur_max);
}

using RowKey = std::tuple<uint32_t, int, FdKind, bool>;
RowKey row_key(const SyscallRow& r) { return {r.tid, r.nr, r.fd_kind, r.nonblock}; }

SyscallRow row_delta(const SyscallRow& c, const SyscallRow& p) {
  if (c.calls < p.calls) return c;  // evicted and recreated
  SyscallRow d = c;
  d.calls = c.calls - p.calls;
  d.err_eagain = sub(c.err_eagain, p.err_eagain);
  d.err_eintr = sub(c.err_eintr, p.err_eintr);
  d.err_other = sub(c.err_other, p.err_other);
  d.total_ns = sub(c.total_ns, p.total_ns);
  d.bytes = sub(c.bytes, p.bytes);
  d.zero_ret = sub(c.zero_ret, p.zero_ret);
  d.ret_sum = sub(c.ret_sum, p.ret_sum);
  d.arg_sum = sub(c.arg_sum, p.arg_sum);
  d.hist = hist_sub(c.hist, p.hist);
  d.max_ns = max_in_interval(c.max_ns, p.max_ns, d.hist);
  return d;  // arg_max stays cur's: an upper bound
}

void uring_sub(UringCounters& d, const UringCounters& p) {
  d.sqes = sub(d.sqes, p.sqes);
  d.cqes = sub(d.cqes, p.cqes);
  d.failed = sub(d.failed, p.failed);
  d.punts = sub(d.punts, p.punts);
  d.overflows = sub(d.overflows, p.overflows);
  d.links = sub(d.links, p.links);
  d.enter_getevents = sub(d.enter_getevents, p.enter_getevents);
  d.enter_sqwakeup = sub(d.enter_sqwakeup, p.enter_sqwakeup);
  d.rings = sub(d.rings, p.rings);
  d.rings_sqpoll = sub(d.rings_sqpoll, p.rings_sqpoll);
  for (int i = 0; i < k_uring_ops; ++i) d.ops[i] = sub(d.ops[i], p.ops[i]);
}

void epoll_sub(EpollRegistrations& d, const EpollRegistrations& p) {
  d.ctl_add = sub(d.ctl_add, p.ctl_add);
  d.ctl_mod = sub(d.ctl_mod, p.ctl_mod);
  d.ctl_del = sub(d.ctl_del, p.ctl_del);
  d.edge = sub(d.edge, p.edge);
  d.level = sub(d.level, p.level);
  d.oneshot = sub(d.oneshot, p.oneshot);
  d.exclusive = sub(d.exclusive, p.exclusive);
  for (int i = 0; i < k_fd_kind_count; ++i) d.fd_kinds[i] = sub(d.fd_kinds[i], p.fd_kinds[i]);
}

ThreadRecord thread_delta(const ThreadRecord& c, const ThreadRecord& p) {
  bool recreated = c.pid != p.pid || c.oncpu_ns < p.oncpu_ns ||
                   c.vol_switches + c.invol_switches < p.vol_switches + p.invol_switches;
  if (recreated) return c;
  ThreadRecord d = c;
  d.oncpu_ns = c.oncpu_ns - p.oncpu_ns;
  d.sleep_ns = sub(c.sleep_ns, p.sleep_ns);
  d.runq_ns = sub(c.runq_ns, p.runq_ns);
  d.vol_switches = sub(c.vol_switches, p.vol_switches);
  d.invol_switches = sub(c.invol_switches, p.invol_switches);
  d.stalls = sub(c.stalls, p.stalls);
  d.iterations = sub(c.iterations, p.iterations);
  d.iteration_hist = hist_sub(c.iteration_hist, p.iteration_hist);
  epoll_sub(d.epoll, p.epoll);
  uring_sub(d.uring, p.uring);
  return d;
}

bool thread_active(const ThreadRecord& d) {
  return d.oncpu_ns || d.vol_switches || d.invol_switches || d.stalls || d.iterations || d.uring.sqes ||
         d.uring.cqes || d.uring.punts;
}

// Flagged calls have no id beyond what they are and where they were made.
using FlagKey = std::tuple<uint32_t, int, FdKind, FlagKind, std::vector<uint64_t>>;
FlagKey flag_key(const FlaggedCall& f) {
  std::vector<uint64_t> addrs;
  for (const auto& fr : f.stack.frames) addrs.push_back(fr.addr);
  return {f.tid, f.nr, f.fd_kind, f.kind, std::move(addrs)};
}

FlaggedCall flag_delta(const FlaggedCall& c, const FlaggedCall& p) {
  if (c.count < p.count) return c;
  FlaggedCall d = c;
  d.count = c.count - p.count;
  d.total_ns = sub(c.total_ns, p.total_ns);
  d.sleep_ns = sub(c.sleep_ns, p.sleep_ns);
  d.runq_ns = sub(c.runq_ns, p.runq_ns);
  d.hist = hist_sub(c.hist, p.hist);
  d.max_ns = max_in_interval(c.max_ns, p.max_ns, d.hist);
  return d;
}

using StallKey = std::tuple<uint32_t, uint64_t, uint64_t>;
StallKey stall_key(const Stall& s) { return {s.tid, s.start_ns, s.dur_ns}; }

}  // namespace

Capture capture_delta(const Capture& prev, const Capture& cur) {
  Capture d;
  d.capture_version = cur.capture_version;
  d.iotrace_version = cur.iotrace_version;
  d.kernel = cur.kernel;
  d.arch = cur.arch;
  d.settings = cur.settings;
  d.notes = cur.notes;
  d.unavailable = cur.unavailable;
  d.duration_ns = sub(cur.duration_ns, prev.duration_ns);

  for (ProcessRecord p : cur.processes) {
    // live: traced to the end of cur; exited: to its last call. Either way, cut at prev's end.
    p.traced_ns = sub(p.traced_ns, prev.duration_ns);
    d.processes.push_back(std::move(p));
  }

  std::map<uint32_t, const ThreadRecord*> prev_threads;
  for (const auto& t : prev.threads) prev_threads[t.tid] = &t;
  std::map<RowKey, const SyscallRow*> prev_rows;
  for (const auto& r : prev.syscalls) prev_rows[row_key(r)] = &r;

  for (const auto& r : cur.syscalls) {
    auto it = prev_rows.find(row_key(r));
    SyscallRow dr = it == prev_rows.end() ? r : row_delta(r, *it->second);
    if (dr.calls) d.syscalls.push_back(std::move(dr));
  }
  std::map<uint32_t, bool> has_rows;
  for (const auto& r : d.syscalls) has_rows[r.tid] = true;
  for (const auto& t : cur.threads) {
    auto it = prev_threads.find(t.tid);
    ThreadRecord dt = it == prev_threads.end() ? t : thread_delta(t, *it->second);
    if (has_rows.count(t.tid) || thread_active(dt)) d.threads.push_back(std::move(dt));
  }

  std::map<FlagKey, const FlaggedCall*> prev_flags;
  for (const auto& f : prev.flagged) prev_flags[flag_key(f)] = &f;
  for (const auto& f : cur.flagged) {
    auto it = prev_flags.find(flag_key(f));
    FlaggedCall df = it == prev_flags.end() ? f : flag_delta(f, *it->second);
    if (df.count) d.flagged.push_back(std::move(df));
  }

  std::map<StallKey, int> seen;
  for (const auto& s : prev.stalls) ++seen[stall_key(s)];
  for (const auto& s : cur.stalls) {
    auto it = seen.find(stall_key(s));
    if (it != seen.end() && it->second > 0) {
      --it->second;
      continue;
    }
    d.stalls.push_back(s);
  }

  d.losses.stats_full = sub(cur.losses.stats_full, prev.losses.stats_full);
  d.losses.threads_full = sub(cur.losses.threads_full, prev.losses.threads_full);
  d.losses.ringbuf = sub(cur.losses.ringbuf, prev.losses.ringbuf);
  d.losses.stack = sub(cur.losses.stack, prev.losses.stack);
  d.losses.flagged_full = sub(cur.losses.flagged_full, prev.losses.flagged_full);
  d.losses.stack_copy = sub(cur.losses.stack_copy, prev.losses.stack_copy);
  return d;
}

}  // namespace iotrace
