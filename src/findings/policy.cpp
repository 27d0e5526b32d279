#include "src/findings/policy.hpp"

#include <fmt/format.h>
#include <fnmatch.h>
#include <string.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "src/util/duration.hpp"
#include "src/output/report.hpp"

namespace iotrace {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<Severity> severity_of(std::string_view s) {
  for (auto sev : {Severity::info, Severity::low, Severity::medium, Severity::high})
    if (severity_name(sev) == s) return sev;
  return std::nullopt;
}

Result<double> parse_positive_number(std::string_view text) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v) ||
      v <= 0)
    return Error{fmt::format("invalid number '{}': expected a positive number such as 4 or 2.5", text)};
  return v;
}

// Splits a policy line into words; "double quotes" keep spaces, \" and \\ escape inside them.
Result<std::vector<std::string>> split_words(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i >= line.size() || line[i] == '#') break;
    std::string word;
    bool quoted = false;
    while (i < line.size()) {
      char c = line[i];
      if (!quoted && (c == ' ' || c == '\t' || c == '\r')) break;
      if (c == '"') {
        quoted = !quoted;
        ++i;
        continue;
      }
      if (quoted && c == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) {
        word += line[i + 1];
        i += 2;
        continue;
      }
      word += c;
      ++i;
    }
    if (quoted) return Error{"unterminated quote"};
    out.push_back(std::move(word));
  }
  return out;
}

bool frame_matches(const Stack& s, const std::string& needle) {
  for (const auto& f : s.frames)
    if (f.symbol.find(needle) != std::string::npos || f.module.find(needle) != std::string::npos)
      return true;
  return false;
}

Result<Suppression> parse_suppression(const std::vector<std::string>& w) {
  if (w.size() < 2)
    return Error{"'suppress' needs a finding id or '*', then optional frame=SUBSTRING and thread=GLOB"};
  Suppression s;
  s.id = w[1];
  if (s.id != "*" && !finding_def(s.id))
    return Error{fmt::format("unknown finding id '{}' (the finding ids are listed in iotrace(8))", s.id)};
  for (size_t i = 2; i < w.size(); ++i) {
    std::string_view a = w[i];
    if (a.rfind("frame=", 0) == 0 && a.size() > 6) s.frame = std::string(a.substr(6));
    else if (a.rfind("thread=", 0) == 0 && a.size() > 7) s.thread = std::string(a.substr(7));
    else
      return Error{fmt::format("unexpected '{}' after 'suppress {}': expected frame=SUBSTRING or "
                               "thread=GLOB", a, s.id)};
  }
  return s;
}

std::string process_label(const ProcessReport& p) {
  return fmt::format("{} ({})", p.process.pid, p.process.comm);
}

Violation finding_violation(const ProcessReport& p, const Finding& f) {
  Violation v;
  v.pid = p.process.pid;
  v.comm = p.process.comm;
  v.message = fmt::format("{} [{}] in process {}: {}", f.id, severity_name(f.severity),
                          process_label(p), f.evidence.empty() ? f.title : f.evidence);
  v.finding = f;
  return v;
}

bool suppressed(const Finding& f, const Policy& policy) {
  return std::any_of(policy.suppressions.begin(), policy.suppressions.end(),
                     [&](const Suppression& s) { return s.matches(f); });
}

