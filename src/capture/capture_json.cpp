#include "src/capture/capture_json.hpp"

#include <fmt/format.h>

#include <type_traits>
#include <utility>

#include "src/util/text_escape.hpp"

namespace iotrace {
using nlohmann::json;

namespace {

// A JSON value as T. Numbers must be integers that fit T: nlohmann's get<T>() converts a float
// out of T's range with undefined behaviour and silently wraps a negative or too-large integer.
template <typename T>
T as(const json& v) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    bool fits = v.is_number_unsigned()  ? std::in_range<T>(v.get<uint64_t>())
                : v.is_number_integer() ? std::in_range<T>(v.get<int64_t>())
                                        : true;
    if (v.is_number_float()) throw std::runtime_error(fmt::format("{} is not an integer", v.dump()));
    if (!fits) throw std::runtime_error(fmt::format("{} is out of range", v.dump()));
  }
  return v.get<T>();
}

std::vector<uint64_t> u64s(const json& j, const char* key) {
  std::vector<uint64_t> out;
  for (const auto& v : j.value(key, json::array())) out.push_back(as<uint64_t>(v));
  return out;
}

// Names, paths and symbols come from the traced processes and may hold any bytes; JSON text
// must be UTF-8, and nlohmann::json::dump() throws on anything else.
std::string utf8(const std::string& s) { return to_valid_utf8(s); }
std::vector<std::string> utf8(const std::vector<std::string>& v) {
  std::vector<std::string> out;
  for (const auto& s : v) out.push_back(to_valid_utf8(s));
  return out;
}

json hist_json(const Histogram& h) {
  // Sparse: {"slot": count} keeps fixtures short and hand-editable.
  json o = json::object();
  for (int i = 0; i < k_hist_slots; ++i)
    if (h.slots[i]) o[std::to_string(i)] = h.slots[i];
  return o;
}

Histogram hist_from(const json& o) {
  Histogram h;
  if (!o.is_object()) return h;
  for (auto it = o.begin(); it != o.end(); ++it) {
    int i = std::stoi(it.key());
    if (i >= 0 && i < k_hist_slots) h.slots[i] = as<uint64_t>(it.value());
  }
  return h;
}

template <typename T>
T get_or(const json& j, const char* key, T def) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? def : as<T>(*it);
}

FdKind kind_from(const json& j, const char* key) {
  auto name = get_or<std::string>(j, key, "none");
  auto k = fd_kind_from_name(name);
  if (!k) throw std::runtime_error(fmt::format("unknown fd kind '{}'", name));
  return *k;
}

json stack_json(const Stack& s) {
  json frames = json::array();
  for (const auto& f : s.frames) {
    json jf = {{"addr", f.addr}, {"module", utf8(f.module)}, {"offset", f.offset},
               {"symbol", utf8(f.symbol)}, {"sym_offset", f.sym_offset}};
    if (f.kind != FrameKind::native) jf["kind"] = frame_kind_name(f.kind);
    if (!f.path.empty()) jf["path"] = utf8(f.path);
    if (!f.build_id.empty()) jf["build_id"] = f.build_id;
    if (!f.file.empty()) jf["file"] = utf8(f.file);
    if (f.line) jf["line"] = f.line;
    if (f.inlined) jf["inlined"] = true;
    frames.push_back(std::move(jf));
  }
  json out = {{"frames", frames}, {"truncated", s.truncated}, {"lost", s.lost}};
  if (!s.unwinder.empty()) out["unwinder"] = s.unwinder;
  if (!s.cut_reason.empty()) out["cut_reason"] = utf8(s.cut_reason);
  return out;
}

