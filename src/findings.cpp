// Turns a process's capture into findings: blocking on event loops, stalls and wasteful patterns.
#include "src/findings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "src/duration.hpp"
#include "src/report.hpp"
#include "src/syscall_table.hpp"
#include "src/thread_profile.hpp"

namespace iotrace {
namespace {

double ratio(double a, double b) { return b > 0 ? a / b : 0; }
double ratio(uint64_t a, uint64_t b) { return ratio(static_cast<double>(a), static_cast<double>(b)); }

Finding make(std::string_view id) {
  const FindingDef* d = finding_def(id);
  Finding f;
  f.id = std::string(id);
  f.severity = d->severity;
  f.title = std::string(d->title);
  f.advice = std::string(d->advice);
  return f;
}

// Fixes in the terms of the runtime that was detected.
std::string runtime_advice(const std::string& runtime, const std::string& generic) {
  if (runtime.rfind("libuv", 0) == 0)
    return generic + ". Node.js: use the fs/dns promise APIs (they run on libuv's pool) or worker_threads";
  if (runtime.rfind("python", 0) == 0)
    return generic + ". asyncio: await asyncio.to_thread(...) or loop.run_in_executor(), and use async "
                     "clients (aiohttp, aiofiles, asyncpg)";
  if (runtime.rfind("java", 0) == 0)
    return generic + ". Java: run blocking work on a dedicated executor, never on the Netty/NIO event thread";
  if (runtime == "go")
    return generic + ". Go: a goroutine is enough; through cgo each concurrent blocking call costs an OS thread";
  return generic + ". C/C++: hand it to a thread pool, or submit it through io_uring";
}

std::string thread_name(const Capture& c, uint32_t tid) {
  for (const auto& t : c.threads)
    if (t.tid == tid) return t.comm;
  return {};
}

const ThreadRecord* thread_of(const Capture& c, uint32_t tid) {
  for (const auto& t : c.threads)
    if (t.tid == tid) return &t;
  return nullptr;
}

// The kernel keys call sites by raw stack; frames past the unwinder's reach differ between
// calls from one site, so merge sites whose symbolized stacks are the same.
std::vector<FlaggedCall> merge_sites(const std::vector<FlaggedCall>& in) {
  std::map<std::tuple<uint32_t, int, FdKind, FlagKind, std::string>, FlaggedCall> by;
  for (const auto& f : in) {
    std::string key = f.stack.lost ? "lost" : "";
    for (const auto& fr : f.stack.frames)
      key += fmt::format("{}:{}:{};", fr.module, fr.symbol.empty() ? "" : fr.symbol,
                         fr.symbol.empty() ? fr.offset : fr.sym_offset);
    auto [it, fresh] = by.try_emplace({f.tid, f.nr, f.fd_kind, f.kind, key}, f);
    if (fresh) continue;
    FlaggedCall& m = it->second;
    m.count += f.count;
    m.total_ns += f.total_ns;
    m.max_ns = std::max(m.max_ns, f.max_ns);
    m.sleep_ns += f.sleep_ns;
    m.runq_ns += f.runq_ns;
    m.hist.merge(f.hist);
    m.stack.truncated = m.stack.truncated || f.stack.truncated;
  }
  std::vector<FlaggedCall> out;
  for (auto& [k, v] : by) out.push_back(std::move(v));
  return out;
}

void flagged_findings(const Capture& c, const ProcessReport& pr, std::vector<Finding>& out) {
  const std::string& rt = pr.model.runtime;
  // Go's netpoller runs on whichever thread is idle: there is no dedicated loop thread, and
  // the scheduler's own sleeps and futex waits are not stalls of anything.
  if (pr.process.go_binary) return;
  for (const auto& fc : merge_sites(c.flagged)) {
    const ThreadRecord* t = thread_of(c, fc.tid);
    if (!t || t->pid != pr.process.pid) continue;
    std::string id;
    if (fc.kind == FlagKind::risk) {
      id = "blocking-risk-on-loop";
    } else if (fc.kind == FlagKind::et_undrained) {
      id = "et-not-drained";
    } else if (fc.kind == FlagKind::dns) {
      id = "sync-dns-on-loop";
    } else {
      // Blocked is not the same as slow: split by what the thread did during the call.
      uint64_t cpu = fc.total_ns > fc.sleep_ns + fc.runq_ns ? fc.total_ns - fc.sleep_ns - fc.runq_ns : 0;
      if (fc.sleep_ns >= fc.runq_ns && fc.sleep_ns >= cpu) id = "blocking-call-on-loop";
      else if (fc.runq_ns >= cpu) id = "preempted-on-loop";
      else id = "slow-call-on-loop";
    }
    Finding f = make(id);
    f.tid = fc.tid;
    f.thread = t->comm;
    f.syscall = syscall_name(fc.nr);
    f.fd_kind = fc.fd_kind;
    f.count = fc.count;
    f.total_ns = fc.total_ns;
    f.max_ns = fc.max_ns;
    f.p50_ns = fc.hist.percentile(0.5, fc.max_ns);
    f.p99_ns = fc.hist.percentile(0.99, fc.max_ns);
    f.sleep_ns = fc.sleep_ns;
    f.runq_ns = fc.runq_ns;
    f.stack = fc.stack;
    std::string on = fc.fd_kind == FdKind::none ? "" : fmt::format(" on a {} fd", fd_kind_name(fc.fd_kind));
    if (fc.kind == FlagKind::et_undrained) {
      f.evidence = fmt::format("{} times thread {} ({}) went back to waiting after {} on an "
                               "edge-triggered {} socket that still held data ({} unread bytes "
                               "in all): those bytes raise no new event",
                               fc.count, fc.tid, t->comm, f.syscall, fd_kind_name(fc.fd_kind),
                               fc.queued_bytes);
      f.total_ns = 0;
      f.advice = runtime_advice(rt, f.advice);
      out.push_back(std::move(f));
      continue;
    }
    f.evidence = fmt::format("{}{} ran {} times on event-loop thread {} ({}): {} in total, max {}; "
                             "asleep {}, waiting for CPU {}",
                             f.syscall, on, fc.count, fc.tid, t->comm, format_duration(fc.total_ns),
                             format_duration(fc.max_ns), format_duration(fc.sleep_ns),
                             format_duration(fc.runq_ns));
    if (id != "preempted-on-loop") f.advice = runtime_advice(rt, f.advice);
    out.push_back(std::move(f));
  }
}

void stall_findings(const Capture& c, const ProcessReport& pr, std::vector<Finding>& out) {
  // One finding per thread and kind: stalls dominated by CPU differ in their fix.
  struct Agg {
    uint64_t n = 0, total = 0, max = 0, sys = 0, sleep = 0, runq = 0, cpu = 0;
    Histogram hist;
    const Stall* worst = nullptr;
  };
  std::map<std::pair<uint32_t, bool>, Agg> by;
  if (pr.process.go_binary) return;  // no dedicated loop thread: see flagged_findings
  for (const auto& s : c.stalls) {
    const ThreadRecord* t = thread_of(c, s.tid);
    if (!t || t->pid != pr.process.pid) continue;
    // Run-queue delay is not the loop's doing: a CPU stall is one whose CPU time alone
    // passes the threshold, or dominates both sleeping and waiting for a CPU.
    bool cpu = s.cpu_ns >= c.settings.stall_ns ||
               (s.cpu_ns >= s.sleep_ns && s.cpu_ns >= s.runq_ns);
    Agg& a = by[{s.tid, cpu}];
    ++a.n;
    a.total += s.dur_ns;
    a.sys += s.sys_ns;
    a.sleep += s.sleep_ns;
    a.runq += s.runq_ns;
    a.cpu += s.cpu_ns;
    a.hist.slots[log2_slot(s.dur_ns)]++;
    if (s.dur_ns > a.max) {
      a.max = s.dur_ns;
      a.worst = &s;
    }
  }
  // The kernel counts every stall per thread; the events with the details can be lost when
  // the ring buffer is full. Say so rather than report the received ones as the whole.
  std::map<uint32_t, uint64_t> received;
  for (const auto& [key, a] : by) received[key.first] += a.n;
  // Only a ring-buffer loss explains a gap; without one it is timing (events still in flight
  // when a live capture was read).
  auto undetailed = [&](uint32_t tid) -> uint64_t {
    const ThreadRecord* t = thread_of(c, tid);
    auto got = received.find(tid);
    if (!t || got == received.end() || t->stalls <= got->second) return 0;
    return std::min(t->stalls - got->second, c.losses.ringbuf);
  };
  for (const auto& t : c.threads) {
    if (t.pid != pr.process.pid || !t.stalls || received.count(t.tid) || !c.losses.ringbuf)
      continue;
    Finding f = make("loop-stall");
    f.tid = t.tid;
    f.thread = t.comm;
    f.count = t.stalls;
    f.evidence = fmt::format(
        "{} iterations of the loop on thread {} ({}) took longer than {}; their details were lost "
        "(ring buffer full: see losses)",
        t.stalls, t.tid, t.comm, format_duration(c.settings.stall_ns));
    f.advice = runtime_advice(pr.model.runtime, f.advice);
    out.push_back(std::move(f));
  }
  for (const auto& [key, a] : by) {
    Finding f = make(key.second ? "cpu-stall" : "loop-stall");
    f.tid = key.first;
    f.thread = thread_name(c, key.first);
    f.count = a.n;
    f.total_ns = a.total;
    f.max_ns = a.max;
    f.p50_ns = a.hist.percentile(0.5, a.max);
    f.p99_ns = a.hist.percentile(0.99, a.max);
    f.sleep_ns = a.sleep;
    f.runq_ns = a.runq;
    if (a.worst && a.worst->max_nr >= 0) {
      f.syscall = syscall_name(a.worst->max_nr);
      f.stack = a.worst->stack;
    }
    f.evidence = fmt::format(
        "{} iterations of the loop on thread {} ({}) took longer than {} (max {}): {} in syscalls, "
        "{} asleep, {} waiting for CPU, {} on CPU{}",
        a.n, key.first, f.thread, format_duration(c.settings.stall_ns), format_duration(a.max),
        format_duration(a.sys), format_duration(a.sleep), format_duration(a.runq),
        format_duration(a.cpu),
        f.syscall.empty() ? "" : fmt::format("; the longest call was {}", f.syscall));
    uint64_t lost = undetailed(key.first);
    received.erase(key.first);  // said once per thread, on its first stall finding
    if (lost)
      f.evidence += fmt::format("; {} more stalls on this thread were counted without details "
                                "(ring buffer full: see losses)", lost);
    f.advice = runtime_advice(pr.model.runtime, f.advice);
    out.push_back(std::move(f));
  }
}

void pattern_findings(const Capture& c, const ProcessReport& pr, std::vector<Finding>& out) {
  auto profs = profile_threads(c, pr.process.pid);
  for (const auto& p : profs) {
    const ThreadRecord& t = *p.thread;
    auto base = [&](std::string_view id) {
      Finding f = make(id);
      f.tid = t.tid;
      f.thread = t.comm;
      return f;
    };
    if (t.loop && t.dns_udp53 > 0 && !pr.process.go_binary) {
      bool seen = false;
      for (const auto& f : out) seen = seen || (f.id == "sync-dns-on-loop" && f.tid == t.tid);
      if (!seen) {
        Finding f = base("sync-dns-on-loop");
        f.count = t.dns_udp53;
        f.evidence = fmt::format("event-loop thread {} ({}) sent {} DNS queries (UDP to port 53) "
                                 "itself: a resolver is running on the loop",
                                 t.tid, t.comm, t.dns_udp53);
        f.advice = runtime_advice(pr.model.runtime, f.advice);
        out.push_back(std::move(f));
      }
    }
    if (t.select_max_nfds > 1024) {
      Finding f = base("select-fd-over-setsize");
      f.syscall = "select";
      f.count = p.select_calls;
      f.evidence = fmt::format("select was called with nfds up to {} (an fd of {} or more) on thread {}",
                               t.select_max_nfds, t.select_max_nfds - 1, t.tid);
      out.push_back(std::move(f));
    }
    for (auto [calls, nfds, ready, name] :
         {std::tuple{p.select_calls, p.select_nfds, p.select_ready, "select"},
          std::tuple{p.poll_calls, p.poll_nfds, p.poll_ready, "poll"}}) {
      double per = ratio(nfds, calls), rdy = ratio(ready, calls);
      if (calls >= 20 && per >= 64 && rdy < 0.05 * per) {
        Finding f = base("scan-waste");
        f.syscall = name;
        f.count = calls;
        f.evidence = fmt::format("{} calls to {} passed {:.0f} fds each and got {:.1f} ready: the "
                                 "kernel scanned {:.0f}x more fds than were ready; epoll would "
                                 "return only the ready ones",
                                 calls, name, per, rdy, ratio(per, std::max(rdy, 1e-9)));
        out.push_back(std::move(f));
      }
    }
    uint64_t tries = p.data_ops + p.data_eagain;
    double eagain_share = ratio(p.data_eagain, tries);
    bool busy = p.waits() == 0 && p.data_eagain >= 100 && eagain_share >= 0.5;
    if (busy) {
      Finding f = base("busy-poll");
      f.count = p.data_eagain;
      f.evidence = fmt::format("thread {} made {} reads/writes/accepts, {} ({:.0f}%) returned "
                               "EAGAIN, with no wait call; {} on CPU",
                               t.tid, tries, p.data_eagain, eagain_share * 100,
                               format_duration(t.oncpu_ns));
      out.push_back(std::move(f));
    } else if (p.waits() > 0 && p.data_eagain >= 100 && eagain_share >= 0.3) {
      Finding f = base("eagain-waste");
      f.count = p.data_eagain;
      f.evidence = fmt::format("{:.0f}% of reads/writes on thread {} returned EAGAIN ({} of {})",
                               eagain_share * 100, t.tid, p.data_eagain, tries);
      out.push_back(std::move(f));
    }
    if (p.epoll_ctl >= 100 && ratio(p.epoll_ctl, p.epoll_events) >= 0.5) {
      Finding f = base("epoll-ctl-churn");
      f.syscall = "epoll_ctl";
      f.count = p.epoll_ctl;
      f.evidence = fmt::format("{} epoll_ctl calls for {} events ({:.2f} per event) on thread {}",
                               p.epoll_ctl, p.epoll_events, ratio(p.epoll_ctl, p.epoll_events), t.tid);
      out.push_back(std::move(f));
    }
    if (p.sock_reads >= 1000 && ratio(p.sock_read_bytes, p.sock_reads) < 64) {
      Finding f = base("tiny-reads");
      f.count = p.sock_reads;
      f.evidence = fmt::format("{} socket reads on thread {} moved {:.1f} bytes each on average",
                               p.sock_reads, t.tid, ratio(p.sock_read_bytes, p.sock_reads));
      out.push_back(std::move(f));
    }
    if (p.uring_enters >= 100 && t.uring.sqes > 0 && ratio(t.uring.sqes, p.uring_enters) <= 1.5) {
      Finding f = base("uring-unbatched");
      f.syscall = "io_uring_enter";
      f.count = p.uring_enters;
      f.evidence = fmt::format("{} io_uring_enter calls submitted {} SQEs ({:.2f} per enter) on thread {}",
                               p.uring_enters, t.uring.sqes, ratio(t.uring.sqes, p.uring_enters), t.tid);
      out.push_back(std::move(f));
    }
    if (p.aio_submits >= 10 && ratio(p.aio_submit_ns, p.aio_submits) >= 100e3) {
      Finding f = base("aio-submit-blocked");
      f.syscall = "io_submit";
      f.count = p.aio_submits;
      f.total_ns = p.aio_submit_ns;
      f.evidence = fmt::format("{} io_submit calls took {} each on average on thread {}: the I/O "
                               "ran inside the submit",
                               p.aio_submits, format_duration(p.aio_submit_ns / p.aio_submits), t.tid);
      out.push_back(std::move(f));
    }
  }
  // io_uring counters are spread over submitter, SQPOLL and io-wq threads: judge them per process.
  ThreadRecord sum;
  ThreadProfile all = process_profile(profs, sum);
  const auto& u = sum.uring;
  if (u.punts >= 10 && ratio(u.punts, std::max<uint64_t>(u.sqes, 1)) >= 0.1) {
    Finding f = make("uring-iowq-punts");
    f.count = u.punts;
    f.evidence = fmt::format("{} of {} io_uring requests ({:.0f}%) were punted to io-wq workers",
                             u.punts, u.sqes, 100 * ratio(u.punts, u.sqes));
    out.push_back(std::move(f));
  }
  if (u.overflows > 0) {
    Finding f = make("uring-cq-overflow");
    f.count = u.overflows;
    f.evidence = fmt::format("{} completions overflowed the CQ ring", u.overflows);
    out.push_back(std::move(f));
  }
  if (pr.model.model == "blocking") {
    size_t blocking = 0;
    for (const auto& tm : pr.model.threads)
      if (tm.model == "blocking") ++blocking;
    double sw = ratio(static_cast<double>(sum.vol_switches + sum.invol_switches),
                      static_cast<double>(all.ops()));
    if (blocking >= 200 || (blocking >= 50 && sw >= 1.0)) {
      Finding f = make("thread-per-connection-scale");
      f.count = blocking;
      uint64_t stack = pr.process.stack_rlimit_bytes ? pr.process.stack_rlimit_bytes : 8ull << 20;
      f.evidence = fmt::format("{} threads each parked in blocking I/O reserve {} of stack ({} in "
                               "all) and cost {:.1f} context switches per operation",
                               blocking, format_bytes(stack), format_bytes(stack * blocking), sw);
      out.push_back(std::move(f));
    }
  }
}

}  // namespace

std::vector<Finding> find_issues(const Capture& c, const ProcessReport& pr) {
  std::vector<Finding> out;
  flagged_findings(c, pr, out);
  stall_findings(c, pr, out);
  pattern_findings(c, pr, out);
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tuple(static_cast<int>(b.severity), b.total_ns, b.count, a.id, a.tid) <
           std::tuple(static_cast<int>(a.severity), a.total_ns, a.count, b.id, b.tid);
  });
  return out;
}

}  // namespace iotrace