std::string plural(uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string suppressed_note(uint64_t n) {
  return n ? fmt::format(" ({} suppressed)", n) : std::string();
}

RuleResult eval_fail_on(const Report& r, const Policy& policy, const FailOn& rule) {
  RuleResult res;
  res.name = "fail-on " + rule.text;
  for (const auto& p : r.processes)
    for (const auto& f : p.findings) {
      if (!rule.matches(f)) continue;
      if (suppressed(f, policy)) ++res.suppressed;
      else res.violations.push_back(finding_violation(p, f));
    }
  res.passed = res.violations.empty();
  res.message = res.passed ? fmt::format("no matching finding{}", suppressed_note(res.suppressed))
                           : fmt::format("{}{}", plural(res.violations.size(), "matching finding",
                                                        "matching findings"),
                                         suppressed_note(res.suppressed));
  return res;
}

bool is_stall(const Finding& f) { return f.id == "loop-stall" || f.id == "cpu-stall"; }

RuleResult eval_max_stall(const Report& r, const Policy& policy, uint64_t limit) {
  RuleResult res;
  res.name = "max-stall " + format_duration(limit);
  uint64_t worst = 0;
  for (const auto& p : r.processes)
    for (const auto& f : p.findings) {
      if (!is_stall(f)) continue;
      if (suppressed(f, policy)) {
        if (f.max_ns > limit) ++res.suppressed;
        continue;
      }
      worst = std::max(worst, f.max_ns);
      if (f.max_ns > limit) {
        Violation v = finding_violation(p, f);
        v.message = fmt::format("loop iteration of {} on thread {} ({}) in process {} > {}",
                                format_duration(f.max_ns), f.tid, f.thread, process_label(p),
                                format_duration(limit));
        res.violations.push_back(std::move(v));
      }
    }
  res.passed = res.violations.empty();
  if (worst)
    res.message = fmt::format("worst loop stall {} {} {}{}", format_duration(worst),
                              res.passed ? "<=" : ">", format_duration(limit),
                              suppressed_note(res.suppressed));
  else
    res.message = fmt::format("no loop iteration took longer than {}{}",
                              format_duration(r.settings.stall_ns ? r.settings.stall_ns : limit),
                              suppressed_note(res.suppressed));
  return res;
}

RuleResult eval_max_per_op(const Report& r, double limit) {
  RuleResult res;
  res.name = fmt::format("max-syscalls-per-op {}", limit);
  double worst = -1;
  std::string worst_at;
  for (const auto& p : r.processes) {
    double v = p.metrics.get("syscalls_per_op");
    if (v < 0) continue;  // no operations: nothing to divide
    if (v > worst) {
      worst = v;
      worst_at = process_label(p);
    }
    if (v > limit) {
      Violation viol;
      viol.pid = p.process.pid;
      viol.comm = p.process.comm;
      viol.message = fmt::format("process {} made {:.2f} I/O syscalls per operation > {}",
                                 process_label(p), v, limit);
      res.violations.push_back(std::move(viol));
    }
  }
  res.passed = res.violations.empty();
  res.message = worst < 0 ? std::string("no I/O operations were traced")
                          : fmt::format("worst {:.2f} syscalls per operation, in process {} {} {}",
                                        worst, worst_at, res.passed ? "<=" : ">", limit);
  return res;
}

RuleResult eval_require_success(const CommandOutcome& c) {
  RuleResult res;
  res.name = "require-success";
  if (c.stopped_by_iotrace) {
    res.message = "the command was still running when iotrace stopped it";
  } else if (c.exited) {
    res.passed = c.exit_code == 0;
    res.message = fmt::format("the command exited with code {}", c.exit_code);
  } else {
    res.passed = false;
    res.message = fmt::format("the command was killed by {}", signal_name(c.signal));
  }
  if (!res.passed) res.violations.push_back({0, {}, res.message, std::nullopt});
  return res;
}

}  // namespace

bool FailOn::matches(const Finding& f) const {
  switch (kind) {
    case Kind::id: return f.id == id;
    case Kind::severity: return f.severity == severity;
    case Kind::severity_or_higher: return f.severity >= severity;
  }
  return false;
}

Result<FailOn> parse_fail_on(std::string_view token) {
  token = trim(token);
  FailOn r;
  r.text = std::string(token);
  std::string_view base = token;
  bool plus = !base.empty() && base.back() == '+';
  if (plus) base.remove_suffix(1);
  if (auto sev = severity_of(base)) {
    r.kind = plus ? FailOn::Kind::severity_or_higher : FailOn::Kind::severity;
    r.severity = *sev;
    return r;
  }
  if (!plus && finding_def(base)) {
    r.kind = FailOn::Kind::id;
    r.id = std::string(base);
    return r;
  }
  return Error{fmt::format("invalid --fail-on value '{}': expected a finding id (e.g. "
                           "blocking-call-on-loop), a severity (info, low, medium, high) or a "
                           "severity with '+' for it and above (e.g. medium+)",
                           token)};
}