Stack stack_from(const json& j) {
  Stack s;
  if (!j.is_object()) return s;
  for (const auto& f : j.value("frames", json::array())) {
    Frame fr;
    fr.addr = get_or<uint64_t>(f, "addr", 0);
    fr.module = get_or<std::string>(f, "module", "");
    fr.offset = get_or<uint64_t>(f, "offset", 0);
    fr.symbol = get_or<std::string>(f, "symbol", "");
    fr.sym_offset = get_or<uint64_t>(f, "sym_offset", 0);
    auto kind = frame_kind_from_name(get_or<std::string>(f, "kind", "native"));
    if (!kind) throw std::runtime_error("unknown frame kind");
    fr.kind = *kind;
    fr.path = get_or<std::string>(f, "path", "");
    fr.build_id = get_or<std::string>(f, "build_id", "");
    fr.file = get_or<std::string>(f, "file", "");
    fr.line = get_or<uint32_t>(f, "line", 0);
    fr.inlined = get_or(f, "inlined", false);
    s.frames.push_back(std::move(fr));
  }
  s.truncated = get_or(j, "truncated", false);
  s.lost = get_or(j, "lost", false);
  s.unwinder = get_or<std::string>(j, "unwinder", "");
  s.cut_reason = get_or<std::string>(j, "cut_reason", "");
  return s;
}

json parked_json(const std::vector<ParkedCalls>& parked) {
  json a = json::array();
  for (const auto& x : parked)
    a.push_back({{"nr", x.nr}, {"fd_kind", fd_kind_name(x.fd_kind)}, {"threads", x.threads}});
  return a;
}

}  // namespace

const char* flag_kind_name(FlagKind k) {
  switch (k) {
    case FlagKind::slow: return "slow";
    case FlagKind::risk: return "risk";
    case FlagKind::et_undrained: return "et-undrained";
    case FlagKind::dns: return "dns";
  }
  return "slow";
}

namespace {

FlagKind flag_kind_from(const std::string& s) {
  if (s == "risk") return FlagKind::risk;
  if (s == "et-undrained") return FlagKind::et_undrained;
  if (s == "dns") return FlagKind::dns;
  if (s == "slow") return FlagKind::slow;
  throw std::runtime_error(fmt::format("unknown flagged-call kind '{}'", s));
}

std::vector<uint64_t> nonzero_ops(const std::array<uint64_t, k_uring_ops>& ops) {
  return {ops.begin(), ops.end()};
}

}  // namespace

