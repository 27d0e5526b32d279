// Findings about event-loop threads: calls that stopped a loop and iterations that stalled it.
// A wait is a loop problem when it kept work waiting, so each is judged by what the thread did
// meanwhile: asleep in a call the code chose to make (a disk read, fsync, a sleep, a blocking
// socket, a resolver) is the code's stall; runnable but waiting for a CPU is the machine's;
// asleep on a futex is what runtimes do when they park an idle worker, and iotrace cannot see
// from the thread alone whether events waited meanwhile, so it says that at info level.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "src/util/duration.hpp"
#include "src/findings/finding_common.hpp"
#include "src/capture/syscall_table.hpp"

namespace iotrace {
namespace {

bool is_futex(Arch arch, int nr) {
  const std::string n = syscall_name(arch, nr);
  return n == "futex" || n == "futex_wait" || n == "futex_waitv";
}

// What dominated a stretch of a loop thread's time.
enum class Spent { asleep, runq, cpu };
Spent dominant(uint64_t total, uint64_t sleep, uint64_t runq) {
  const uint64_t cpu = total > sleep + runq ? total - sleep - runq : 0;
  if (runq >= sleep && runq >= cpu) return Spent::runq;
  return sleep >= cpu ? Spent::asleep : Spent::cpu;
}

}  // namespace

std::string flagged_finding_id(Arch arch, const FlaggedCall& fc) {
  switch (fc.kind) {
    case FlagKind::risk: return "blocking-risk-on-loop";
    case FlagKind::et_undrained: return "et-not-drained";
    case FlagKind::dns: return "sync-dns-on-loop";
    case FlagKind::slow: break;
  }
  // what the site's calls, slow and fast, spent their time on names the problem
  switch (dominant(fc.total_ns, fc.sleep_ns, fc.runq_ns)) {
    case Spent::runq: return "preempted-on-loop";
    case Spent::cpu: return "slow-call-on-loop";
    case Spent::asleep: break;
  }
  return is_futex(arch, fc.nr) ? "lock-wait-on-loop" : "blocking-call-on-loop";
}

namespace {

std::string stack_key(const Stack& s) {
  std::string key = s.lost ? "lost" : "";
  for (const auto& fr : s.frames)
    key += fmt::format("{}:{}:{}:{};", fr.module, fr.symbol.empty() ? "" : fr.symbol,
                       fr.symbol.empty() ? fr.offset : fr.sym_offset, fr.line);
  return key;
}

void add_calls(FlaggedCall& m, const FlaggedCall& f) {
  m.count += f.count;
  m.total_ns += f.total_ns;
  m.max_ns = std::max(m.max_ns, f.max_ns);
  m.sleep_ns += f.sleep_ns;
  m.runq_ns += f.runq_ns;
  m.queued_bytes += f.queued_bytes;
  m.hist.merge(f.hist);
  if (f.stack.truncated && !m.stack.truncated) {
    m.stack.truncated = true;
    m.stack.cut_reason = f.stack.cut_reason;
  }
}

// The kernel keys call sites by raw stack; frames past the unwinder's reach differ between
// calls from one site, so merge sites whose symbolized stacks are the same.
std::vector<FlaggedCall> merge_sites(const std::vector<FlaggedCall>& in) {
  std::map<std::tuple<uint32_t, int, FdKind, FlagKind, std::string>, FlaggedCall> by;
  for (const auto& f : in) {
    auto [it, fresh] = by.try_emplace({f.tid, f.nr, f.fd_kind, f.kind, stack_key(f.stack)}, f);
    if (!fresh) add_calls(it->second, f);
  }
  std::vector<FlaggedCall> out;
  for (auto& [k, v] : by) out.push_back(std::move(v));
  return out;
}

// One call site's calls on the loop: those that passed the block threshold (slow) and those
// that were fast this time (risk) are judged together, by their share of the loop's time.
struct Site {
  FlaggedCall calls;       // all of them
  FlaggedCall slow, fast;  // the two parts (count 0 when absent)
};

std::vector<Site> call_sites(const std::vector<FlaggedCall>& in) {
  std::map<std::tuple<uint32_t, int, FdKind, std::string>, size_t> slow_at;
  std::vector<Site> out;
  const auto merged = merge_sites(in);
  for (const auto& f : merged)
    if (f.kind == FlagKind::slow) {
      slow_at[{f.tid, f.nr, f.fd_kind, stack_key(f.stack)}] = out.size();
      out.push_back({f, f, FlaggedCall{}});
    }
  for (const auto& f : merged) {
    if (f.kind == FlagKind::slow) continue;
    auto it = f.kind == FlagKind::risk ? slow_at.find({f.tid, f.nr, f.fd_kind, stack_key(f.stack)})
                                       : slow_at.end();
    if (it == slow_at.end()) {
      out.push_back({f, FlaggedCall{}, FlaggedCall{}});
      continue;
    }
    Site& s = out[it->second];
    add_calls(s.calls, f);
    s.fast = f;
  }
  return out;
}

uint64_t traced_ns(const Capture& c, const ProcessReport& pr) {
  return pr.process.traced_ns ? pr.process.traced_ns : c.duration_ns;
}

void flagged_findings(const Capture& c, const ProcessReport& pr, const std::set<uint32_t>& loops,
                      std::vector<Finding>& out) {
  const std::string& rt = pr.model.runtime;
  const uint64_t loop_ns = traced_ns(c, pr);
  for (const auto& site : call_sites(c.flagged)) {
    const FlaggedCall& fc = site.calls;
    const ThreadRecord* t = thread_of(c, fc.tid);
    if (!t || t->pid != pr.process.pid || !loops.count(fc.tid)) continue;
    std::string id;
    if (fc.kind == FlagKind::risk) {
      // a futex that returned at once is an uncontended lock: nothing to say
      if (is_futex(c.arch, fc.nr)) continue;
      id = "blocking-risk-on-loop";
    } else if (fc.kind == FlagKind::et_undrained) {
      id = "et-not-drained";
    } else if (fc.kind == FlagKind::dns) {
      // The function's name says where to look, not what happened: a lookup waits on a
      // resolver (asleep inside the call) or queries port 53 from the thread. Calls that
      // never slept and sent nothing converted numeric addresses or hit a cache.
      if (fc.sleep_ns == 0 && t->dns_udp53 == 0) continue;
      id = "sync-dns-on-loop";
    } else {
      id = flagged_finding_id(c.arch, fc);
    }
    Finding f = make_finding(id);
    f.tid = fc.tid;
    f.thread = t->comm;
    f.syscall = syscall_name(c.arch, fc.nr);
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
      f.evidence = fmt::format("{} times thread {} ({}) went back to waiting after a {} on an "
                               "edge-triggered {} socket that left data queued when it returned, "
                               "with no read after it ({} bytes still unread at the waits): those "
                               "bytes raise no new event",
                               fc.count, fc.tid, t->comm, f.syscall, fd_kind_name(fc.fd_kind),
                               fc.queued_bytes);
      f.total_ns = 0;
      f.advice = runtime_advice(rt, f.advice);
      out.push_back(std::move(f));
      continue;
    }
    const double share = loop_ns ? 100.0 * static_cast<double>(fc.total_ns) / static_cast<double>(loop_ns) : 0;
    f.evidence = fmt::format("{}{} ran {} times on event-loop thread {} ({}): {} in total ({:.{}f}% of "
                             "the loop's time), max {}; asleep {}, waiting for CPU {}",
                             f.syscall, on, fc.count, fc.tid, t->comm, format_duration(fc.total_ns),
                             share, share < 1 ? 2 : 0, format_duration(fc.max_ns),
                             format_duration(fc.sleep_ns), format_duration(fc.runq_ns));
    if (site.fast.count)
      f.evidence += fmt::format("; {} of the calls took longer than {} ({} in all), the other {} were "
                                "fast this time ({} in all)",
                                site.slow.count, format_duration(c.settings.block_ns),
                                format_duration(site.slow.total_ns), site.fast.count,
                                format_duration(site.fast.total_ns));
    if (id == "lock-wait-on-loop")
      f.evidence += ". A runtime that parks an idle worker on a futex waits like this with "
                    "nothing to do; it stalled the loop only if events were ready meanwhile, "
                    "which the thread's calls do not show";
    if (id == "blocking-call-on-loop" || id == "slow-call-on-loop" || id == "sync-dns-on-loop")
      f.severity = severity_by_cost(fc.total_ns, fc.max_ns, loop_ns, f.severity);
    // a risk was fast each time: its time on CPU is the loop's ordinary work, and it is severe
    // only when its calls, each too short to flag, slept a real share of the loop's time
    if (id == "blocking-risk-on-loop") f.severity = severity_by_cost(fc.sleep_ns, 0, loop_ns, f.severity);
    if (id != "preempted-on-loop" && id != "lock-wait-on-loop") f.advice = runtime_advice(rt, f.advice);
    out.push_back(std::move(f));
  }
}

// Stalls, one finding per thread and kind: the fix differs with what the time went to.
void stall_findings(const Capture& c, const ProcessReport& pr, const std::set<uint32_t>& loops,
                    std::vector<Finding>& out) {
  struct Agg {
    uint64_t n = 0, total = 0, max = 0, sys = 0, sleep = 0, runq = 0, cpu = 0;
    Histogram hist;
    const Stall* worst = nullptr;
  };
  std::map<std::pair<uint32_t, std::string>, Agg> by;
  for (const auto& s : c.stalls) {
    const ThreadRecord* t = thread_of(c, s.tid);
    if (!t || t->pid != pr.process.pid || !loops.count(s.tid)) continue;
    // Run-queue delay is not the loop's doing: a CPU stall is one whose CPU time alone passes
    // the threshold, or dominates both sleeping and waiting for a CPU.
    std::string kind;
    if (s.cpu_ns >= c.settings.stall_ns || (s.cpu_ns >= s.sleep_ns && s.cpu_ns >= s.runq_ns))
      kind = "cpu-stall";
    else if (s.runq_ns >= s.sleep_ns)
      kind = "loop-preempted";
    else if (s.max_nr >= 0 && is_futex(c.arch, s.max_nr))  // asleep, and the longest call a futex wait
      kind = "lock-wait-on-loop";
    else
      kind = "loop-stall";
    Agg& a = by[{s.tid, kind}];
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
    if (t.pid != pr.process.pid || !t.stalls || received.count(t.tid) || !c.losses.ringbuf ||
        !loops.count(t.tid))
      continue;
    Finding f = make_finding("loop-stall");
    f.tid = t.tid;
    f.thread = t.comm;
    f.count = t.stalls;
    f.severity = Severity::medium;  // counted, but what they spent their time on is unknown
    f.evidence = fmt::format(
        "{} iterations of the loop on thread {} ({}) took longer than {}; their details were lost "
        "(ring buffer full: see losses)",
        t.stalls, t.tid, t.comm, format_duration(c.settings.stall_ns));
    f.advice = runtime_advice(pr.model.runtime, f.advice);
    out.push_back(std::move(f));
  }
  for (const auto& [key, a] : by) {
    const std::string& kind = key.second;
    Finding f = make_finding(kind);
    f.tid = key.first;
    const ThreadRecord* t = thread_of(c, key.first);
    f.thread = t ? t->comm : std::string();
    f.count = a.n;
    f.total_ns = a.total;
    f.max_ns = a.max;
    f.p50_ns = a.hist.percentile(0.5, a.max);
    f.p99_ns = a.hist.percentile(0.99, a.max);
    f.sleep_ns = a.sleep;
    f.runq_ns = a.runq;
    if (a.worst && a.worst->max_nr >= 0) {
      f.syscall = syscall_name(c.arch, a.worst->max_nr);
      f.stack = a.worst->stack;
    }
    f.evidence = fmt::format(
        "{} iterations of the loop on thread {} ({}) took longer than {} (max {}): {} in syscalls, "
        "{} asleep, {} waiting for CPU, {} on CPU{}",
        a.n, key.first, f.thread, format_duration(c.settings.stall_ns), format_duration(a.max),
        format_duration(a.sys), format_duration(a.sleep), format_duration(a.runq),
        format_duration(a.cpu),
        f.syscall.empty() ? "" : fmt::format("; the longest call was {}", f.syscall));
    if (kind == "loop-preempted")
      f.evidence += fmt::format(": the thread was runnable but the machine gave it no CPU for {:.0f}% "
                                "of that time", 100.0 * static_cast<double>(a.runq) /
                                                    static_cast<double>(std::max<uint64_t>(a.total, 1)));
    if (kind == "lock-wait-on-loop")
      f.evidence += ", asleep on a futex. A runtime that parks an idle worker on a futex waits like "
                    "this with nothing to do; it stalled the loop only if events were ready "
                    "meanwhile, which the thread's calls do not show";
    uint64_t lost = undetailed(key.first);
    received.erase(key.first);  // said once per thread, on its first stall finding
    if (lost)
      f.evidence += fmt::format("; {} more stalls on this thread were counted without details "
                                "(ring buffer full: see losses)", lost);
    if (kind == "loop-stall" || kind == "cpu-stall")
      f.severity = severity_by_cost(a.total, a.max, traced_ns(c, pr), f.severity);
    if (kind == "loop-stall" || kind == "cpu-stall") f.advice = runtime_advice(pr.model.runtime, f.advice);
    out.push_back(std::move(f));
  }
}

}  // namespace

void loop_findings(const Capture& c, const ProcessReport& pr, std::vector<Finding>& out) {
  // Go's netpoller runs on whichever thread is idle: there is no dedicated loop thread, and
  // the scheduler's own sleeps and futex waits are not stalls of anything.
  if (pr.process.go_binary) return;
  const auto loops = loop_threads(pr);
  flagged_findings(c, pr, loops, out);
  stall_findings(c, pr, loops, out);
}

}  // namespace iotrace
