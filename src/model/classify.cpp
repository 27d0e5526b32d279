#include "src/model/classify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "src/util/duration.hpp"
#include "src/output/report.hpp"
#include "src/model/thread_concurrency.hpp"
#include "src/model/thread_profile.hpp"
#include "src/model/thread_role.hpp"

namespace iotrace {
namespace {

constexpr uint32_t k_epollet = 1u << 31, k_epolloneshot = 1u << 30, k_epollexclusive = 1u << 28;
// Below this many calls in a thread there is too little to say anything.
constexpr uint64_t k_min_calls = 5;

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

std::string trigger_of(uint64_t edge, uint64_t level) {
  if (!edge && !level) return {};
  return edge && level ? "mixed" : edge ? "edge" : "level";
}

// The trigger mode that describes a set of registrations: the mode of all of them, or of the
// bulk when the others are a few (at most two, or a tenth) exceptions.
std::string bulk_trigger(uint64_t edge, uint64_t level) {
  const uint64_t minority = std::min(edge, level), all = edge + level;
  if (minority && (minority <= 2 || minority * 10 <= all)) return edge > level ? "edge" : "level";
  return trigger_of(edge, level);
}

// Triggering modes of the process's epoll registrations: those in the interest lists
// (/proc/PID/fdinfo, which include registrations made before the trace started) and those
// made while traced (epoll_ctl). The process's trigger is that of its connections: socket
// registrations without EPOLLEXCLUSIVE. Listeners shared with EPOLLEXCLUSIVE and wake-up
// fds (eventfd, pipe, timerfd) are internal and often level-triggered on purpose; they are
// counted apart. Returns the connections' trigger seen in fdinfo alone.
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
  uint64_t conn_edge = 0, conn_level = 0, int_edge = 0, int_level = 0, fd_oneshot = 0, fd_exclusive = 0;
  std::set<std::string> internal_kinds;
  for (const auto& inst : pr.process.epoll)
    for (const auto& e : inst.entries) {
      const bool et = e.events & k_epollet;
      const bool internal = !is_socket(e.kind) || (e.events & k_epollexclusive);
      if (internal) {
        (et ? int_edge : int_level)++;
        internal_kinds.insert((e.events & k_epollexclusive) ? std::string("EPOLLEXCLUSIVE listener")
                                                            : std::string(fd_kind_name(e.kind)));
      } else {
        (et ? conn_edge : conn_level)++;
      }
      if (e.events & k_epolloneshot) ++fd_oneshot;
      if (e.events & k_epollexclusive) ++fd_exclusive;
      kinds.insert(std::string(fd_kind_name(e.kind)));
    }
  // /proc names every socket "socket:[inode]"; drop that generic kind when epoll_ctl saw
  // which kind of socket it was
  for (const char* k : {"tcp", "udp", "unix"})
    if (kinds.count(k)) kinds.erase(std::string(fd_kind_name(FdKind::socket_other)));
  std::string fd_trigger = bulk_trigger(conn_edge, conn_level);
  if (fd_trigger.empty()) fd_trigger = bulk_trigger(int_edge, int_level);
  // epoll_ctl counts every registration made while traced; fdinfo the ones alive at the end
  m.trigger = !fd_trigger.empty() ? fd_trigger : bulk_trigger(ctl_edge, ctl_level);
  m.oneshot = oneshot + fd_oneshot > 0;
  m.exclusive = exclusive + fd_exclusive > 0;
  m.interest_kinds.assign(kinds.begin(), kinds.end());
  m.evidence.push_back({"epoll_ctl_edge", static_cast<double>(ctl_edge)});
  m.evidence.push_back({"epoll_ctl_level", static_cast<double>(ctl_level)});
  m.evidence.push_back({"fdinfo_edge", static_cast<double>(conn_edge + int_edge)});
  m.evidence.push_back({"fdinfo_level", static_cast<double>(conn_level + int_level)});
  m.evidence.push_back({"fdinfo_conn_edge", static_cast<double>(conn_edge)});
  m.evidence.push_back({"fdinfo_conn_level", static_cast<double>(conn_level)});
  m.evidence.push_back({"fdinfo_internal_edge", static_cast<double>(int_edge)});
  m.evidence.push_back({"fdinfo_internal_level", static_cast<double>(int_level)});
  // what the sentence says beside the trigger
  const bool conns = conn_edge + conn_level > 0;
  if (conns && conn_edge && conn_level)
    m.trigger_note = fmt::format("connections: {} edge- and {} level-triggered", conn_edge, conn_level);
  else if (conns && int_edge + int_level &&
           ((m.trigger == "edge" && int_level) || (m.trigger == "level" && int_edge)))
    m.trigger_note = fmt::format("connections; {} internal fd{} ({}) {}-triggered",
                                 m.trigger == "edge" ? int_level : int_edge,
                                 (m.trigger == "edge" ? int_level : int_edge) == 1 ? "" : "s",
                                 fmt::join(internal_kinds, ", "), m.trigger == "edge" ? "level" : "edge");
  else if (conns)
    m.trigger_note = "connections";
  return fd_trigger;
}

// Threads blocked right now in a read, receive or accept on a socket or pipe.
uint32_t parked_io_threads(const ProcessRecord& p, Arch arch) {
  uint32_t n = 0;
  for (const auto& x : p.parked) {
    bool io = syscall_has(arch, x.nr, k_read) || syscall_name(arch, x.nr) == "accept" ||
              syscall_name(arch, x.nr) == "accept4";
    if (io && (is_socket(x.fd_kind) || x.fd_kind == FdKind::pipe)) n += x.threads;
  }
  return n;
}

std::string blocking_sentence(const Capture& c, const ProcessReport& pr,
                              const std::vector<ThreadProfile>& profs, size_t workers, size_t one_conn) {
  uint64_t sock = 0, ops = 0, switches = 0;
  for (const auto& p : profs) {
    sock += socket_blocking_waits(p);
    ops += p.ops();
    switches += p.thread->vol_switches + p.thread->invol_switches;
  }
  const uint64_t stack = pr.process.stack_rlimit_bytes ? pr.process.stack_rlimit_bytes : 8ull << 20;
  const uint32_t peak = peak_threads(c, pr.process.pid);
  if (one_conn) {
    uint64_t sock_calls = 0, files = 0;
    for (const auto& p : profs) {
      sock_calls += p.sock_reads + p.sock_writes;
      files += p.file_reads + p.file_writes + p.fsyncs;
    }
    return fmt::format("{} thread{} one connection{}, waiting in epoll only on it and {} own "
                       "wake-ups ({} socket reads and writes, {} regular-file reads, writes and "
                       "syncs): one {} per connection",
                       one_conn, one_conn == 1 ? " serves" : "s serve", one_conn == 1 ? "" : " each",
                       one_conn == 1 ? "its" : "their",
                       sock_calls, files, profs.size() == 1 ? "process" : "thread");
  }
  if (sock == 0) {
    // no connection is served: blocking file or other I/O, not thread-per-connection
    uint64_t files = 0;
    for (const auto& p : profs) files += p.file_reads + p.file_writes + p.fsyncs;
    return fmt::format("{} thread{} blocking file I/O with no multiplexer ({} regular-file reads, "
                       "writes and syncs)",
                       workers, workers == 1 ? " does" : "s do", files);
  }
  return fmt::format(
      "{} thread{} blocking I/O with no multiplexer ({} blocking socket waits), at most {} "
      "thread{} alive at once: thread-per-connection. A thread's stack defaults to {} "
      "(RLIMIT_STACK), so 10,000 connections would reserve {} of address space; {:.1f} context "
      "switches per operation",
      workers, workers == 1 ? " does" : "s do", sock, peak, peak == 1 ? "" : "s", format_bytes(stack),
      format_bytes(stack * 10000), ratio(static_cast<double>(switches), static_cast<double>(ops)));
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
  size_t async_threads = 0, socket_workers = 0, control_loops = 0, blocking_acceptors = 0, one_conn = 0;
  std::set<std::string> control_parts;
  std::set<std::string> async_parts;
  uint64_t total_calls = 0, uring_sqes = 0, uring_cqes = 0;
  std::array<uint64_t, k_uring_ops> uring_ops{};
  std::vector<size_t> epoll_threads;
  const bool has_children = std::any_of(c.processes.begin(), c.processes.end(), [&](const ProcessRecord& q) {
    return q.ppid == pr.process.pid && q.pid != pr.process.pid;
  });
  const RoleContext ctx =
      role_context(profs, pr.process, has_children, c.settings.tier == TraceTier::loop_watch);
  for (const auto& p : profs) {
    auto tm = classify_thread(p, ctx);
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
    } else if (tm.role == "async-io") {
      ++async_threads;
      async_parts.insert(tm.model);
    } else if (tm.role == "pool-worker") {
      ++workers;
      if (p.file_reads + p.file_writes + p.fsyncs == 0) ++socket_workers;
    } else if (tm.role == "blocking-io") {
      // threads parked on sockets serve connections; the others do file or other blocking work
      const uint64_t sock = socket_blocking_waits(p);
      if (waits_on_one_connection(p, ctx)) {
        ++conn_threads;
        ++one_conn;
      } else if (sock > 0 && sock >= p.file_reads + p.file_writes + p.fsyncs) {
        ++conn_threads;
      } else {
        ++workers;
      }
    } else if (tm.role == "control-loop") {
      ++control_loops;
      control_parts.insert(tm.model);
    } else if (tm.role == "acceptor") {
      ++blocking_acceptors;
    } else if (tm.role == "sqpoll") {
      ++sqpoll;
    } else if (tm.role == "io-wq") {
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
    epoll_modes(c, pr, m);
    // a loop serves the process's connections: their mode is its mode, whichever thread
    // registered them (or before the trace, when fdinfo alone knows it)
    for (size_t i : epoll_threads)
      if (!m.trigger.empty()) m.threads[i].trigger = m.trigger;
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
  if (blocking_acceptors)
    loops_text += fmt::format(", fed by {} acceptor thread{}", blocking_acceptors,
                              blocking_acceptors == 1 ? "" : "s");
  const std::string control_text =
      fmt::format("{} control-loop thread{} waiting in {} for signals, timers and wake-ups only",
                  control_loops, control_loops == 1 ? "" : "s", fmt::join(control_parts, " and "));
  for (const auto& a : async_parts)
    if (std::find(parts.begin(), parts.end(), a) == parts.end()) parts.push_back(a);
  const std::string async_text =
      async_threads ? fmt::format("{} thread{} driving asynchronous file I/O through {}", async_threads,
                                  async_threads == 1 ? "" : "s", fmt::join(async_parts, " and "))
                    : std::string();
  if (!loop_parts.empty() && workers > 0 && !conn_threads && !busy) {
    // I/O beside a loop on other threads: a pool doing work on the loop's behalf
    parts.push_back("threadpool");
    m.model = parts.size() == 2 ? "threadpool" : "mixed";
    const size_t file_workers = workers - socket_workers;
    std::string pool;
    if (file_workers)
      pool = fmt::format("{} pool thread{} doing the blocking I/O", file_workers, file_workers == 1 ? "" : "s");
    if (socket_workers)
      pool += fmt::format("{}{} worker thread{} serving the connections it hands over", pool.empty() ? "" : " and ",
                          socket_workers, socket_workers == 1 ? "" : "s");
    m.sentence = fmt::format("{}, with {}", loops_text, pool);
  } else if (loop_parts.empty() && !busy && !conn_threads && workers > 0 && ctx.process_has_requester) {
    // blocking I/O handed to helper threads by threads that wait for it (glibc's POSIX AIO)
    parts.push_back("threadpool");
    m.model = parts.size() == 1 ? "threadpool" : "mixed";
    m.sentence = fmt::format("{} pool thread{} do{} blocking I/O for threads of the process that wait on "
                             "futexes (a user-space pool, such as glibc's POSIX AIO)",
                             workers, workers == 1 ? "" : "s", workers == 1 ? "es" : "");
    if (async_threads) m.sentence += "; " + async_text;
  } else if (loop_parts.empty() && !busy && !conn_threads && async_threads) {
    m.model = parts.size() == 1 ? parts[0] : "mixed";
    m.sentence = async_text;
    if (workers) {
      parts.push_back("threadpool");
      m.model = "mixed";
      m.sentence += fmt::format("; {} thread{} doing blocking I/O", workers, workers == 1 ? "" : "s");
    }
    if (iowq) m.sentence += fmt::format("; {} io-wq worker{} ran punted requests", iowq,
                                        iowq == 1 ? "" : "s");
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
    m.sentence = blocking_sentence(c, pr, profs, workers + conn_threads, one_conn);
    if (acceptors)
      m.sentence += fmt::format("; {} acceptor thread{} wait{} in {} for new connections only",
                                acceptors, acceptors == 1 ? "" : "s", acceptors == 1 ? "s" : "",
                                fmt::join(acceptor_parts, " and "));
  } else if (uint32_t parked = parked_io_threads(pr.process, c.arch); parked >= 2) {
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
  } else if (control_loops) {
    // a supervisor: it serves no connection, so it is no service loop
    m.model = "idle";
    m.sentence = control_text + ": serves no connection";
    m.confidence = 1.0;
  } else if (total_calls < k_min_calls * std::max<size_t>(profs.size(), 1)) {
    m.model = "idle";
    m.sentence = fmt::format("{} syscalls in {}: too little activity to classify", total_calls,
                             format_duration(pr.process.traced_ns));
  } else {
    m.model = "unknown";
    m.sentence = fmt::format("{} syscalls, none of them the I/O calls iotrace classifies by", total_calls);
  }
  if (control_loops && m.model != "idle") m.sentence += "; " + control_text;
  if (loop_parts.count("epoll")) {
    if (!m.trigger.empty())
      m.sentence += fmt::format(", {}-triggered{}", m.trigger,
                                m.trigger_note.empty() ? "" : " " + m.trigger_note);
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
  uint64_t blocking_calls = 0, all_calls = 0;
  for (const auto& p : processes) all_calls += p.total.calls;
  // Weigh processes by the work they do: a master that wakes once a second to check on its
  // workers is part of the service, not what it serves connections with.
  auto minor = [&](const ProcessReport& p) { return p.total.calls * 20 < all_calls; };
  std::vector<std::string> minor_text;
  for (const auto& p : processes) {
    const auto& m = p.model;
    if (m.model == "idle" || m.model == "unknown") continue;
    if (minor(p)) {
      minor_text.push_back(fmt::format("{} ({}, {}, {} calls)", p.process.pid, p.process.comm, m.model,
                                       p.total.calls));
      continue;
    }
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
  const bool root_control = std::any_of(root->model.threads.begin(), root->model.threads.end(),
                                        [](const ThreadModel& t) { return t.role == "control-loop"; });
  const std::string root_text = fmt::format(
      "the parent {} ({}) {}", root->process.pid, root->process.comm,
      root_io        ? "is " + root->model.model
      : root_control ? std::string("runs a control loop (signals, timers, wake-ups), no connection")
                     : std::string("does no modelled I/O"));
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
  if (!minor_text.empty())
    s.sentence += fmt::format("; set aside for doing under 5% of the service's calls: {}",
                              fmt::join(minor_text, ", "));
  return s;
}

}  // namespace iotrace