json capture_to_json(const Capture& c) {
  json j;
  j["capture_version"] = c.capture_version;
  j["iotrace_version"] = utf8(c.iotrace_version);
  j["kernel"] = utf8(c.kernel);
  j["arch"] = arch_name(c.arch);
  j["duration_ns"] = c.duration_ns;
  j["settings"] = {{"stall_ns", c.settings.stall_ns},
                   {"block_ns", c.settings.block_ns},
                   {"follow_children", c.settings.follow_children},
                   {"tier", c.settings.tier == TraceTier::loop_watch ? "loop-watch" : "full"}};
  j["processes"] = json::array();
  for (const auto& p : c.processes) {
    json ep = json::array();
    for (const auto& e : p.epoll) {
      json entries = json::array();
      for (const auto& x : e.entries)
        entries.push_back({{"tfd", x.tfd}, {"events", x.events}, {"data", x.data},
                           {"kind", fd_kind_name(x.kind)}, {"listening", x.listening}});
      ep.push_back({{"epfd", e.epfd}, {"entries", entries}});
    }
    j["processes"].push_back({{"pid", p.pid},
                              {"ppid", p.ppid},
                              {"comm", utf8(p.comm)},
                              {"exe", utf8(p.exe)},
                              {"start_time_ticks", p.start_time_ticks},
                              {"exited", p.exited},
                              {"followed", p.followed},
                              {"traced_ns", p.traced_ns},
                              {"stack_rlimit_bytes", p.stack_rlimit_bytes},
                              {"vm_rss_bytes", p.vm_rss_bytes},
                              {"threads_now", p.threads_now},
                              {"open_fds", p.open_fds},
                              {"sockets_open", p.sockets_open},
                              {"children", p.children},
                              {"epoll", ep},
                              {"libraries", utf8(p.libraries)},
                              {"go_binary", p.go_binary},
                              {"ns_pid", p.ns_pid},
                              {"parked", parked_json(p.parked)}});
  }
  j["threads"] = json::array();
  for (const auto& t : c.threads) {
    const auto& e = t.epoll;
    const auto& u = t.uring;
    j["threads"].push_back(
        {{"tid", t.tid},
         {"pid", t.pid},
         {"comm", utf8(t.comm)},
         {"exited", t.exited},
         {"loop", t.loop},
         {"io_worker", t.io_worker},
         {"first_ns", t.first_ns},
         {"last_ns", t.last_ns},
         {"oncpu_ns", t.oncpu_ns},
         {"sleep_ns", t.sleep_ns},
         {"runq_ns", t.runq_ns},
         {"vol_switches", t.vol_switches},
         {"invol_switches", t.invol_switches},
         {"stalls", t.stalls},
         {"iterations", t.iterations},
         {"iteration_hist", hist_json(t.iteration_hist)},
         {"select_max_nfds", t.select_max_nfds},
         {"dns_udp53", t.dns_udp53},
         {"et_undrained", t.et_undrained},
         {"epoll",
          {{"ctl_add", e.ctl_add}, {"ctl_mod", e.ctl_mod}, {"ctl_del", e.ctl_del},
           {"edge", e.edge}, {"level", e.level}, {"oneshot", e.oneshot},
           {"exclusive", e.exclusive}, {"fd_kinds", e.fd_kinds}}},
         {"uring",
          {{"sqes", u.sqes}, {"cqes", u.cqes}, {"failed", u.failed}, {"punts", u.punts},
           {"overflows", u.overflows}, {"links", u.links}, {"enter_getevents", u.enter_getevents},
           {"enter_sqwakeup", u.enter_sqwakeup}, {"rings", u.rings},
           {"rings_sqpoll", u.rings_sqpoll}, {"ops", nonzero_ops(u.ops)}}}});
  }
  j["syscalls"] = json::array();
  for (const auto& s : c.syscalls)
    j["syscalls"].push_back({{"tid", s.tid},
                             {"nr", s.nr},
                             {"fd_kind", fd_kind_name(s.fd_kind)},
                             {"nonblock", s.nonblock},
                             {"calls", s.calls},
                             {"err_eagain", s.err_eagain},
                             {"err_eintr", s.err_eintr},
                             {"err_other", s.err_other},
                             {"total_ns", s.total_ns},
                             {"max_ns", s.max_ns},
                             {"bytes", s.bytes},
                             {"zero_ret", s.zero_ret},
                             {"ret_sum", s.ret_sum},
                             {"arg_sum", s.arg_sum},
                             {"arg_max", s.arg_max},
                             {"hist", hist_json(s.hist)}});
  j["flagged"] = json::array();
  for (const auto& f : c.flagged)
    j["flagged"].push_back({{"tid", f.tid},
                            {"nr", f.nr},
                            {"fd_kind", fd_kind_name(f.fd_kind)},
                            {"kind", flag_kind_name(f.kind)},
                            {"queued_bytes", f.queued_bytes},
                            {"count", f.count},
                            {"total_ns", f.total_ns},
                            {"max_ns", f.max_ns},
                            {"sleep_ns", f.sleep_ns},
                            {"runq_ns", f.runq_ns},
                            {"hist", hist_json(f.hist)},
                            {"stack", stack_json(f.stack)}});
  j["stalls"] = json::array();
  for (const auto& s : c.stalls)
    j["stalls"].push_back({{"tid", s.tid},
                           {"start_ns", s.start_ns},
                           {"dur_ns", s.dur_ns},
                           {"sys_ns", s.sys_ns},
                           {"sleep_ns", s.sleep_ns},
                           {"runq_ns", s.runq_ns},
                           {"cpu_ns", s.cpu_ns},
                           {"max_sys_ns", s.max_sys_ns},
                           {"max_nr", s.max_nr},
                           {"stack", stack_json(s.stack)}});
  // no "timeline": those losses concern the --timeline file, which a capture does not keep
  j["losses"] = {{"stats_full", c.losses.stats_full},
                 {"threads_full", c.losses.threads_full},
                 {"ringbuf", c.losses.ringbuf},
                 {"stack", c.losses.stack},
                 {"flagged_full", c.losses.flagged_full},
                 {"stack_copy", c.losses.stack_copy}};
  j["notes"] = utf8(c.notes);
  if (!c.unavailable.empty()) j["unavailable"] = c.unavailable;
  return j;
}

