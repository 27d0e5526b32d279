// A JSON report (--json output of attach, run and report) read back into the view that
// iotrace diff compares. Only the fields the comparison needs are read.
#include <fmt/format.h>

#include <stdexcept>

#include "src/output/report.hpp"
#include "src/output/report_diff.hpp"

namespace iotrace {
namespace {
using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? std::string() : it->get<std::string>();
}

uint64_t u64(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? 0 : it->get<uint64_t>();
}

Severity severity_from(const std::string& name) {
  for (auto s : {Severity::info, Severity::low, Severity::medium, Severity::high})
    if (severity_name(s) == name) return s;
  throw std::runtime_error(fmt::format("unknown severity '{}'", name));
}

Stack stack_from(const json& j) {
  Stack s;
  if (!j.is_object()) return s;
  for (const auto& f : j.value("frames", json::array())) {
    Frame fr;
    fr.module = str(f, "module");
    fr.symbol = str(f, "symbol");
    fr.offset = u64(f, "offset");
    fr.sym_offset = u64(f, "symbol_offset");
    fr.file = str(f, "file");
    fr.line = static_cast<uint32_t>(u64(f, "line"));
    fr.inlined = f.value("inlined", false);
    if (auto k = frame_kind_from_name(f.value("kind", std::string("native")))) fr.kind = *k;
    s.frames.push_back(std::move(fr));
  }
  s.truncated = j.value("truncated", false);
  s.lost = j.value("lost", false);
  return s;
}

Finding finding_from(const json& j) {
  Finding f;
  f.id = j.at("id").get<std::string>();
  f.severity = severity_from(j.at("severity").get<std::string>());
  f.title = str(j, "title");
  f.tid = static_cast<uint32_t>(u64(j, "tid"));
  f.thread = str(j, "thread");
  f.syscall = str(j, "syscall");
  f.evidence = str(j, "evidence");
  f.advice = str(j, "advice");
  f.count = u64(j, "count");
  f.total_ns = u64(j, "total_ns");
  f.max_ns = u64(j, "max_ns");
  f.p50_ns = u64(j, "p50_ns");
  f.p99_ns = u64(j, "p99_ns");
  f.stack = stack_from(j.value("stack", json()));
  for (const auto& t : j.value("tids", json::array())) f.tids.push_back(t.get<uint32_t>());
  return f;
}

ProcessView process_from(const json& p) {
  ProcessView v;
  v.pid = p.at("pid").get<uint32_t>();
  v.comm = p.at("comm").get<std::string>();
  v.exe = str(p, "exe");
  v.calls = u64(p.at("total"), "calls");
  const auto& m = p.at("model");
  v.model = str(m, "model");
  v.trigger = str(m, "trigger");
  for (const auto& f : p.value("findings", json::array())) v.findings.push_back(finding_from(f));
  const json metrics = p.value("metrics", json::object());
  for (const auto& [id, value] : metrics.items()) v.metrics.push_back({id, value.get<double>(), 0});
  for (const auto& s : p.value("syscalls", json::array()))
    v.syscalls.push_back({s.at("syscall").get<std::string>(), str(s, "fd_kind"), u64(s, "calls"),
                          u64(s, "p50_ns"), u64(s, "p99_ns")});
  return v;
}

}  // namespace

Result<ReportView> view_from_report_json(const nlohmann::json& j) {
  try {
    if (!j.is_object() || !j.contains("schema_version") || !j.contains("processes"))
      return Error{"not a JSON report: no schema_version and processes"};
    if (j.at("schema_version") != k_schema_version)
      return Error{fmt::format("report schema_version {} is not supported (this iotrace reads {})",
                               j.at("schema_version").dump(), k_schema_version)};
    ReportView v;
    for (const auto& p : j.at("processes")) v.processes.push_back(process_from(p));
    return v;
  } catch (const std::exception& e) {
    return Error{fmt::format("malformed report: {}", e.what())};
  }
}

}  // namespace iotrace