Result<std::vector<FailOn>> parse_fail_on_list(std::string_view list) {
  std::vector<FailOn> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string_view part = list.substr(start, comma == std::string_view::npos ? list.npos : comma - start);
    if (!trim(part).empty()) {
      auto f = parse_fail_on(part);
      if (!f) return Error{f.error()};
      out.push_back(f.value());
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (out.empty()) return Error{"empty --fail-on value: expected finding ids or severities"};
  return out;
}

bool Suppression::matches(const Finding& f) const {
  if (id != "*" && id != f.id) return false;
  if (!frame.empty() && !frame_matches(f.stack, frame)) return false;
  if (thread.empty()) return true;
  // A finding merged across threads is waived only when every one of its threads matches.
  if (f.thread_names.empty()) return fnmatch(thread.c_str(), f.thread.c_str(), 0) == 0;
  return std::all_of(f.thread_names.begin(), f.thread_names.end(), [&](const std::string& n) {
    return fnmatch(thread.c_str(), n.c_str(), 0) == 0;
  });
}

void Policy::merge(const Policy& o) {
  for (const auto& f : o.fail_on)
    if (std::none_of(fail_on.begin(), fail_on.end(), [&](const FailOn& x) { return x.text == f.text; }))
      fail_on.push_back(f);
  if (o.max_stall_ns) max_stall_ns = o.max_stall_ns;
  if (o.max_syscalls_per_op) max_syscalls_per_op = o.max_syscalls_per_op;
  require_success = require_success || o.require_success;
  suppressions.insert(suppressions.end(), o.suppressions.begin(), o.suppressions.end());
}

Result<Policy> parse_policy(std::string_view text, std::string_view source) {
  Policy p;
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    auto fail = [&](const std::string& why) {
      return Error{fmt::format("{}:{}: {}", source, line_no, why)};
    };
    if (line.find('\0') != std::string_view::npos) return fail("NUL byte in line");
    auto words = split_words(line);
    if (!words) return fail(words.error());
    const auto& w = words.value();
    if (w.empty()) continue;
    const std::string& key = w[0];
    auto one_value = [&]() -> Result<std::string> {
      if (w.size() != 2) return Error{fmt::format("'{}' takes exactly one value", key)};
      return w[1];
    };
    if (key == "fail-on") {
      if (w.size() < 2) return fail("'fail-on' needs finding ids or severities");
      for (size_t i = 1; i < w.size(); ++i) {
        auto list = parse_fail_on_list(w[i]);
        if (!list) return fail(list.error());
        Policy add;
        add.fail_on = list.value();
        p.merge(add);
      }
    } else if (key == "max-stall") {
      auto v = one_value();
      if (!v) return fail(v.error());
      auto d = parse_duration_ns(v.value());
      if (!d) return fail(d.error());
      p.max_stall_ns = d.value();
    } else if (key == "max-syscalls-per-op") {
      auto v = one_value();
      if (!v) return fail(v.error());
      auto n = parse_positive_number(v.value());
      if (!n) return fail(n.error());
      p.max_syscalls_per_op = n.value();
    } else if (key == "require-success") {
      if (w.size() > 2) return fail("'require-success' takes at most one value");
      if (w.size() == 1 || w[1] == "yes" || w[1] == "true") p.require_success = true;
      else if (w[1] == "no" || w[1] == "false") p.require_success = false;
      else return fail(fmt::format("invalid value '{}' for require-success: expected yes or no", w[1]));
    } else if (key == "suppress") {
      auto s = parse_suppression(w);
      if (!s) return fail(s.error());
      s.value().origin = fmt::format("{}:{}", source, line_no);
      p.suppressions.push_back(s.value());
    } else {
      return fail(fmt::format("unknown directive '{}': expected fail-on, max-stall, "
                              "max-syscalls-per-op, require-success or suppress",
                              key));
    }
  }
  return p;
}

std::vector<RuleResult> evaluate_policy(const Report& report, const Policy& policy,
                                        const CommandOutcome* cmd) {
  std::vector<RuleResult> out;
  for (const auto& f : policy.fail_on) out.push_back(eval_fail_on(report, policy, f));
  if (policy.max_stall_ns) out.push_back(eval_max_stall(report, policy, *policy.max_stall_ns));
  if (policy.max_syscalls_per_op) out.push_back(eval_max_per_op(report, *policy.max_syscalls_per_op));
  if (policy.require_success && cmd) out.push_back(eval_require_success(*cmd));
  return out;
}

bool policy_passed(const std::vector<RuleResult>& results) {
  return std::all_of(results.begin(), results.end(), [](const RuleResult& r) { return r.passed; });
}

uint64_t worst_stall_ns(const Report& report, const Policy& policy) {
  uint64_t worst = 0;
  for (const auto& p : report.processes)
    for (const auto& f : p.findings)
      if (is_stall(f) && !suppressed(f, policy)) worst = std::max(worst, f.max_ns);
  return worst;
}

std::string signal_name(int sig) {
  const char* abbrev = sig > 0 ? sigabbrev_np(sig) : nullptr;
  return abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", sig);
}

}  // namespace iotrace