Result<Capture> capture_from_json(const json& j) try {
  Capture c;
  c.capture_version = as<int>(j.at("capture_version"));
  if (c.capture_version != k_capture_version)
    return Error{fmt::format("capture version {} is not supported (this iotrace reads {})",
                             c.capture_version, k_capture_version)};
  c.iotrace_version = get_or<std::string>(j, "iotrace_version", "");
  c.kernel = get_or<std::string>(j, "kernel", "");
  // whose syscall numbers the rows hold; captures from before the field are x86_64's
  const auto arch = get_or<std::string>(j, "arch", "x86_64");
  if (auto a = arch_from_name(arch))
    c.arch = *a;
  else
    return Error{fmt::format("capture of an unknown architecture '{}' (iotrace knows x86_64 and arm64)", arch)};
  c.duration_ns = get_or<uint64_t>(j, "duration_ns", 0);
  if (auto it = j.find("settings"); it != j.end()) {
    c.settings.stall_ns = get_or<uint64_t>(*it, "stall_ns", 0);
    c.settings.block_ns = get_or<uint64_t>(*it, "block_ns", 0);
    c.settings.follow_children = get_or(*it, "follow_children", false);
    c.settings.tier = get_or<std::string>(*it, "tier", "full") == "loop-watch" ? TraceTier::loop_watch : TraceTier::full;
  }
  for (const auto& p : j.value("processes", json::array())) {
    ProcessRecord r;
    r.pid = as<uint32_t>(p.at("pid"));
    r.ppid = get_or<uint32_t>(p, "ppid", 0);
    r.comm = get_or<std::string>(p, "comm", "");
    r.exe = get_or<std::string>(p, "exe", "");
    r.start_time_ticks = get_or<uint64_t>(p, "start_time_ticks", 0);
    r.exited = get_or(p, "exited", false);
    r.followed = get_or(p, "followed", false);
    r.traced_ns = get_or<uint64_t>(p, "traced_ns", c.duration_ns);
    r.stack_rlimit_bytes = get_or<uint64_t>(p, "stack_rlimit_bytes", 0);
    r.vm_rss_bytes = get_or<uint64_t>(p, "vm_rss_bytes", 0);
    r.threads_now = get_or<uint32_t>(p, "threads_now", 0);
    r.open_fds = get_or<uint32_t>(p, "open_fds", 0);
    r.sockets_open = get_or<uint32_t>(p, "sockets_open", 0);
    r.children = get_or<uint32_t>(p, "children", 0);
    for (const auto& e : p.value("epoll", json::array())) {
      EpollInstance inst;
      inst.epfd = as<int>(e.at("epfd"));
      for (const auto& x : e.value("entries", json::array()))
        inst.entries.push_back({as<int>(x.at("tfd")), get_or<uint32_t>(x, "events", 0),
                                get_or<uint64_t>(x, "data", 0), kind_from(x, "kind"),
                                get_or(x, "listening", false)});
      r.epoll.push_back(std::move(inst));
    }
    r.libraries = p.value("libraries", std::vector<std::string>{});
    r.go_binary = get_or(p, "go_binary", false);
    r.ns_pid = get_or<uint32_t>(p, "ns_pid", 0);
    for (const auto& x : p.value("parked", json::array()))
      r.parked.push_back({x.at("nr").get<int>(), kind_from(x, "fd_kind"),
                          get_or<uint32_t>(x, "threads", 0)});
    c.processes.push_back(std::move(r));
  }
  for (const auto& t : j.value("threads", json::array())) {
    ThreadRecord r;
    r.tid = as<uint32_t>(t.at("tid"));
    r.pid = as<uint32_t>(t.at("pid"));
    r.comm = get_or<std::string>(t, "comm", "");
    r.exited = get_or(t, "exited", false);
    r.loop = get_or(t, "loop", false);
    r.io_worker = get_or(t, "io_worker", false);
    r.first_ns = get_or<uint64_t>(t, "first_ns", 0);
    r.last_ns = get_or<uint64_t>(t, "last_ns", 0);
    r.oncpu_ns = get_or<uint64_t>(t, "oncpu_ns", 0);
    r.sleep_ns = get_or<uint64_t>(t, "sleep_ns", 0);
    r.runq_ns = get_or<uint64_t>(t, "runq_ns", 0);
    r.vol_switches = get_or<uint64_t>(t, "vol_switches", 0);
    r.invol_switches = get_or<uint64_t>(t, "invol_switches", 0);
    r.stalls = get_or<uint64_t>(t, "stalls", 0);
    r.iterations = get_or<uint64_t>(t, "iterations", 0);
    r.iteration_hist = hist_from(t.value("iteration_hist", json::object()));
    r.select_max_nfds = get_or<uint64_t>(t, "select_max_nfds", 0);
    r.dns_udp53 = get_or<uint64_t>(t, "dns_udp53", 0);
    r.et_undrained = get_or<uint64_t>(t, "et_undrained", 0);
    if (auto it = t.find("epoll"); it != t.end()) {
      auto& e = r.epoll;
      e.ctl_add = get_or<uint64_t>(*it, "ctl_add", 0);
      e.ctl_mod = get_or<uint64_t>(*it, "ctl_mod", 0);
      e.ctl_del = get_or<uint64_t>(*it, "ctl_del", 0);
      e.edge = get_or<uint64_t>(*it, "edge", 0);
      e.level = get_or<uint64_t>(*it, "level", 0);
      e.oneshot = get_or<uint64_t>(*it, "oneshot", 0);
      e.exclusive = get_or<uint64_t>(*it, "exclusive", 0);
      auto kinds = u64s(*it, "fd_kinds");
      for (size_t i = 0; i < kinds.size() && i < e.fd_kinds.size(); ++i) e.fd_kinds[i] = kinds[i];
    }
    if (auto it = t.find("uring"); it != t.end()) {
      auto& u = r.uring;
      u.sqes = get_or<uint64_t>(*it, "sqes", 0);
      u.cqes = get_or<uint64_t>(*it, "cqes", 0);
      u.failed = get_or<uint64_t>(*it, "failed", 0);
      u.punts = get_or<uint64_t>(*it, "punts", 0);
      u.overflows = get_or<uint64_t>(*it, "overflows", 0);
      u.links = get_or<uint64_t>(*it, "links", 0);
      u.enter_getevents = get_or<uint64_t>(*it, "enter_getevents", 0);
      u.enter_sqwakeup = get_or<uint64_t>(*it, "enter_sqwakeup", 0);
      u.rings = get_or<uint64_t>(*it, "rings", 0);
      u.rings_sqpoll = get_or<uint64_t>(*it, "rings_sqpoll", 0);
      auto ops = u64s(*it, "ops");
      for (size_t i = 0; i < ops.size() && i < u.ops.size(); ++i) u.ops[i] = ops[i];
    }
    c.threads.push_back(std::move(r));
  }
  for (const auto& s : j.value("syscalls", json::array())) {
    SyscallRow r;
    r.tid = as<uint32_t>(s.at("tid"));
    r.nr = as<int>(s.at("nr"));
    r.fd_kind = kind_from(s, "fd_kind");
    r.nonblock = get_or(s, "nonblock", false);
    r.calls = get_or<uint64_t>(s, "calls", 0);
    r.err_eagain = get_or<uint64_t>(s, "err_eagain", 0);
    r.err_eintr = get_or<uint64_t>(s, "err_eintr", 0);
    r.err_other = get_or<uint64_t>(s, "err_other", 0);
    r.total_ns = get_or<uint64_t>(s, "total_ns", 0);
    r.max_ns = get_or<uint64_t>(s, "max_ns", 0);
    r.bytes = get_or<uint64_t>(s, "bytes", 0);
    r.zero_ret = get_or<uint64_t>(s, "zero_ret", 0);
    r.ret_sum = get_or<uint64_t>(s, "ret_sum", 0);
    r.arg_sum = get_or<uint64_t>(s, "arg_sum", 0);
    r.arg_max = get_or<uint64_t>(s, "arg_max", 0);
    r.hist = hist_from(s.value("hist", json::object()));
    if (r.errors() > r.calls) return Error{fmt::format("syscall row for tid {} nr {}: more errors than calls", r.tid, r.nr)};
    c.syscalls.push_back(r);
  }
  for (const auto& f : j.value("flagged", json::array())) {
    FlaggedCall r;
    r.tid = as<uint32_t>(f.at("tid"));
    r.nr = as<int>(f.at("nr"));
    r.fd_kind = kind_from(f, "fd_kind");
    r.kind = flag_kind_from(get_or<std::string>(f, "kind", "slow"));
    r.queued_bytes = get_or<uint64_t>(f, "queued_bytes", 0);
    r.count = get_or<uint64_t>(f, "count", 0);
    r.total_ns = get_or<uint64_t>(f, "total_ns", 0);
    r.max_ns = get_or<uint64_t>(f, "max_ns", 0);
    r.sleep_ns = get_or<uint64_t>(f, "sleep_ns", 0);
    r.runq_ns = get_or<uint64_t>(f, "runq_ns", 0);
    r.hist = hist_from(f.value("hist", json::object()));
    r.stack = stack_from(f.value("stack", json::object()));
    c.flagged.push_back(std::move(r));
  }
  for (const auto& s : j.value("stalls", json::array())) {
    Stall r;
    r.tid = as<uint32_t>(s.at("tid"));
    r.start_ns = get_or<uint64_t>(s, "start_ns", 0);
    r.dur_ns = get_or<uint64_t>(s, "dur_ns", 0);
    r.sys_ns = get_or<uint64_t>(s, "sys_ns", 0);
    r.sleep_ns = get_or<uint64_t>(s, "sleep_ns", 0);
    r.runq_ns = get_or<uint64_t>(s, "runq_ns", 0);
    r.cpu_ns = get_or<uint64_t>(s, "cpu_ns", 0);
    r.max_sys_ns = get_or<uint64_t>(s, "max_sys_ns", 0);
    r.max_nr = get_or<int>(s, "max_nr", -1);
    r.stack = stack_from(s.value("stack", json::object()));
    c.stalls.push_back(std::move(r));
  }
  if (auto it = j.find("losses"); it != j.end()) {
    c.losses.stats_full = get_or<uint64_t>(*it, "stats_full", 0);
    c.losses.threads_full = get_or<uint64_t>(*it, "threads_full", 0);
    c.losses.ringbuf = get_or<uint64_t>(*it, "ringbuf", 0);
    c.losses.stack = get_or<uint64_t>(*it, "stack", 0);
    c.losses.flagged_full = get_or<uint64_t>(*it, "flagged_full", 0);
    c.losses.stack_copy = get_or<uint64_t>(*it, "stack_copy", 0);
  }
  c.notes = j.value("notes", std::vector<std::string>{});
  c.unavailable = j.value("unavailable", std::vector<std::string>{});
  return c;
} catch (const std::exception& e) {
  return Error{fmt::format("malformed capture: {}", e.what())};
}

Result<Capture> capture_from_text(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Error{"malformed capture: not valid JSON"};
  return capture_from_json(j);
}

}  // namespace iotrace
