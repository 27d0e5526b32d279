#include "cli/render/render.hpp"
#include "src/util/text_escape.hpp"

namespace iotrace::cli {
using nlohmann::json;

namespace {

json stats_json(const CallStats& s, uint64_t traced_ns) {
  return {{"calls", s.calls},
          {"rate_per_s", traced_ns ? static_cast<double>(s.calls) * 1e9 / static_cast<double>(traced_ns) : 0.0},
          {"errors", s.errors},
          {"eagain", s.eagain},
          {"eintr", s.eintr},
          {"bytes", s.bytes},
          {"total_ns", s.total_ns},
          {"p50_ns", s.p50_ns()},
          {"p99_ns", s.p99_ns()},
          {"max_ns", s.max_ns}};
}

json syscalls_json(Arch arch, const std::vector<SyscallLine>& lines, uint64_t traced_ns) {
  json out = json::array();
  for (const auto& s : lines) {
    json so = stats_json(s.stats, traced_ns);
    so["syscall"] = syscall_name(arch, s.nr);
    so["nr"] = s.nr;
    so["fd_kind"] = fd_kind_name(s.fd_kind);
    out.push_back(so);
  }
  return out;
}

json stack_json(const Stack& s) {
  json frames = json::array();
  for (const auto& f : s.frames) {
    json jf = {{"addr", f.addr},
               {"module", to_valid_utf8(f.module)},
               {"offset", f.offset},
               {"symbol", to_valid_utf8(f.symbol)},
               {"symbol_offset", f.sym_offset},
               {"kind", frame_kind_name(f.kind)}};
    if (!f.build_id.empty()) jf["build_id"] = f.build_id;
    if (!f.path.empty()) jf["path"] = to_valid_utf8(f.path);
    if (!f.file.empty()) jf["file"] = to_valid_utf8(f.file);
    if (f.line) jf["line"] = f.line;
    if (f.inlined) jf["inlined"] = true;
    frames.push_back(std::move(jf));
  }
  json out = {{"frames", frames}, {"truncated", s.truncated}, {"lost", s.lost}};
  if (!s.unwinder.empty()) out["unwinder"] = s.unwinder;
  if (s.truncated && !s.cut_reason.empty()) out["cut_reason"] = to_valid_utf8(s.cut_reason);
  return out;
}

json evidence_json(const std::vector<Evidence>& ev) {
  json o = json::object();
  for (const auto& e : ev) o[e.name] = e.value;
  return o;
}

json process_json(const ProcessReport& p) {
  const auto& pr = p.process;
  json j;
  j["pid"] = pr.pid;
  j["ppid"] = pr.ppid;
  j["comm"] = to_valid_utf8(pr.comm);
  j["exe"] = to_valid_utf8(pr.exe);
  j["exited"] = pr.exited;
  j["followed"] = pr.followed;
  j["traced_ns"] = pr.traced_ns;
  j["threads_seen"] = p.threads_seen;
  j["sockets_open"] = pr.sockets_open;
  j["stack_rlimit_bytes"] = pr.stack_rlimit_bytes;
  j["ns_pid"] = pr.ns_pid ? json(pr.ns_pid) : json(nullptr);
  j["parked"] = json::array();
  for (const auto& x : pr.parked)
    j["parked"].push_back({{"syscall", syscall_name(p.arch, x.nr)}, {"fd_kind", fd_kind_name(x.fd_kind)},
                           {"threads", x.threads}});
  const auto& m = p.model;
  j["model"] = {{"model", m.model},
                {"parts", m.parts},
                {"trigger", m.trigger.empty() ? json(nullptr) : json(m.trigger)},
                {"oneshot", m.oneshot},
                {"exclusive", m.exclusive},
                {"interest_fd_kinds", m.interest_kinds},
                {"runtime", m.runtime.empty() ? json(nullptr) : json(m.runtime)},
                {"runtime_evidence", to_valid_utf8(m.runtime_evidence)},
                {"sentence", m.sentence},
                {"confidence", m.confidence},
                {"evidence", evidence_json(m.evidence)}};
  j["total"] = stats_json(p.total, pr.traced_ns);
  j["categories"] = json::array();
  for (const auto& c : p.categories) {
    json s = stats_json(c.stats, pr.traced_ns);
    s["category"] = category_name(c.category);
    j["categories"].push_back(s);
  }
  j["syscalls"] = json::array();
  for (const auto& s : p.syscalls) {
    json o = stats_json(s.stats, pr.traced_ns);
    o["syscall"] = syscall_name(p.arch, s.nr);
    o["nr"] = s.nr;
    o["fd_kind"] = fd_kind_name(s.fd_kind);
    j["syscalls"].push_back(o);
  }
  j["threads"] = json::array();
  for (const auto& t : p.threads) {
    json o;
    o["tid"] = t.thread.tid;
    o["comm"] = to_valid_utf8(t.thread.comm);
    o["exited"] = t.thread.exited;
    o["role"] = t.model.role;
    o["model"] = t.model.model;
    o["trigger"] = t.model.trigger.empty() ? json(nullptr) : json(t.model.trigger);
    o["sentence"] = t.model.sentence;
    o["confidence"] = t.model.confidence;
    o["evidence"] = evidence_json(t.model.evidence);
    o["total"] = stats_json(t.total, pr.traced_ns);
    o["oncpu_ns"] = t.thread.oncpu_ns;
    o["sleep_ns"] = t.thread.sleep_ns;
    o["runq_ns"] = t.thread.runq_ns;
    o["voluntary_switches"] = t.thread.vol_switches;
    o["involuntary_switches"] = t.thread.invol_switches;
    o["stalls"] = t.thread.stalls;
    o["iterations"] = t.thread.iterations;
    o["syscalls"] = syscalls_json(p.arch, t.syscalls, pr.traced_ns);
    j["threads"].push_back(o);
  }
  j["thread_groups"] = json::array();
  for (const auto& g : p.thread_groups)
    j["thread_groups"].push_back({{"comm", to_valid_utf8(g.comm)},
                                  {"role", g.role},
                                  {"model", g.model},
                                  {"threads", g.threads},
                                  {"exited", g.exited},
                                  {"total", stats_json(g.total, pr.traced_ns)},
                                  {"lifetime_min_ns", g.lifetime_min_ns},
                                  {"lifetime_median_ns", g.lifetime_median_ns},
                                  {"lifetime_max_ns", g.lifetime_max_ns},
                                  {"oncpu_ns", g.oncpu_ns},
                                  {"sleep_ns", g.sleep_ns},
                                  {"runq_ns", g.runq_ns},
                                  {"voluntary_switches", g.vol_switches},
                                  {"involuntary_switches", g.invol_switches},
                                  {"stalls", g.stalls},
                                  {"syscalls", syscalls_json(p.arch, g.syscalls, pr.traced_ns)}});
  j["metrics"] = json::object();
  j["thread_metrics"] = json::object();
  for (const auto& m : p.metrics.values) {
    if (m.tid == 0) j["metrics"][m.id] = m.value;
    else j["thread_metrics"][std::to_string(m.tid)][m.id] = m.value;
  }
  j["findings"] = json::array();
  for (const auto& f : p.findings)
    j["findings"].push_back({{"id", f.id},
                             {"severity", severity_name(f.severity)},
                             {"title", f.title},
                             {"tid", f.tid},
                             {"thread", to_valid_utf8(f.thread)},
                             {"syscall", f.syscall.empty() ? json(nullptr) : json(f.syscall)},
                             {"fd_kind", fd_kind_name(f.fd_kind)},
                             {"evidence", to_valid_utf8(f.evidence)},
                             {"advice", f.advice},
                             {"count", f.count},
                             {"total_ns", f.total_ns},
                             {"max_ns", f.max_ns},
                             {"p50_ns", f.p50_ns},
                             {"p99_ns", f.p99_ns},
                             {"sleep_ns", f.sleep_ns},
                             {"runq_ns", f.runq_ns},
                             {"stack", stack_json(f.stack)},
                             {"threads", f.tids.size()},
                             {"tids", f.tids}});
  j["recommendation"] = p.recommendation;
  return j;
}

}  // namespace

json report_to_json(const Report& r) {
  json j;
  j["schema_version"] = r.schema_version;
  j["iotrace_version"] = r.iotrace_version;
  j["kernel"] = r.kernel;
  j["duration_ns"] = r.duration_ns;
  j["settings"] = {{"stall_threshold_ns", r.settings.stall_ns},
                   {"block_threshold_ns", r.settings.block_ns},
                   {"follow_children", r.settings.follow_children},
                   {"all_threads", r.all_threads},
                   {"tier", r.settings.tier == TraceTier::loop_watch ? "loop-watch" : "full"}};
  j["processes"] = json::array();
  for (const auto& p : r.processes) j["processes"].push_back(process_json(p));
  j["service"] = nullptr;
  if (r.service)
    j["service"] = {{"root_pid", r.service->root_pid},
                    {"model", r.service->model},
                    {"parts", r.service->parts},
                    {"sentence", r.service->sentence},
                    {"confidence", r.service->confidence},
                    {"evidence", evidence_json(r.service->evidence)}};
  j["losses"] = {{"total", r.losses.total()},
                 {"stats_map_full", r.losses.stats_full},
                 {"threads_map_full", r.losses.threads_full},
                 {"ringbuf", r.losses.ringbuf},
                 {"stacks", r.losses.stack},
                 {"flagged_map_full", r.losses.flagged_full},
                 {"stack_copies", r.losses.stack_copy},
                 {"timeline", r.losses.timeline}};
  j["notes"] = r.notes;
  return j;
}

std::string render_json(const Report& r) { return report_to_json(r).dump(2) + "\n"; }

}  // namespace iotrace::cli
