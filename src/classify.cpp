#include "src/classify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "src/duration.hpp"
#include "src/report.hpp"
#include "src/thread_profile.hpp"

namespace iotrace {
namespace {

constexpr uint32_t k_epollet = 1u << 31, k_epolloneshot = 1u << 30, k_epollexclusive = 1u << 28;
// Below this many calls in a thread there is too little to say anything.
constexpr uint64_t k_min_calls = 5;
// Busy polling: EAGAIN returns with no wait in between, at least this many and this share.
constexpr uint64_t k_busy_min_eagain = 100;
constexpr double k_busy_min_share = 0.5;

double clamp01(double v) { return std::clamp(v, 0.0, 1.0); }
double ratio(double a, double b) { return b > 0 ? a / b : 0; }

struct WaitKinds {
  uint64_t epoll = 0, select = 0, poll = 0, uring = 0, aio = 0;
};

WaitKinds waits_of(const ThreadProfile& p) {
  return {p.epoll_waits, p.select_calls, p.poll_calls, p.thread->uring.enter_getevents,
          p.aio_getevents};
}

// The multiplexer models a thread waits in, largest first; minor ones (under 10% of waits)
// are ignored so that one stray poll() in an epoll loop does not make it "mixed".
std::vector<std::string> loop_models(const ThreadProfile& p) {
  WaitKinds w = waits_of(p);
  std::vector<std::pair<uint64_t, std::string>> kinds = {
      {w.epoll, "epoll"}, {w.select, "select"}, {w.poll, "poll"},
      {w.uring, "io_uring"}, {w.aio, "linux-aio"}};
  uint64_t total = w.epoll + w.select + w.poll + w.uring + w.aio;
  std::stable_sort(kinds.begin(), kinds.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (const auto& [n, name] : kinds)
    if (n && static_cast<double>(n) >= 0.1 * static_cast<double>(total)) out.push_back(name);
  return out;
}

bool is_busy_poll(const ThreadProfile& p) {
  uint64_t eagain = p.data_eagain;
  uint64_t tries = p.data_ops + eagain;
  return p.waits() == 0 && eagain >= k_busy_min_eagain &&
         ratio(static_cast<double>(eagain), static_cast<double>(tries)) >= k_busy_min_share;
}

bool does_blocking_io(const ThreadProfile& p) {
  return p.sock_blocking_calls > 0 || p.file_reads + p.file_writes > 0 || p.fsyncs > 0;
}

ThreadModel classify_thread(const ThreadProfile& p) {
  ThreadModel m;
  const ThreadRecord& t = *p.thread;
  m.tid = t.tid;
  const auto add = [&](const char* name, double v) { m.evidence.push_back({name, v}); };
  add("calls", static_cast<double>(p.calls));
  if (t.io_worker) {
    bool sqpoll = t.comm.rfind("iou-sqp", 0) == 0;
    m.role = sqpoll ? "sqpoll" : "io-worker";
    m.model = "io_uring";
    add("sqes", static_cast<double>(t.uring.sqes));
    m.sentence = sqpoll ? fmt::format("kernel SQPOLL thread: submitted {} SQEs without io_uring_enter",
                                      t.uring.sqes)
                        : fmt::format("io-wq worker: ran {} io_uring requests as blocking kernel work",
                                      t.uring.cqes + t.uring.sqes);
    m.confidence = 1.0;
    return m;
  }
  auto loops = loop_models(p);
  if (!loops.empty()) {
    m.role = "event-loop";
    m.model = loops.size() == 1 ? loops[0] : "mixed";
    add("waits", static_cast<double>(p.waits()));
    std::string detail;
    if (p.epoll_waits) {
      add("events_per_wait", ratio(p.epoll_events, p.epoll_waits));
      detail = fmt::format("{} epoll waits, {:.1f} events per wait", p.epoll_waits,
                           ratio(p.epoll_events, p.epoll_waits));
      const auto& e = t.epoll;
      if (e.edge || e.level) m.trigger = e.edge && e.level ? "mixed" : e.edge ? "edge" : "level";
    }
    if (p.select_calls)
      detail += fmt::format("{}{} select calls, {:.0f} fds per call, {:.1f} ready", detail.empty() ? "" : "; ",
                            p.select_calls, ratio(p.select_nfds, p.select_calls),
                            ratio(p.select_ready, p.select_calls));
    if (p.poll_calls)
      detail += fmt::format("{}{} poll calls, {:.0f} fds per call, {:.1f} ready", detail.empty() ? "" : "; ",
                            p.poll_calls, ratio(p.poll_nfds, p.poll_calls),
                            ratio(p.poll_ready, p.poll_calls));
    if (t.uring.enter_getevents)
      detail += fmt::format("{}{} io_uring_enter waits", detail.empty() ? "" : "; ",
                            t.uring.enter_getevents);
    if (p.aio_getevents)
      detail += fmt::format("{}{} io_getevents waits", detail.empty() ? "" : "; ", p.aio_getevents);
    m.sentence = fmt::format("waits in {} ({})", fmt::join(loops, " and "), detail);
    m.confidence = clamp01(0.5 + static_cast<double>(p.waits()) / 100.0);
    return m;
  }
  if (p.uring_enters || t.uring.sqes || t.uring.cqes) {
    // submits without waiting in the kernel: SQPOLL users peek the CQ, others spin on it
    m.role = "event-loop";
    m.model = "io_uring";
    add("uring_enters", static_cast<double>(p.uring_enters));
    m.sentence = fmt::format("uses io_uring without waiting in io_uring_enter ({} enters, {} SQEs, "
                             "{} CQEs): completions are peeked from the ring",
                             p.uring_enters, t.uring.sqes, t.uring.cqes);
    m.confidence = clamp01(0.5 + static_cast<double>(t.uring.cqes + p.uring_enters) / 100.0);
    return m;
  }
  if (p.aio_submits) {
    m.role = "event-loop";
    m.model = "linux-aio";
    m.sentence = fmt::format("submits Linux AIO ({} io_submit calls) without waiting in io_getevents",
                             p.aio_submits);
    m.confidence = 0.6;
    return m;
  }
  if (is_busy_poll(p)) {
    m.role = "event-loop";
    m.model = "busy-poll";
    double share = ratio(p.data_eagain, p.data_ops + p.data_eagain);
    add("eagain", static_cast<double>(p.data_eagain));
    add("eagain_share", share);
    m.sentence = fmt::format("polls non-blocking fds with no wait call: {} of {} reads/writes/accepts "
                             "returned EAGAIN ({:.0f}%), burning {} of CPU",
                             p.data_eagain, p.data_ops + p.data_eagain, share * 100,
                             format_duration(t.oncpu_ns));
    m.confidence = clamp01(0.5 + share / 2);
    return m;
  }
  if (does_blocking_io(p)) {
    m.role = "io-worker";
    m.model = "blocking";
    add("blocking_socket_calls", static_cast<double>(p.sock_blocking_calls));
    add("file_calls", static_cast<double>(p.file_reads + p.file_writes));
    m.sentence = fmt::format("does blocking I/O with no multiplexer: {} socket calls on blocking "
                             "sockets, {} regular-file reads/writes",
                             p.sock_blocking_calls, p.file_reads + p.file_writes);
    m.confidence = clamp01(0.4 + static_cast<double>(p.sock_blocking_calls + p.file_reads + p.file_writes) / 50.0);
    return m;
  }
  if (p.calls < k_min_calls) {
    m.role = "idle";
    m.model = "idle";
    m.sentence = fmt::format("made {} syscalls while traced: too few to say", p.calls);
    m.confidence = 1.0;
    return m;
  }
  bool cpu_bound = t.oncpu_ns > 10 * std::max<uint64_t>(p.syscall_ns, 1);
  m.role = cpu_bound ? "compute" : "idle";
  m.model = "unknown";
  m.sentence = fmt::format("made {} syscalls but none of them I/O iotrace models{}", p.calls,
                           cpu_bound ? fmt::format("; {} on CPU", format_duration(t.oncpu_ns)) : "");
  m.confidence = 0.3;
  return m;
}

void epoll_modes(const Capture& c, const ProcessReport& pr, ProcessModel& m) {
  uint64_t edge = 0, level = 0, oneshot = 0, exclusive = 0;
  std::set<std::string> kinds;
  for (const auto& t : c.threads) {
    if (t.pid != pr.process.pid) continue;
    edge += t.epoll.edge;
    level += t.epoll.level;
    oneshot += t.epoll.oneshot;
    exclusive += t.epoll.exclusive;
    for (int k = 0; k < k_fd_kind_count; ++k)
      if (t.epoll.fd_kinds[k]) kinds.insert(std::string(fd_kind_name(static_cast<FdKind>(k))));
  }
  // Registrations made before the trace started are in /proc/PID/fdinfo.
  uint64_t fd_edge = 0, fd_level = 0;
  for (const auto& inst : pr.process.epoll)
    for (const auto& e : inst.entries) {
      (e.events & k_epollet ? fd_edge : fd_level)++;
      if (e.events & k_epolloneshot) ++oneshot;
      if (e.events & k_epollexclusive) ++exclusive;
      kinds.insert(std::string(fd_kind_name(e.kind)));
    }
  edge += fd_edge;
  level += fd_level;
  if (edge || level) m.trigger = edge && level ? "mixed" : edge ? "edge" : "level";
  m.oneshot = oneshot > 0;
  m.exclusive = exclusive > 0;
  m.interest_kinds.assign(kinds.begin(), kinds.end());
  m.evidence.push_back({"registrations_edge", static_cast<double>(edge)});
  m.evidence.push_back({"registrations_level", static_cast<double>(level)});
}

std::string blocking_sentence(const ProcessReport& pr, const std::vector<ThreadProfile>& profs,
                              size_t workers) {
  uint64_t sock = 0, ops = 0, switches = 0;
  for (const auto& p : profs) {
    sock += p.sock_blocking_calls;
    ops += p.ops();
    switches += p.thread->vol_switches + p.thread->invol_switches;
  }
  uint64_t stack = pr.process.stack_rlimit_bytes ? pr.process.stack_rlimit_bytes : 8ull << 20;
  return fmt::format(
      "{} threads do blocking I/O with no multiplexer ({} calls on blocking sockets): "
      "thread-per-connection. Each thread reserves {} of stack (RLIMIT_STACK), so 10,000 "
      "connections would reserve {} of address space; {:.1f} context switches per operation",
      workers, sock, format_bytes(stack), format_bytes(stack * 10000),
      ratio(static_cast<double>(switches), static_cast<double>(ops)));
}

}  // namespace

std::string detect_runtime(const ProcessRecord& p, std::string* evidence) {
  auto has_lib = [&](std::string_view prefix) {
    for (const auto& l : p.libraries)
      if (l.rfind(prefix, 0) == 0) return l;
    return std::string();
  };
  std::string exe = p.exe.substr(p.exe.rfind('/') + 1);
  auto found = [&](const char* rt, const std::string& why) {
    if (evidence) *evidence = why;
    return std::string(rt);
  };
  if (exe == "node" || exe == "nodejs") return found("libuv/Node.js", "executable " + exe);
  if (auto l = has_lib("libuv"); !l.empty()) return found("libuv", "maps " + l);
  if (exe.rfind("python", 0) == 0) {
    for (const auto& l : p.libraries)
      if (l.find("uvloop") != std::string::npos || l.rfind("loop.cpython", 0) == 0)
        return found("python-uvloop", "maps " + l);
    if (auto l = has_lib("_asyncio"); !l.empty()) return found("python-asyncio", "maps " + l);
    return found("python", "executable " + exe);
  }
  if (exe == "java") {
    if (auto l = has_lib("libnetty"); !l.empty()) return found("java-netty", "maps " + l);
    return found("java-nio", "executable java");
  }
  if (auto l = has_lib("libjvm"); !l.empty()) return found("java-nio", "maps " + l);
  if (auto l = has_lib("libevent"); !l.empty()) return found("libevent", "maps " + l);
  if (auto l = has_lib("libev."); !l.empty()) return found("libev", "maps " + l);
  if (auto l = has_lib("libglib-2.0"); !l.empty()) return found("glib", "maps " + l);
  if (exe == "nginx") return found("nginx", "executable nginx");
  if (exe == "redis-server" || exe == "valkey-server") return found("redis-ae", "executable " + exe);
  return {};
}

ProcessModel classify_process(const Capture& c, const ProcessReport& pr) {
  ProcessModel m;
  auto profs = profile_threads(c, pr.process.pid);
  std::set<std::string> loop_parts;
  size_t loop_threads = 0, workers = 0, conn_threads = 0, busy = 0, sqpoll = 0, iowq = 0;
  uint64_t total_calls = 0;
  for (const auto& p : profs) {
    auto tm = classify_thread(p);
    total_calls += p.calls;
    if (tm.role == "event-loop") {
      if (tm.model == "busy-poll") ++busy;
      else {
        ++loop_threads;
        for (const auto& part : loop_models(p)) loop_parts.insert(part);
        if (tm.model == "io_uring" && loop_models(p).empty()) loop_parts.insert("io_uring");
        if (tm.model == "linux-aio" && loop_models(p).empty()) loop_parts.insert("linux-aio");
      }
    } else if (tm.role == "io-worker" && tm.model == "blocking") {
      // pool workers do file or other blocking work; threads parked on sockets serve connections
      if (p.sock_blocking_calls > p.file_reads + p.file_writes + p.fsyncs) ++conn_threads;
      else ++workers;
    } else if (tm.role == "sqpoll") {
      ++sqpoll;
      loop_parts.insert("io_uring");
    } else if (tm.role == "io-worker") {
      ++iowq;
    }
    m.threads.push_back(std::move(tm));
  }
  m.runtime = detect_runtime(pr.process, &m.runtime_evidence);
  m.evidence.push_back({"threads", static_cast<double>(profs.size())});
  m.evidence.push_back({"loop_threads", static_cast<double>(loop_threads)});
  m.evidence.push_back({"pool_threads", static_cast<double>(workers)});
  m.evidence.push_back({"blocking_socket_threads", static_cast<double>(conn_threads)});
  m.evidence.push_back({"busy_poll_threads", static_cast<double>(busy)});
  m.evidence.push_back({"calls", static_cast<double>(total_calls)});
  if (loop_parts.count("epoll")) epoll_modes(c, pr, m);

  std::vector<std::string> parts(loop_parts.begin(), loop_parts.end());
  if (busy) parts.push_back("busy-poll");
  if (conn_threads && !loop_parts.empty()) parts.push_back("blocking");
  std::string loops_text = fmt::format("{} event-loop thread{} waiting in {}", loop_threads,
                                       loop_threads == 1 ? "" : "s", fmt::join(loop_parts, " and "));
  if (!loop_parts.empty() && workers > 0 && !conn_threads && !busy) {
    // blocking I/O beside a loop: a pool doing work on the loop's behalf
    parts.push_back("threadpool");
    m.model = parts.size() == 2 ? "threadpool" : "mixed";
    m.sentence = fmt::format("{}, with {} pool thread{} doing the blocking I/O", loops_text, workers,
                             workers == 1 ? "" : "s");
  } else if (!parts.empty()) {
    if (workers && !loop_parts.empty()) parts.push_back("threadpool");
    m.model = parts.size() == 1 ? parts[0] : "mixed";
    if (busy && loop_parts.empty())
      m.sentence = fmt::format("{} thread{} poll{} non-blocking fds in a loop with no wait call",
                               busy, busy == 1 ? "" : "s", busy == 1 ? "s" : "");
    else
      m.sentence = loops_text;
    if (sqpoll) m.sentence += fmt::format("; submissions by {} SQPOLL kernel thread{}", sqpoll,
                                          sqpoll == 1 ? "" : "s");
    if (iowq) m.sentence += fmt::format("; {} io-wq worker{} ran punted requests", iowq,
                                        iowq == 1 ? "" : "s");
  } else if (workers + conn_threads > 0) {
    m.model = "blocking";
    parts.push_back("blocking");
    m.sentence = blocking_sentence(pr, profs, workers + conn_threads);
  } else if (total_calls < k_min_calls * std::max<size_t>(profs.size(), 1)) {
    m.model = "idle";
    m.sentence = fmt::format("{} syscalls in {}: too little activity to classify", total_calls,
                             format_duration(pr.process.traced_ns));
  } else {
    m.model = "unknown";
    m.sentence = fmt::format("{} syscalls, none of them the I/O calls iotrace classifies by", total_calls);
  }
  if (m.model == "epoll" || (m.model == "threadpool" && loop_parts.count("epoll"))) {
    if (!m.trigger.empty()) m.sentence += fmt::format(", {}-triggered", m.trigger);
    if (m.oneshot) m.sentence += ", EPOLLONESHOT";
    if (m.exclusive) m.sentence += ", EPOLLEXCLUSIVE";
  }
  m.parts = parts;
  double conf = 0;
  for (const auto& t : m.threads)
    if (t.role != "idle") conf = std::max(conf, t.confidence);
  m.confidence = m.model == "idle" ? 1.0 : m.model == "unknown" ? 0.0 : conf;
  return m;
}

}  // namespace iotrace
