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
  return {p.epoll_waits, p.select_calls, p.poll_calls - p.poll_single_calls,
          p.thread->uring.enter_getevents, p.aio_getevents};
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

// Async submission interfaces a thread feeds without waiting in them: io_uring SQEs whose
// completions it peeks (often woken by an eventfd in its epoll set), io_submit likewise.
bool submits_uring(const ThreadProfile& p) {
  return std::max(p.uring_enters, p.thread->uring.sqes) >= k_min_calls;
}
bool submits_aio(const ThreadProfile& p) { return p.aio_submits >= k_min_calls; }

// Every model a thread takes part in: the multiplexers it waits in, then the async
// interfaces it only submits to.
std::vector<std::string> thread_parts(const ThreadProfile& p) {
  auto out = loop_models(p);
  auto add = [&](const char* name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  if (!out.empty() && submits_uring(p)) add("io_uring");
  if (!out.empty() && submits_aio(p)) add("linux-aio");
  return out;
}

const char* uring_op_name(size_t op) {
  static constexpr const char* k_names[] = {
      "nop", "readv", "writev", "fsync", "read_fixed", "write_fixed", "poll_add", "poll_remove",
      "sync_file_range", "sendmsg", "recvmsg", "timeout", "timeout_remove", "accept",
      "async_cancel", "link_timeout", "connect", "fallocate", "openat", "close", "files_update",
      "statx", "read", "write", "fadvise", "madvise", "send", "recv", "openat2", "epoll_ctl",
      "splice", "provide_buffers", "remove_buffers", "tee", "shutdown", "renameat", "unlinkat",
      "mkdirat", "symlinkat", "linkat", "msg_ring", "fsetxattr", "setxattr", "fgetxattr",
      "getxattr", "socket", "uring_cmd", "send_zc", "sendmsg_zc", "read_multishot", "waitid",
      "futex_wait", "futex_wake", "futex_waitv", "fixed_fd_install", "ftruncate", "bind", "listen"};
  return op < std::size(k_names) ? k_names[op] : nullptr;
}

// "recv 3208, send 3200, accept 8": the io_uring opcodes seen, most used first.
std::string uring_ops_text(const std::array<uint64_t, k_uring_ops>& ops) {
  std::vector<std::pair<uint64_t, size_t>> used;
  for (size_t i = 0; i < ops.size(); ++i)
    if (ops[i]) used.push_back({ops[i], i});
  std::stable_sort(used.begin(), used.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> parts;
  for (const auto& [n, op] : used) {
    const char* name = uring_op_name(op);
    parts.push_back(name ? fmt::format("{} {}", name, n) : fmt::format("op{} {}", op, n));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

bool is_busy_poll(const ThreadProfile& p) {
  uint64_t eagain = p.data_eagain;
  uint64_t tries = p.data_ops + eagain;
  return p.waits() == 0 && eagain >= k_busy_min_eagain &&
         ratio(static_cast<double>(eagain), static_cast<double>(tries)) >= k_busy_min_share;
}

bool does_blocking_io(const ThreadProfile& p) {
  return p.sock_blocking_calls > 0 || p.file_reads + p.file_writes > 0 || p.fsyncs > 0 ||
         (p.poll_single_calls > 0 && p.sock_reads + p.sock_writes + p.accepts > 0);
}

// Blocking waits on sockets: calls on blocking sockets and one-fd polls before socket calls.
uint64_t socket_blocking_waits(const ThreadProfile& p) {
  return p.sock_blocking_calls + (p.sock_reads + p.sock_writes + p.accepts ? p.poll_single_calls : 0);
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
  auto loops = thread_parts(p);
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
    if (p.poll_calls > p.poll_single_calls)
      detail += fmt::format("{}{} poll calls, {:.0f} fds per call, {:.1f} ready", detail.empty() ? "" : "; ",
                            p.poll_calls, ratio(p.poll_nfds, p.poll_calls),
                            ratio(p.poll_ready, p.poll_calls));
    const bool uring = std::find(loops.begin(), loops.end(), "io_uring") != loops.end();
    if (uring) {
      add("uring_enters", static_cast<double>(p.uring_enters));
      add("uring_sqes", static_cast<double>(t.uring.sqes));
      add("uring_cqes", static_cast<double>(t.uring.cqes));
    }
    if (t.uring.enter_getevents)
      detail += fmt::format("{}{} io_uring_enter waits", detail.empty() ? "" : "; ",
                            t.uring.enter_getevents);
    else if (uring)
      detail += fmt::format("{}submits io_uring without waiting in it ({} io_uring_enter calls, "
                            "{} SQEs): completions are peeked from the ring",
                            detail.empty() ? "" : "; ", p.uring_enters, t.uring.sqes);
    if (uring && t.uring.sqes) detail += fmt::format("; opcodes: {}", uring_ops_text(t.uring.ops));
    if (p.aio_getevents)
      detail += fmt::format("{}{} io_getevents waits", detail.empty() ? "" : "; ", p.aio_getevents);
    else if (std::find(loops.begin(), loops.end(), "linux-aio") != loops.end())
      detail += fmt::format("{}submits Linux AIO ({} io_submit calls) without waiting in io_getevents",
                            detail.empty() ? "" : "; ", p.aio_submits);
    if (p.aio_submits) {
      add("aio_submits", static_cast<double>(p.aio_submits));
      add("aio_iocbs_per_submit", ratio(p.aio_iocbs, p.aio_submits));
    }
    const auto waits = loop_models(p);
    m.sentence = fmt::format("waits in {} ({})", fmt::join(waits, " and "), detail);
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

std::string trigger_of(uint64_t edge, uint64_t level) {
  if (!edge && !level) return {};
  return edge && level ? "mixed" : edge ? "edge" : "level";
}

// Triggering modes of the process's epoll registrations: those made while traced (epoll_ctl)
// and those in the interest lists (/proc/PID/fdinfo), which include registrations made before
// the trace started. Returns the trigger seen in fdinfo alone.
std::string epoll_modes(const Capture& c, const ProcessReport& pr, ProcessModel& m) {
  uint64_t ctl_edge = 0, ctl_level = 0, oneshot = 0, exclusive = 0;
  std::set<std::string> kinds;
  for (const auto& t : c.threads) {
    if (t.pid != pr.process.pid) continue;
    ctl_edge += t.epoll.edge;
    ctl_level += t.epoll.level;
    oneshot += t.epoll.oneshot;
    exclusive += t.epoll.exclusive;
    for (int k = 0; k < k_fd_kind_count; ++k)
      if (t.epoll.fd_kinds[k]) kinds.insert(std::string(fd_kind_name(static_cast<FdKind>(k))));
  }
  uint64_t fd_edge = 0, fd_level = 0, fd_oneshot = 0, fd_exclusive = 0;
  for (const auto& inst : pr.process.epoll)
    for (const auto& e : inst.entries) {
      (e.events & k_epollet ? fd_edge : fd_level)++;
      if (e.events & k_epolloneshot) ++fd_oneshot;
      if (e.events & k_epollexclusive) ++fd_exclusive;
      kinds.insert(std::string(fd_kind_name(e.kind)));
    }
  // /proc names every socket "socket:[inode]"; drop that generic kind when epoll_ctl saw
  // which kind of socket it was
  for (const char* k : {"tcp", "udp", "unix"})
    if (kinds.count(k)) kinds.erase(std::string(fd_kind_name(FdKind::socket_other)));
  m.trigger = trigger_of(ctl_edge + fd_edge, ctl_level + fd_level);
  m.oneshot = oneshot + fd_oneshot > 0;
  m.exclusive = exclusive + fd_exclusive > 0;
  m.interest_kinds.assign(kinds.begin(), kinds.end());
  m.evidence.push_back({"epoll_ctl_edge", static_cast<double>(ctl_edge)});
  m.evidence.push_back({"epoll_ctl_level", static_cast<double>(ctl_level)});
  m.evidence.push_back({"fdinfo_edge", static_cast<double>(fd_edge)});
  m.evidence.push_back({"fdinfo_level", static_cast<double>(fd_level)});
  return trigger_of(fd_edge, fd_level);
}

// Threads blocked right now in a read, receive or accept on a socket or pipe.
uint32_t parked_io_threads(const ProcessRecord& p) {
  uint32_t n = 0;
  for (const auto& x : p.parked) {
    bool io = syscall_has(x.nr, k_read) || syscall_name(x.nr) == "accept" ||
              syscall_name(x.nr) == "accept4";
    if (io && (is_socket(x.fd_kind) || x.fd_kind == FdKind::pipe)) n += x.threads;
  }
  return n;
}

std::string blocking_sentence(const ProcessReport& pr, const std::vector<ThreadProfile>& profs,
                              size_t workers) {
  uint64_t sock = 0, ops = 0, switches = 0;
  for (const auto& p : profs) {
    sock += socket_blocking_waits(p);
    ops += p.ops();
    switches += p.thread->vol_switches + p.thread->invol_switches;
  }
  uint64_t stack = pr.process.stack_rlimit_bytes ? pr.process.stack_rlimit_bytes : 8ull << 20;
  return fmt::format(
      "{} thread{} blocking I/O with no multiplexer ({} calls on blocking sockets): "
      "thread-per-connection. A thread's stack defaults to {} (RLIMIT_STACK), so 10,000 "
      "connections would reserve {} of address space; {:.1f} context switches per operation",
      workers, workers == 1 ? " does" : "s do", sock, format_bytes(stack), format_bytes(stack * 10000),
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
  // Debian's redis-server is a link to redis-check-rdb: /proc/PID/exe names the target
  if (p.comm == "redis-server" || p.comm == "nginx") exe = p.comm;
  auto found = [&](const char* rt, const std::string& why) {
    if (evidence) *evidence = why;
    return std::string(rt);
  };
  // Go links its runtime statically: its ELF sections give it away, whatever the name
  if (p.go_binary) return found("go", "executable carries Go build info (.go.buildinfo)");
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
  std::set<std::string> loop_parts, acceptor_parts, wait_parts;
  size_t loop_threads = 0, acceptors = 0, workers = 0, conn_threads = 0, busy = 0, sqpoll = 0, iowq = 0;
  uint64_t total_calls = 0, uring_sqes = 0, uring_cqes = 0;
  std::array<uint64_t, k_uring_ops> uring_ops{};
  std::vector<size_t> epoll_threads;
  for (const auto& p : profs) {
    auto tm = classify_thread(p);
    total_calls += p.calls;
    uring_sqes += p.thread->uring.sqes;
    uring_cqes += p.thread->uring.cqes;
    for (int i = 0; i < k_uring_ops; ++i) uring_ops[i] += p.thread->uring.ops[i];
    if (tm.role == "event-loop") {
      if (tm.model == "busy-poll") {
        ++busy;
      } else {
        auto parts = thread_parts(p);
        for (const auto& w : loop_models(p)) wait_parts.insert(w);
        if (parts.empty()) parts.push_back(tm.model);  // io_uring or AIO without a wait
        // a loop that only accepts (no socket reads or writes) hands connections to others
        bool acceptor = p.accepts > 0 && p.sock_reads + p.sock_writes == 0 && !p.thread->uring.sqes;
        ++(acceptor ? acceptors : loop_threads);
        (acceptor ? acceptor_parts : loop_parts).insert(parts.begin(), parts.end());
        if (std::find(parts.begin(), parts.end(), "epoll") != parts.end())
          epoll_threads.push_back(m.threads.size());
      }
    } else if (tm.role == "io-worker" && tm.model == "blocking") {
      // pool workers do file or other blocking work; threads parked on sockets serve connections
      const uint64_t sock = socket_blocking_waits(p);
      if (sock > 0 && sock >= p.file_reads + p.file_writes + p.fsyncs) ++conn_threads;
      else ++workers;
    } else if (tm.role == "sqpoll") {
      ++sqpoll;
    } else if (tm.role == "io-worker") {
      ++iowq;
    }
    m.threads.push_back(std::move(tm));
  }
  // Loops that only accept, beside threads blocking on the connections: thread-per-connection
  // with a multiplexed accept. Otherwise they are loops like any other.
  if (!(conn_threads && loop_parts.empty() && !busy)) {
    loop_threads += acceptors;
    loop_parts.insert(acceptor_parts.begin(), acceptor_parts.end());
    acceptors = 0;
  }
  if (sqpoll) loop_parts.insert("io_uring");
  m.runtime = detect_runtime(pr.process, &m.runtime_evidence);
  m.evidence.push_back({"threads", static_cast<double>(profs.size())});
  m.evidence.push_back({"loop_threads", static_cast<double>(loop_threads)});
  m.evidence.push_back({"pool_threads", static_cast<double>(workers)});
  m.evidence.push_back({"blocking_socket_threads", static_cast<double>(conn_threads)});
  m.evidence.push_back({"busy_poll_threads", static_cast<double>(busy)});
  m.evidence.push_back({"sqpoll_threads", static_cast<double>(sqpoll)});
  m.evidence.push_back({"calls", static_cast<double>(total_calls)});
  if (loop_parts.count("io_uring")) {
    m.evidence.push_back({"uring_sqes", static_cast<double>(uring_sqes)});
    m.evidence.push_back({"uring_cqes", static_cast<double>(uring_cqes)});
  }
  if (loop_parts.count("epoll") || acceptor_parts.count("epoll")) {
    std::string fd_trigger = epoll_modes(c, pr, m);
    // a loop whose registrations all predate the trace: its mode is in fdinfo only
    for (size_t i : epoll_threads)
      if (m.threads[i].trigger.empty()) m.threads[i].trigger = fd_trigger;
  }

  std::vector<std::string> parts(loop_parts.begin(), loop_parts.end());
  if (busy) parts.push_back("busy-poll");
  if (conn_threads && !loop_parts.empty()) parts.push_back("blocking");
  // multiplexers waited in, then async interfaces only submitted to (completions peeked)
  std::vector<std::string> waited, submitted;
  for (const auto& part : loop_parts)
    (wait_parts.count(part) ? waited : submitted).push_back(part);
  std::string loops_text = fmt::format("{} event-loop thread{}", loop_threads, loop_threads == 1 ? "" : "s");
  if (!waited.empty()) loops_text += fmt::format(" waiting in {}", fmt::join(waited, " and "));
  if (!submitted.empty())
    loops_text += fmt::format("{} submitting to {} without waiting in it", waited.empty() ? "" : ",",
                              fmt::join(submitted, " and "));
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
    if (conn_threads)
      m.sentence += fmt::format("; {} thread{} block{} on sockets with no multiplexer", conn_threads,
                                conn_threads == 1 ? "" : "s", conn_threads == 1 ? "s" : "");
    if (sqpoll) m.sentence += fmt::format("; submissions by {} SQPOLL kernel thread{}", sqpoll,
                                          sqpoll == 1 ? "" : "s");
    if (iowq) m.sentence += fmt::format("; {} io-wq worker{} ran punted requests", iowq,
                                        iowq == 1 ? "" : "s");
  } else if (workers + conn_threads > 0) {
    m.model = "blocking";
    parts.push_back("blocking");
    m.sentence = blocking_sentence(pr, profs, workers + conn_threads);
    if (acceptors)
      m.sentence += fmt::format("; {} acceptor thread{} wait{} in {} for new connections only",
                                acceptors, acceptors == 1 ? "" : "s", acceptors == 1 ? "s" : "",
                                fmt::join(acceptor_parts, " and "));
  } else if (uint32_t parked = parked_io_threads(pr.process); parked >= 2) {
    // Blocked since before the trace: no call completed, but /proc shows where they wait.
    m.model = "blocking";
    parts.push_back("blocking");
    uint64_t stack = pr.process.stack_rlimit_bytes ? pr.process.stack_rlimit_bytes : 8ull << 20;
    m.sentence = fmt::format(
        "{} threads are parked in blocking reads or accepts on sockets and pipes (seen in /proc: "
        "their calls began before the trace): thread-per-connection. A thread's stack defaults "
        "to {} (RLIMIT_STACK), so 10,000 connections would reserve {} of address space",
        parked, format_bytes(stack), format_bytes(stack * 10000));
    m.evidence.push_back({"parked_io_threads", static_cast<double>(parked)});
    m.confidence = std::min(1.0, 0.5 + parked / 20.0);
  } else if (total_calls < k_min_calls * std::max<size_t>(profs.size(), 1)) {
    m.model = "idle";
    m.sentence = fmt::format("{} syscalls in {}: too little activity to classify", total_calls,
                             format_duration(pr.process.traced_ns));
  } else {
    m.model = "unknown";
    m.sentence = fmt::format("{} syscalls, none of them the I/O calls iotrace classifies by", total_calls);
  }
  if (loop_parts.count("epoll")) {
    if (!m.trigger.empty()) m.sentence += fmt::format(", {}-triggered", m.trigger);
    if (m.trigger == "mixed") {
      double e = 0, l = 0;
      for (const auto& x : m.evidence) {
        if (x.name == "epoll_ctl_edge" || x.name == "fdinfo_edge") e += x.value;
        if (x.name == "epoll_ctl_level" || x.name == "fdinfo_level") l += x.value;
      }
      m.sentence += fmt::format(" ({:.0f} edge and {:.0f} level registrations)", e, l);
    }
    if (m.oneshot) m.sentence += ", EPOLLONESHOT";
    if (m.exclusive) m.sentence += ", EPOLLEXCLUSIVE";
  }
  if (loop_parts.count("io_uring") && uring_sqes)
    m.sentence += fmt::format("; io_uring opcodes: {}", uring_ops_text(uring_ops));
  m.parts = parts;
  double conf = 0;
  for (const auto& t : m.threads)
    if (t.role != "idle") conf = std::max(conf, t.confidence);
  if (m.confidence == 0 || m.model == "idle" || m.model == "unknown" || conf > 0)
    m.confidence = m.model == "idle" ? 1.0 : m.model == "unknown" ? 0.0 : std::max(conf, m.confidence);
  return m;
}

std::optional<ServiceModel> classify_service(const std::vector<ProcessReport>& processes) {
  const ProcessReport* root = nullptr;
  size_t children = 0;
  for (const auto& p : processes) {
    if (p.process.followed) ++children;
    else if (!root) root = &p;
  }
  if (!root || children == 0) return std::nullopt;
  ServiceModel s;
  s.root_pid = root->process.pid;
  std::vector<std::string> parts;
  std::map<std::string, size_t> by_model;
  size_t active = 0, blocking = 0;
  uint64_t blocking_calls = 0;
  for (const auto& p : processes) {
    const auto& m = p.model;
    if (m.model == "idle" || m.model == "unknown") continue;
    ++active;
    ++by_model[m.model];
    s.confidence = std::max(s.confidence, m.confidence);
    for (const auto& part : m.parts)
      if (std::find(parts.begin(), parts.end(), part) == parts.end()) parts.push_back(part);
    if (m.model != "blocking") continue;
    ++blocking;
    for (const auto& t : m.threads)
      for (const auto& e : t.evidence)
        if (e.name == "blocking_socket_calls") blocking_calls += static_cast<uint64_t>(e.value);
  }
  s.evidence = {{"processes", static_cast<double>(processes.size())},
                {"child_processes", static_cast<double>(children)},
                {"active_processes", static_cast<double>(active)},
                {"blocking_processes", static_cast<double>(blocking)}};
  const bool root_io = root->model.model != "idle" && root->model.model != "unknown";
  const std::string root_text =
      fmt::format("the parent {} ({}) {}", root->process.pid, root->process.comm,
                  root_io ? "is " + root->model.model : std::string("does no modelled I/O"));
  if (active == 0) {
    s.model = "idle";
    s.confidence = 1.0;
    s.sentence = fmt::format("{} processes, none with enough I/O to classify", processes.size());
    return s;
  }
  s.parts = parts;
  s.model = by_model.size() == 1 ? by_model.begin()->first : "mixed";
  if (s.model == "blocking")
    s.sentence = fmt::format(
        "{} process{} do blocking socket I/O with no multiplexer ({} calls on blocking sockets): "
        "process-per-connection, one process parked per connection; {}",
        blocking, blocking == 1 ? "" : "es", blocking_calls, root_text);
  else
    s.sentence = fmt::format("{} of {} processes do I/O, using {}; {}", active, processes.size(),
                             fmt::join(parts, " and "), root_text);
  return s;
}

}  // namespace iotrace
