// Turns a process's capture into findings: blocking on event loops, stalls and wasteful patterns.
#include "src/findings/findings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "src/util/duration.hpp"
#include "src/findings/finding_common.hpp"
#include "src/model/thread_concurrency.hpp"
#include "src/model/thread_role.hpp"
#include "src/output/report.hpp"
#include "src/capture/syscall_table.hpp"
#include "src/model/thread_profile.hpp"

namespace iotrace {
namespace {

double ratio(double a, double b) { return b > 0 ? a / b : 0; }
double ratio(uint64_t a, uint64_t b) { return ratio(static_cast<double>(a), static_cast<double>(b)); }

}  // namespace

Finding make_finding(std::string_view id) {
  const FindingDef* d = finding_def(id);
  Finding f;
  f.id = std::string(id);
  f.severity = d->severity;
  f.title = std::string(d->title);
  f.advice = std::string(d->advice);
  return f;
}

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

const ThreadRecord* thread_of(const Capture& c, uint32_t tid) {
  for (const auto& t : c.threads)
    if (t.tid == tid) return &t;
  return nullptr;
}

std::set<uint32_t> loop_threads(const ProcessReport& pr) {
  std::set<uint32_t> out;
  for (const auto& t : pr.model.threads)
    if (t.role == "event-loop" && t.model != "busy-poll") out.insert(t.tid);
  return out;
}

Severity severity_by_cost(uint64_t total_ns, uint64_t max_ns, uint64_t traced_ns, Severity ceiling) {
  const double share = traced_ns ? static_cast<double>(total_ns) / static_cast<double>(traced_ns) : 0;
  Severity s = Severity::low;
  if (share >= k_share_high || max_ns >= 250'000'000) s = Severity::high;
  else if (share >= k_share_medium || max_ns >= 50'000'000) s = Severity::medium;
  return std::min(s, ceiling);
}

namespace {

void pattern_findings(const Capture& c, const ProcessReport& pr, std::vector<Finding>& out) {
  auto profs = profile_threads(c, pr.process.pid);
  const auto loops = loop_threads(pr);
  // Under edge-triggering, reading until EAGAIN is the contract: an EAGAIN per drained
  // notification is the design, not waste (the trigger is that of the process's connections).
  const bool edge = pr.model.trigger == "edge";
  for (const auto& p : profs) {
    const ThreadRecord& t = *p.thread;
    auto base = [&](std::string_view id) {
      Finding f = make_finding(id);
      f.tid = t.tid;
      f.thread = t.comm;
      return f;
    };
    if (loops.count(t.tid) && t.dns_udp53 > 0 && !pr.process.go_binary) {
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
    if (is_busy_poll(p)) {
      Finding f = base("busy-poll");
      f.count = p.data_eagain;
      f.evidence = fmt::format("thread {} made {} reads/writes/accepts, {} ({:.0f}%) returned "
                               "EAGAIN, with no wait call; {} on CPU",
                               t.tid, tries, p.data_eagain, eagain_share * 100,
                               format_duration(t.oncpu_ns));
      out.push_back(std::move(f));
    } else if (!edge && p.waits() > 0 && p.data_eagain >= 100 && eagain_share >= 0.3) {
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
    if (p.uring_enters >= 100 && c.provides("uring_sqes") && t.uring.sqes > 0 &&
        ratio(t.uring.sqes, p.uring_enters) <= 1.5) {
      Finding f = base("uring-unbatched");
      f.syscall = "io_uring_enter";
      f.count = p.uring_enters;
      f.evidence = fmt::format("{} io_uring_enter calls submitted {} SQEs ({:.2f} per enter) on thread {}",
                               p.uring_enters, t.uring.sqes, ratio(t.uring.sqes, p.uring_enters), t.tid);
      out.push_back(std::move(f));
    }
    // io_submit only queues the request when the I/O can be asynchronous (O_DIRECT); a
    // buffered file, or a full queue, makes it do the I/O itself. The signs: submits that take
    // tens of microseconds, holding a real share of the thread's time, while io_getevents finds
    // the completions already there and does not wait.
    const double submit_avg = ratio(p.aio_submit_ns, p.aio_submits);
    const double getevents_avg = ratio(p.aio_getevents_ns, p.aio_getevents);
    const uint64_t lifetime = t.last_ns > t.first_ns ? t.last_ns - t.first_ns : 0;
    // With O_DIRECT the waiting is in io_getevents; when it is in io_submit instead (ten
    // times the time of io_getevents), the submit did the I/O.
    const bool sync_submits =
        submit_avg >= 100e3 ||
        (submit_avg >= 20e3 && p.aio_getevents_ns * 10 < p.aio_submit_ns &&
         static_cast<double>(p.aio_submit_ns) >= 0.05 * static_cast<double>(lifetime));
    if (p.aio_submits >= 10 && sync_submits) {
      Finding f = base("aio-submit-blocked");
      f.syscall = "io_submit";
      f.count = p.aio_submits;
      f.total_ns = p.aio_submit_ns;
      const std::string share =
          lifetime && p.aio_submit_ns * 100 >= lifetime ? fmt::format(" ({:.0f}% of its time)",
                                 100.0 * static_cast<double>(p.aio_submit_ns) / static_cast<double>(lifetime))
                   : std::string();
      f.evidence = fmt::format("{} io_submit calls took {} each on average on thread {}{}, while its {} "
                               "io_getevents calls took {} each: the I/O ran inside the submit",
                               p.aio_submits, format_duration(p.aio_submit_ns / p.aio_submits), t.tid,
                               share, p.aio_getevents,
                               format_duration(static_cast<uint64_t>(getevents_avg)));
      out.push_back(std::move(f));
    }
  }
  // io_uring counters are spread over submitter, SQPOLL and io-wq threads: judge them per process.
  ThreadRecord sum;
  ThreadProfile all = process_profile(profs, sum);
  const auto& u = sum.uring;
  // A share needs both counts from the kernel, and requests to share: never "N of 0".
  if (c.provides("uring_punts") && c.provides("uring_sqes") && u.sqes > 0 && u.punts >= 10 &&
      ratio(u.punts, u.sqes) >= 0.1) {
    Finding f = make_finding("uring-iowq-punts");
    f.count = u.punts;
    f.evidence = fmt::format("{} of {} io_uring requests ({:.0f}%) were punted to io-wq workers",
                             u.punts, u.sqes, 100 * ratio(u.punts, u.sqes));
    out.push_back(std::move(f));
  }
  if (c.provides("uring_overflows") && u.overflows > 0) {
    Finding f = make_finding("uring-cq-overflow");
    f.count = u.overflows;
    f.evidence = fmt::format("{} completions overflowed the CQ ring", u.overflows);
    out.push_back(std::move(f));
  }
  if (pr.model.model == "blocking") {
    size_t blocking = 0;
    for (const auto& tm : pr.model.threads)
      if (tm.model == "blocking") ++blocking;
    // threads seen over the trace come and go: the stacks reserved together are those alive at once
    const uint32_t peak = std::min<uint32_t>(peak_threads(c, pr.process.pid), static_cast<uint32_t>(blocking));
    double sw = ratio(static_cast<double>(sum.vol_switches + sum.invol_switches),
                      static_cast<double>(all.ops()));
    if (peak >= 200 || (peak >= 50 && sw >= 1.0)) {
      Finding f = make_finding("thread-per-connection-scale");
      f.count = peak;
      uint64_t stack = pr.process.stack_rlimit_bytes ? pr.process.stack_rlimit_bytes : 8ull << 20;
      f.evidence = fmt::format("{} threads did blocking I/O, up to {} at once; each reserves {} of "
                               "stack ({} at the peak), and the process made {:.1f} context switches "
                               "per operation",
                               blocking, peak, format_bytes(stack), format_bytes(stack * peak), sw);
      out.push_back(std::move(f));
    }
  }
}

}  // namespace

std::vector<Finding> find_issues(const Capture& c, const ProcessReport& pr) {
  std::vector<Finding> out;
  loop_findings(c, pr, out);
  pattern_findings(c, pr, out);
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tuple(static_cast<int>(b.severity), b.total_ns, b.count, a.id, a.tid) <
           std::tuple(static_cast<int>(a.severity), a.total_ns, a.count, b.id, b.tid);
  });
  return out;
}

}  // namespace iotrace
