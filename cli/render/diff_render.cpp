#include "cli/render/diff_render.hpp"

#include <fmt/format.h>

#include "src/util/duration.hpp"
#include "src/util/text_escape.hpp"

namespace iotrace::cli {
using nlohmann::json;

namespace {

bool same(const ProcessPair& a, const ProcessPair& b) {
  return a.before_pid == b.before_pid && a.after_pid == b.after_pid;
}

std::string model_label(const std::string& model, const std::string& trigger) {
  return trigger.empty() ? model : fmt::format("{} (trigger {})", model, trigger);
}

// "[high] blocking-call-on-loop clock_nanosleep on loop-main (handle_sleep)"
std::string finding_line(const Finding& f) {
  std::string o = fmt::format("{} {}", f.id, escape_text(f.syscall));
  if (f.syscall.empty()) o.pop_back();
  if (!f.thread.empty()) o += " on " + escape_text(f.thread);
  if (auto site = site_label(f); !site.empty()) o += " (" + escape_text(site) + ")";
  return o;
}

std::string value_text(const MetricChange& m, double v) {
  if (m.syscall.empty()) return fmt::format("{:.2f}", v);
  return format_duration(static_cast<uint64_t>(v));
}

std::string metric_line(const MetricChange& m) {
  std::string what = m.syscall.empty()
                         ? m.metric
                         : fmt::format("{} of {} ({})", m.metric.substr(0, 3), m.syscall, m.fd_kind);
  return fmt::format("{} {} -> {} ({:+.0f}%)", what, value_text(m, m.before), value_text(m, m.after),
                     m.change * 100);
}

// The lines of one process; empty when nothing changed in it.
std::string process_lines(const ProcessPair& p, const Diff& d) {
  std::string o;
  for (const auto& m : d.model_changes)
    if (same(m.process, p))
      o += fmt::format("  model: {} -> {}\n", model_label(m.before_model, m.before_trigger),
                       model_label(m.after_model, m.after_trigger));
  for (const auto& g : d.gone_findings)
    if (p.before_pid && g.pid == p.before_pid)
      o += fmt::format("  gone: [{}] {}\n", severity_name(g.finding.severity), finding_line(g.finding));
  for (const auto& n : d.new_findings)
    if (p.after_pid && n.pid == p.after_pid)
      o += fmt::format("  new: [{}] {}\n", severity_name(n.finding.severity), finding_line(n.finding));
  for (const auto& s : d.severity_changes)
    if (same(s.process, p))
      o += fmt::format("  severity: [{} -> {}] {}\n", severity_name(s.before.severity),
                       severity_name(s.after.severity), finding_line(s.after));
  for (const auto& m : d.metric_changes)
    if (same(m.process, p)) o += fmt::format("  changed: {}\n", metric_line(m));
  return o;
}

std::string pid_text(const ProcessPair& p) {
  if (!p.after_pid) return fmt::format("pid {}, only in before", p.before_pid);
  if (!p.before_pid) return fmt::format("pid {}, only in after", p.after_pid);
  return fmt::format("pid {} -> {}", p.before_pid, p.after_pid);
}

json pair_json(const ProcessPair& p) {
  return {{"comm", to_valid_utf8(p.comm)},
          {"before_pid", p.before_pid ? json(p.before_pid) : json(nullptr)},
          {"after_pid", p.after_pid ? json(p.after_pid) : json(nullptr)}};
}

json finding_json(const Finding& f) {
  return {{"id", f.id},
          {"severity", severity_name(f.severity)},
          {"title", f.title},
          {"thread", to_valid_utf8(f.thread)},
          {"syscall", f.syscall.empty() ? json(nullptr) : json(f.syscall)},
          {"site", to_valid_utf8(site_label(f))},
          {"call_site", to_valid_utf8(call_site(f))},
          {"evidence", to_valid_utf8(f.evidence)}};
}

json change_json(const FindingChange& c) {
  json j = finding_json(c.finding);
  j["comm"] = to_valid_utf8(c.comm);
  j["pid"] = c.pid;
  return j;
}

json pairs_json(const std::vector<ProcessPair>& v) {
  json out = json::array();
  for (const auto& p : v) out.push_back(pair_json(p));
  return out;
}

}  // namespace

std::string render_diff_text(const DiffHeader& h, const Diff& d) {
  std::string o = fmt::format("iotrace diff: {} -> {}\n", escape_text(h.before), escape_text(h.after));
  std::vector<ProcessPair> all = d.matched;
  all.insert(all.end(), d.only_before.begin(), d.only_before.end());
  all.insert(all.end(), d.only_after.begin(), d.only_after.end());
  for (const auto& p : all) {
    std::string lines = process_lines(p, d);
    bool unmatched = !p.before_pid || !p.after_pid;
    if (lines.empty() && !unmatched) continue;
    o += fmt::format("\n{} ({})\n{}", escape_text(p.comm), pid_text(p), lines);
  }
  if (d.empty()) {
    o += fmt::format("\nno changes ({} process{} compared)\n", d.matched.size(),
                     d.matched.size() == 1 ? "" : "es");
    return o;
  }
  o += fmt::format("\nsummary: {} new, {} gone, {} severity changed, {} model changed, "
                   "{} moved more than {:.0f}%\n",
                   d.new_findings.size(), d.gone_findings.size(), d.severity_changes.size(),
                   d.model_changes.size(), d.metric_changes.size(), h.options.threshold * 100);
  return o;
}

json diff_to_json(const DiffHeader& h, const Diff& d) {
  json j;
  j["schema_version"] = 1;
  j["before"] = to_valid_utf8(h.before);
  j["after"] = to_valid_utf8(h.after);
  j["threshold_pct"] = h.options.threshold * 100;
  j["min_calls"] = h.options.min_calls;
  j["changed"] = !d.empty();
  j["processes"] = {{"matched", pairs_json(d.matched)},
                    {"only_before", pairs_json(d.only_before)},
                    {"only_after", pairs_json(d.only_after)}};
  j["model_changes"] = json::array();
  for (const auto& m : d.model_changes) {
    json c = pair_json(m.process);
    c["before"] = {{"model", m.before_model},
                   {"trigger", m.before_trigger.empty() ? json(nullptr) : json(m.before_trigger)}};
    c["after"] = {{"model", m.after_model},
                  {"trigger", m.after_trigger.empty() ? json(nullptr) : json(m.after_trigger)}};
    j["model_changes"].push_back(c);
  }
  j["new_findings"] = json::array();
  for (const auto& n : d.new_findings) j["new_findings"].push_back(change_json(n));
  j["gone_findings"] = json::array();
  for (const auto& g : d.gone_findings) j["gone_findings"].push_back(change_json(g));
  j["severity_changes"] = json::array();
  for (const auto& s : d.severity_changes) {
    json c = finding_json(s.after);
    c.update(pair_json(s.process));
    c.erase("severity");
    c["before_severity"] = severity_name(s.before.severity);
    c["after_severity"] = severity_name(s.after.severity);
    j["severity_changes"].push_back(c);
  }
  j["metric_changes"] = json::array();
  for (const auto& m : d.metric_changes) {
    json c = pair_json(m.process);
    c["metric"] = m.metric;
    c["syscall"] = m.syscall.empty() ? json(nullptr) : json(m.syscall);
    c["fd_kind"] = m.fd_kind.empty() ? json(nullptr) : json(m.fd_kind);
    c["before"] = m.before;
    c["after"] = m.after;
    c["change_pct"] = m.change * 100;
    j["metric_changes"].push_back(c);
  }
  return j;
}

}  // namespace iotrace::cli
