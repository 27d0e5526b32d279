#include "src/model/thread_role.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "src/util/duration.hpp"

namespace iotrace {
namespace {

// Below this many calls in a thread there is too little to say anything.
constexpr uint64_t k_min_calls = 5;
// Busy polling: EAGAIN returns with no wait in between, at least this many and this share,
// and this many EAGAIN returns per time the thread went to sleep (a spinner never sleeps).
// The share falls as the peer gets faster or the spinner slower (a fast peer's data is there
// before the spinner comes round again): a spinning echo server measured 85% alone and 41%
// beside another tracer, with no wait and no sleep either way. A quarter still needs the
// retries to be a large part of the calls.
constexpr uint64_t k_busy_min_eagain = 100;
constexpr double k_busy_min_share = 0.25;
constexpr uint64_t k_busy_eagain_per_sleep = 10;
// Blocking I/O is part of a thread's work when it makes this share of its calls, or this many.
constexpr double k_io_min_share = 0.1;
constexpr uint64_t k_io_min_calls = 2, k_io_enough_calls = 100;
// A requester waits on futexes at least this often.
constexpr uint64_t k_requester_min_futex = 5;
// A pool does I/O for others in volume: this many blocking I/O calls in the trace, this many a
// second, or this share of its time in them. Below all three it is a helper doing its own chores
// (a JVM's VM Thread reading cgroup files, a stats writer once a second).
constexpr uint64_t k_pool_min_calls = 100;
constexpr double k_pool_min_rate = 10.0, k_pool_min_time_share = 0.05;
// Rule 2: one-fd polls (waits on single connections) at most this share of multiplexed waits
// for a thread that also serves non-blocking sockets from its multiplexer.
constexpr uint64_t k_single_polls_per_wait_denominator = 4;
// A synchronous resolver (glibc's) polls its one UDP socket about three times per lookup (the
// query out, the A and AAAA answers in): that many one-fd polls per query the thread itself
// sent to port 53 are the resolver's, not waits on connections it serves.
constexpr uint64_t k_resolver_polls_per_query = 4;

double clamp01(double v) { return std::clamp(v, 0.0, 1.0); }
double ratio(double a, double b) { return b > 0 ? a / b : 0; }

// io_uring opcodes that move data over sockets or wait on them (IORING_OP_*).
constexpr size_t k_uring_net_ops[] = {6 /*poll_add*/, 9 /*sendmsg*/, 10 /*recvmsg*/, 13 /*accept*/,
                                      16 /*connect*/, 26 /*send*/, 27 /*recv*/, 29 /*epoll_ctl*/,
                                      45 /*socket*/, 47 /*send_zc*/, 48 /*sendmsg_zc*/, 56 /*bind*/,
                                      57 /*listen*/};

bool uring_network(const ThreadRecord& t) {
  for (size_t op : k_uring_net_ops)
    if (op < t.uring.ops.size() && t.uring.ops[op]) return true;
  return false;
}

bool submits_uring(const ThreadProfile& p) {
  return std::max(p.uring_enters, p.thread->uring.sqes) >= k_min_calls;
}
bool submits_aio(const ThreadProfile& p) { return p.aio_submits >= k_min_calls; }
bool uses_async(const ThreadProfile& p) {
  return p.uring_enters || p.thread->uring.sqes || p.thread->uring.cqes || p.aio_submits;
}

uint64_t socket_calls(const ThreadProfile& p) { return p.sock_reads + p.sock_writes + p.accepts; }

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

// "12 calls on blocking sockets, 40 one-fd polls before socket calls": only what is there.
std::string blocking_evidence(const ThreadProfile& p) {
  std::vector<std::string> parts;
  if (p.sock_blocking_calls) parts.push_back(fmt::format("{} calls on blocking sockets", p.sock_blocking_calls));
  if (socket_calls(p) && p.poll_single_calls)
    parts.push_back(fmt::format("{} one-fd polls around socket calls (timeouts)", p.poll_single_calls));
  if (p.file_reads + p.file_writes)
    parts.push_back(fmt::format("{} regular-file reads/writes", p.file_reads + p.file_writes));
  if (p.fsyncs) parts.push_back(fmt::format("{} fsyncs", p.fsyncs));
  if (parts.empty()) parts.push_back(fmt::format("{} socket calls", socket_calls(p)));
  return fmt::format("{}", fmt::join(parts, ", "));
}

uint64_t blocking_io_calls(const ThreadProfile& p) {
  return socket_blocking_waits(p) + p.file_reads + p.file_writes + p.fsyncs;
}

// How long the thread was seen: its life inside the trace, at least a second.
uint64_t span_ns(const ThreadProfile& p, const RoleContext& ctx) {
  const ThreadRecord& t = *p.thread;
  uint64_t span = t.last_ns > t.first_ns ? t.last_ns - t.first_ns : ctx.traced_ns;
  if (ctx.traced_ns) span = std::min(span, ctx.traced_ns);
  return std::max<uint64_t>(span, 1'000'000'000);
}

// Work reaches it from another thread: it waits on a futex (a queue, a condition variable) or
// reads a pipe or eventfd.
bool hands_off(const ThreadProfile& p) { return p.futex_calls > 0 || p.other_reads > 0; }

bool pool_volume(const ThreadProfile& p, const RoleContext& ctx) {
  const double calls = static_cast<double>(blocking_io_calls(p));
  const double secs = static_cast<double>(span_ns(p, ctx)) / 1e9;
  const double io_ns = static_cast<double>(p.file_ns + p.sock_blocking_ns);
  return blocking_io_calls(p) >= k_pool_min_calls || calls / secs >= k_pool_min_rate ||
         io_ns >= k_pool_min_time_share * static_cast<double>(span_ns(p, ctx));
}

}  // namespace

uint64_t multiplexed_waits(const ThreadProfile& p) {
  return p.epoll_waits + p.select_calls + (p.poll_calls - p.poll_single_calls) +
         p.thread->uring.enter_getevents + p.aio_getevents;
}

// The kernel's loop flag is rule 1 seen from the kernel: it stands when the thread's rows were
// lost (stats map full) or a wait is still in flight.
bool multiplexes(const ThreadProfile& p) { return multiplexed_waits(p) > 0 || p.thread->loop; }

uint64_t socket_blocking_waits(const ThreadProfile& p) {
  return p.sock_blocking_calls + (socket_calls(p) ? p.poll_single_calls : 0);
}

bool drives_async_file_io(const ThreadProfile& p, const RoleContext& ctx) {
  const bool fd_waits = p.epoll_waits + p.select_calls + (p.poll_calls - p.poll_single_calls) > 0;
  return uses_async(p) && !fd_waits && socket_calls(p) == 0 && !ctx.uring_network;
}

namespace {
// Sockets the thread registered with epoll while traced; with unix false, those that may be
// connections over the network (TCP, UDP, or of a family not found).
uint64_t registered_sockets(const ThreadProfile& p, bool unix = true) {
  const auto& reg = p.thread->epoll.fd_kinds;
  uint64_t n = unix ? reg[static_cast<size_t>(FdKind::unix_socket)] : 0;
  for (FdKind k : {FdKind::tcp, FdKind::udp, FdKind::socket_other}) n += reg[static_cast<size_t>(k)];
  return n;
}
}  // namespace

bool waits_on_one_connection(const ThreadProfile& p, const RoleContext& ctx) {
  // the interest lists hold one socket, a connection, and the thread accepts none and
  // registered no socket while traced (so the lists read at the end are what it waited on
  // all along): every wait is for that connection, or for the process's own wake-ups (a
  // latch, a parent-death pipe)
  return p.epoll_waits > 0 && p.accepts == 0 && ctx.epoll_sockets == 1 && ctx.epoll_listeners == 0 &&
         ctx.epoll_unknown_family == 0 && registered_sockets(p) == 0 && (socket_calls(p) > 0 || ctx.waits_only) &&
         !uses_async(p);
}

bool is_control_loop(const ThreadProfile& p, const RoleContext& ctx) {
  // a supervisor: its process has or reaps children, and the thread waits for signals, timers
  // and wake-ups: no connection accepted, opened or read, and at most two reads or writes of a
  // wake-up fd or socketpair per wait. (A loop with no children that runs timers and callbacks
  // is still a loop: what it runs may stall it.)
  if (!ctx.supervises) return false;
  const uint64_t waits = multiplexed_waits(p);
  // an epoll thread needs the interest lists to show it: no socket but unix ones (socketpairs)
  const bool epoll_clear = p.epoll_waits == 0 || (ctx.epoll_sockets >= 0 && ctx.epoll_inet == 0);
  return waits > 0 && !p.thread->io_worker && !uses_async(p) && p.accepts == 0 && p.connects == 0 &&
         p.inet_calls == 0 && registered_sockets(p, false) == 0 && epoll_clear && !ctx.uring_network &&
         p.unix_calls + p.other_reads + p.other_writes <= 2 * waits;
}

bool is_event_loop(const ThreadProfile& p, const RoleContext& ctx) {
  if (p.thread->io_worker) return false;
  if (!multiplexes(p) && !submits_uring(p) && !submits_aio(p) && !uses_async(p)) return false;
  if (drives_async_file_io(p, ctx)) return false;
  if (waits_on_one_connection(p, ctx) || is_control_loop(p, ctx)) return false;
  // rule 2: connections served from the wait are non-blocking sockets the thread reads and
  // writes, waited for in the multiplexer rather than one by one in one-fd polls; then its
  // blocking calls (a synchronous client call in a handler) are calls on the loop
  const uint64_t waits = multiplexed_waits(p);
  const uint64_t resolver_polls = std::min(p.poll_single_calls, k_resolver_polls_per_query * p.thread->dns_udp53);
  if (p.sock_nonblock_calls >= k_min_calls && waits > 0 &&
      (p.poll_single_calls - resolver_polls) * k_single_polls_per_wait_denominator <= waits)
    return true;
  // or it registers the connections it serves with its own epoll instance, whatever mode
  // they are in while it serves them (the JDK's HttpServer dispatcher switches a connection
  // to blocking mode while it runs the handler on its own thread, then registers it again)
  if (p.epoll_waits > 0 && registered_sockets(p) >= k_min_calls) return true;
  // otherwise a multiplexer that only hands out connections served with blocking calls is no
  // loop. A synchronous resolver polls its one UDP socket: a thread that queried port 53
  // itself has one-fd polls that are the resolver's, not waits on connections it serves.
  const uint64_t conn_waits = p.thread->dns_udp53 ? p.sock_blocking_calls : socket_blocking_waits(p);
  return conn_waits <= waits;
}

bool does_blocking_io(const ThreadProfile& p) {
  const uint64_t io = blocking_io_calls(p);
  return io >= k_io_enough_calls ||
         (io >= k_io_min_calls && static_cast<double>(io) >= k_io_min_share * static_cast<double>(p.calls));
}

bool is_busy_poll(const ThreadProfile& p) {
  const uint64_t eagain = p.data_eagain, tries = p.data_ops + eagain;
  // waits the code chose (a park, a sleep); voluntary context switches also count page
  // faults and kernel locks, which a spinner on a busy machine takes too
  const uint64_t sleeps = p.futex_calls + p.sleep_calls;
  return p.waits() == 0 && eagain >= k_busy_min_eagain &&
         ratio(static_cast<double>(eagain), static_cast<double>(tries)) >= k_busy_min_share &&
         eagain >= k_busy_eagain_per_sleep * sleeps;
}

bool is_requester(const ThreadProfile& p) {
  return p.futex_calls >= k_requester_min_futex && blocking_io_calls(p) == 0 &&
         socket_calls(p) == 0 && !multiplexes(p) && !uses_async(p);
}

RoleContext role_context(const std::vector<ThreadProfile>& profs, const ProcessRecord& proc,
                         bool has_children, bool waits_only) {
  RoleContext ctx;
  ctx.waits_only = waits_only;
  ctx.traced_ns = proc.traced_ns;
  ctx.supervises = has_children || proc.children > 0;
  for (const auto& p : profs) ctx.supervises = ctx.supervises || p.child_waits > 0;
  if (!proc.epoll.empty()) {
    std::set<int> sockets, inet;
    for (const auto& inst : proc.epoll)
      for (const auto& e : inst.entries) {
        if (!is_socket(e.kind)) continue;
        sockets.insert(e.tfd);
        // a socket of unknown family (older captures) may be a connection
        if (e.kind != FdKind::unix_socket) inet.insert(e.tfd);
        if (e.listening) ++ctx.epoll_listeners;
        if (e.kind == FdKind::socket_other) ++ctx.epoll_unknown_family;
      }
    ctx.epoll_sockets = static_cast<int>(sockets.size());
    ctx.epoll_inet = static_cast<int>(inet.size());
  }
  for (const auto& p : profs) ctx.uring_network = ctx.uring_network || uring_network(*p.thread);
  for (const auto& p : profs) {
    if (is_event_loop(p, ctx)) ctx.process_has_loop = true;
    if (is_requester(p)) ctx.process_has_requester = true;
  }
  return ctx;
}

std::vector<std::string> loop_models(const ThreadProfile& p) {
  std::vector<std::pair<uint64_t, std::string>> kinds = {
      {p.epoll_waits, "epoll"},
      {p.select_calls, "select"},
      {p.poll_calls - p.poll_single_calls, "poll"},
      {p.thread->uring.enter_getevents, "io_uring"},
      {p.aio_getevents, "linux-aio"}};
  const uint64_t total = multiplexed_waits(p);
  std::stable_sort(kinds.begin(), kinds.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (const auto& [n, name] : kinds)
    if (n && static_cast<double>(n) >= 0.1 * static_cast<double>(total)) out.push_back(name);
  return out;
}

std::vector<std::string> thread_parts(const ThreadProfile& p) {
  auto out = loop_models(p);
  auto add = [&](const char* name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  if (!out.empty() && submits_uring(p)) add("io_uring");
  if (!out.empty() && submits_aio(p)) add("linux-aio");
  return out;
}

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

namespace {

void loop_model(const ThreadProfile& p, ThreadModel& m) {
  const ThreadRecord& t = *p.thread;
  const auto add = [&](const char* name, double v) { m.evidence.push_back({name, v}); };
  auto loops = thread_parts(p);
  m.role = "event-loop";
  if (loops.empty()) {
    // submits without waiting in the kernel: SQPOLL users peek the CQ, others spin on it
    const bool uring = p.uring_enters || t.uring.sqes || t.uring.cqes;
    m.model = uring ? "io_uring" : "linux-aio";
    if (uring) {
      add("uring_enters", static_cast<double>(p.uring_enters));
      m.sentence = fmt::format("uses io_uring without waiting in io_uring_enter ({} enters, {} SQEs, "
                               "{} CQEs): completions are peeked from the ring",
                               p.uring_enters, t.uring.sqes, t.uring.cqes);
      m.confidence = clamp01(0.5 + static_cast<double>(t.uring.cqes + p.uring_enters) / 100.0);
    } else {
      m.sentence = fmt::format("submits Linux AIO ({} io_submit calls) without waiting in io_getevents",
                               p.aio_submits);
      m.confidence = 0.6;
    }
    return;
  }
  m.model = loops.size() == 1 ? loops[0] : "mixed";
  add("waits", static_cast<double>(multiplexed_waits(p)));
  std::string detail;
  auto sep = [&] { return detail.empty() ? "" : "; "; };
  if (p.epoll_waits) {
    add("events_per_wait", ratio(p.epoll_events, p.epoll_waits));
    detail = fmt::format("{} epoll waits, {:.1f} events per wait", p.epoll_waits,
                         ratio(p.epoll_events, p.epoll_waits));
    const auto& e = t.epoll;
    if (e.edge || e.level) m.trigger = e.edge && e.level ? "mixed" : e.edge ? "edge" : "level";
  }
  if (p.select_calls)
    detail += fmt::format("{}{} select calls, {:.0f} fds per call, {:.1f} ready", sep(), p.select_calls,
                          ratio(p.select_nfds, p.select_calls), ratio(p.select_ready, p.select_calls));
  if (p.poll_calls > p.poll_single_calls)
    detail += fmt::format("{}{} poll calls, {:.0f} fds per call, {:.1f} ready", sep(), p.poll_calls,
                          ratio(p.poll_nfds, p.poll_calls), ratio(p.poll_ready, p.poll_calls));
  const bool uring = std::find(loops.begin(), loops.end(), "io_uring") != loops.end();
  if (uring) {
    add("uring_enters", static_cast<double>(p.uring_enters));
    add("uring_sqes", static_cast<double>(t.uring.sqes));
    add("uring_cqes", static_cast<double>(t.uring.cqes));
  }
  if (t.uring.enter_getevents)
    detail += fmt::format("{}{} io_uring_enter waits", sep(), t.uring.enter_getevents);
  else if (uring)
    detail += fmt::format("{}submits io_uring without waiting in it ({} io_uring_enter calls, "
                          "{} SQEs): completions are peeked from the ring",
                          sep(), p.uring_enters, t.uring.sqes);
  if (uring && t.uring.sqes) detail += fmt::format("; opcodes: {}", uring_ops_text(t.uring.ops));
  if (p.aio_getevents)
    detail += fmt::format("{}{} io_getevents waits", sep(), p.aio_getevents);
  else if (std::find(loops.begin(), loops.end(), "linux-aio") != loops.end())
    detail += fmt::format("{}submits Linux AIO ({} io_submit calls) without waiting in io_getevents",
                          sep(), p.aio_submits);
  if (p.aio_submits) {
    add("aio_submits", static_cast<double>(p.aio_submits));
    add("aio_iocbs_per_submit", ratio(p.aio_iocbs, p.aio_submits));
  }
  m.sentence = fmt::format("waits in {} ({})", fmt::join(loop_models(p), " and "), detail);
  m.confidence = clamp01(0.5 + static_cast<double>(multiplexed_waits(p)) / 100.0);
}

void async_io_model(const ThreadProfile& p, ThreadModel& m) {
  const ThreadRecord& t = *p.thread;
  const bool uring = p.uring_enters || t.uring.sqes || t.uring.cqes;
  m.role = "async-io";
  m.model = uring ? "io_uring" : "linux-aio";
  if (uring) {
    m.evidence.push_back({"uring_enters", static_cast<double>(p.uring_enters)});
    m.evidence.push_back({"uring_sqes", static_cast<double>(t.uring.sqes)});
    m.sentence = fmt::format("drives asynchronous file I/O through io_uring ({} io_uring_enter calls, "
                             "{} waiting; {} SQEs{}), with no socket or other source: nothing but "
                             "its own I/O waits on this thread",
                             p.uring_enters, t.uring.enter_getevents, t.uring.sqes,
                             t.uring.sqes ? "; opcodes: " + uring_ops_text(t.uring.ops) : "");
  } else {
    m.evidence.push_back({"aio_submits", static_cast<double>(p.aio_submits)});
    m.evidence.push_back({"aio_getevents", static_cast<double>(p.aio_getevents)});
    m.evidence.push_back({"aio_iocbs_per_submit", ratio(p.aio_iocbs, p.aio_submits)});
    m.sentence = fmt::format("drives asynchronous file I/O through Linux AIO ({} io_submit, {} "
                             "io_getevents calls), with no socket or other source: nothing but its "
                             "own I/O waits on this thread",
                             p.aio_submits, p.aio_getevents);
  }
  m.confidence = clamp01(0.5 + static_cast<double>(p.uring_enters + p.aio_submits) / 100.0);
}

}  // namespace

ThreadModel classify_thread(const ThreadProfile& p, const RoleContext& ctx) {
  ThreadModel m;
  const ThreadRecord& t = *p.thread;
  m.tid = t.tid;
  const auto add = [&](const char* name, double v) { m.evidence.push_back({name, v}); };
  add("calls", static_cast<double>(p.calls));
  if (t.io_worker) {
    bool sqpoll = t.comm.rfind("iou-sqp", 0) == 0;
    m.role = sqpoll ? "sqpoll" : "io-wq";
    m.model = "io_uring";
    add("sqes", static_cast<double>(t.uring.sqes));
    m.sentence = sqpoll ? fmt::format("kernel SQPOLL thread: submitted {} SQEs without io_uring_enter",
                                      t.uring.sqes)
                        : t.uring.cqes + t.uring.sqes
                              ? fmt::format("io-wq worker: ran {} io_uring requests as blocking kernel work",
                                            t.uring.cqes + t.uring.sqes)
                              : std::string("io-wq worker: runs punted io_uring requests as blocking "
                                            "kernel work (seen in /proc; the punts are counted on "
                                            "the submitting thread)");
    m.confidence = 1.0;
    return m;
  }
  if (is_event_loop(p, ctx)) {
    loop_model(p, m);
    return m;
  }
  if (drives_async_file_io(p, ctx)) {
    async_io_model(p, m);
    return m;
  }
  if (waits_on_one_connection(p, ctx)) {
    m.role = "blocking-io";
    m.model = "blocking";
    add("blocking_socket_calls", static_cast<double>(socket_calls(p)));
    add("epoll_sockets", static_cast<double>(ctx.epoll_sockets));
    m.sentence = fmt::format("waits in epoll on its one connection ({} socket reads/writes, no accept; "
                             "1 socket in the interest lists, the other fds its own wake-ups): "
                             "blocking I/O on that connection, one {} per connection",
                             socket_calls(p), p.thread->tid == p.thread->pid ? "process" : "thread");
    m.confidence = clamp01(0.5 + static_cast<double>(p.epoll_waits) / 100.0);
    return m;
  }
  if (is_control_loop(p, ctx)) {
    m.role = "control-loop";
    m.model = loop_models(p).empty() ? "select" : loop_models(p)[0];
    add("waits", static_cast<double>(multiplexed_waits(p)));
    m.sentence = fmt::format("waits in {} for signals, timers and wake-ups only ({} waits; no connection "
                             "accepted, opened or served): a control loop, not the service's event loop",
                             fmt::join(loop_models(p), " and "), multiplexed_waits(p));
    m.confidence = clamp01(0.5 + static_cast<double>(multiplexed_waits(p)) / 20.0);
    return m;
  }
  if (ctx.process_has_loop && !multiplexes(p) && p.accepts >= k_min_calls &&
      (p.sock_reads + p.sock_writes) * 10 <= p.accepts) {
    // accepts and reads none of what it accepted: it registers the connections with the loop
    m.role = "acceptor";
    m.model = "blocking";
    add("accepts", static_cast<double>(p.accepts));
    m.sentence = fmt::format("accepts connections ({} accepts, {} reads/writes) and serves none of them: "
                             "an acceptor handing them to the process's event loop",
                             p.accepts, p.sock_reads + p.sock_writes);
    m.confidence = clamp01(0.5 + static_cast<double>(p.accepts) / 100.0);
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
    // threads parked on their own sockets serve connections, loop or no loop; threads doing
    // file or other blocking work beside a loop, or for threads that wait on it, are a pool
    const uint64_t sock = socket_blocking_waits(p);
    const bool conn = sock > 0 && sock >= p.file_reads + p.file_writes + p.fsyncs;
    // beside a loop, a thread that blocks on sockets but takes its work from a queue (futex
    // waits, one for every ten socket calls or more) serves connections the loop hands it,
    // as an executor does (the JDK's HttpServer); a thread-per-connection thread blocks in
    // its own reads instead
    const bool queue_fed =
        ctx.process_has_loop && p.accepts == 0 && p.futex_calls * 10 >= socket_calls(p);
    const bool for_others = (!conn || queue_fed) && (ctx.process_has_loop || ctx.process_has_requester);
    // a pool takes work from other threads (a futex, a pipe or eventfd) and does it in volume
    const bool pool = for_others && hands_off(p) && pool_volume(p, ctx);
    m.role = pool ? "pool-worker" : for_others ? "helper" : "blocking-io";
    m.model = "blocking";
    add("blocking_socket_calls", static_cast<double>(socket_blocking_waits(p)));
    add("file_calls", static_cast<double>(p.file_reads + p.file_writes));
    if (multiplexes(p))
      m.sentence = fmt::format("does its I/O with blocking calls ({}); its {} multiplexed waits "
                               "only hand it new connections or wake-ups",
                               blocking_evidence(p), multiplexed_waits(p));
    else
      m.sentence = fmt::format("does blocking I/O with no multiplexer: {}", blocking_evidence(p));
    if (pool)
      m.sentence += ctx.process_has_loop ? ", for the process's event loop"
                                         : ", for threads of the process that wait on futexes";
    else if (for_others && !hands_off(p))
      m.sentence += "; it takes no work from other threads (no futex wait, no pipe or eventfd "
                    "read): its own chores, not a pool";
    else if (for_others)
      m.sentence += fmt::format("; {} such calls in {}: too few for a pool, its own chores",
                                blocking_io_calls(p), format_duration(span_ns(p, ctx)));
    m.confidence = clamp01(0.4 + static_cast<double>(blocking_io_calls(p)) / 50.0);
    return m;
  }
  if (ctx.process_has_loop && socket_calls(p) >= k_min_calls && !multiplexes(p)) {
    // connections handed over by the loop, served on non-blocking sockets
    m.role = "pool-worker";
    m.model = "blocking";
    add("socket_calls", static_cast<double>(socket_calls(p)));
    m.sentence = fmt::format("serves connections handed over by the process's event loop: {} socket "
                             "reads/writes/accepts, {} returned EAGAIN, no multiplexer of its own",
                             socket_calls(p), p.sock_eagain);
    m.confidence = clamp01(0.4 + static_cast<double>(socket_calls(p)) / 100.0);
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

}  // namespace iotrace
