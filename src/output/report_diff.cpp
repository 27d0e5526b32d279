#include "src/output/report_diff.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "src/output/report.hpp"
#include "src/stacks/program_frame.hpp"

namespace iotrace {
namespace {

// Counts, not ratios: they grow with the length of the trace, so two runs cannot be compared.
const std::set<std::string, std::less<>> k_count_metrics = {
    "operations",  "io_syscalls",  "select_max_nfds", "uring_sqes",   "uring_cqes",
    "sqpoll_wakeups", "iowq_punts", "cq_overflows",   "uring_failed", "uring_links"};

std::string identity(const Finding& f) {
  return f.id + '\x1f' + f.thread + '\x1f' + f.syscall + '\x1f' + call_site(f);
}

// Indices into before and after, paired: by comm and exe first, then by comm alone; within a
// name, busiest with busiest.
std::vector<std::pair<size_t, size_t>> pair_processes(const ReportView& b, const ReportView& a,
                                                      std::vector<bool>& used_b,
                                                      std::vector<bool>& used_a) {
  std::vector<std::pair<size_t, size_t>> out;
  auto by_calls = [](const ReportView& v, std::vector<size_t>& idx) {
    std::stable_sort(idx.begin(), idx.end(), [&](size_t x, size_t y) {
      return v.processes[x].calls > v.processes[y].calls;
    });
  };
  for (bool with_exe : {true, false}) {
    auto key = [&](const ProcessView& p) { return with_exe ? p.comm + '\0' + p.exe : p.comm; };
    std::map<std::string, std::pair<std::vector<size_t>, std::vector<size_t>>> groups;
    for (size_t i = 0; i < b.processes.size(); ++i)
      if (!used_b[i]) groups[key(b.processes[i])].first.push_back(i);
    for (size_t i = 0; i < a.processes.size(); ++i)
      if (!used_a[i]) groups[key(a.processes[i])].second.push_back(i);
    for (auto& [k, g] : groups) {
      by_calls(b, g.first);
      by_calls(a, g.second);
      for (size_t i = 0; i < std::min(g.first.size(), g.second.size()); ++i) {
        out.emplace_back(g.first[i], g.second[i]);
        used_b[g.first[i]] = used_a[g.second[i]] = true;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void diff_findings(const ProcessView* b, const ProcessView* a, const ProcessPair& pair, Diff& d) {
  // Several findings may share an identity: match them one to one, in report order.
  std::multimap<std::string, const Finding*> before;
  if (b)
    for (const auto& f : b->findings) before.emplace(identity(f), &f);
  if (a)
    for (const auto& f : a->findings) {
      auto it = before.find(identity(f));
      if (it == before.end()) {
        d.new_findings.push_back({a->comm, a->pid, f});
        continue;
      }
      if (it->second->severity != f.severity) d.severity_changes.push_back({pair, *it->second, f});
      before.erase(it);
    }
  if (!b) return;
  std::set<const Finding*> left;
  for (const auto& [k, f] : before) left.insert(f);
  for (const auto& f : b->findings)
    if (left.count(&f)) d.gone_findings.push_back({b->comm, b->pid, f});
}

std::optional<MetricChange> moved(const ProcessPair& pair, std::string metric, double before,
                                  double after, const DiffOptions& o) {
  if (before <= 0 || std::fabs(after - before) / before <= o.threshold) return std::nullopt;
  MetricChange m;
  m.process = pair;
  m.metric = std::move(metric);
  m.before = before;
  m.after = after;
  m.change = (after - before) / before;
  return m;
}

void diff_metrics(const ProcessView& b, const ProcessView& a, const ProcessPair& pair,
                  const DiffOptions& o, Diff& d) {
  if (b.calls >= o.min_calls && a.calls >= o.min_calls)
    for (const auto& mb : b.metrics) {
      if (mb.tid != 0 || k_count_metrics.count(mb.id)) continue;
      for (const auto& ma : a.metrics)
        if (ma.tid == 0 && ma.id == mb.id)
          if (auto m = moved(pair, mb.id, mb.value, ma.value, o)) d.metric_changes.push_back(*m);
    }
  for (const auto& rb : b.syscalls) {
    if (rb.calls < o.min_calls) continue;
    for (const auto& ra : a.syscalls) {
      if (ra.syscall != rb.syscall || ra.fd_kind != rb.fd_kind || ra.calls < o.min_calls) continue;
      for (auto [name, vb, va] : {std::tuple{"p50_ns", rb.p50_ns, ra.p50_ns},
                                  std::tuple{"p99_ns", rb.p99_ns, ra.p99_ns}})
        if (auto m = moved(pair, name, static_cast<double>(vb), static_cast<double>(va), o)) {
          m->syscall = rb.syscall;
          m->fd_kind = rb.fd_kind;
          d.metric_changes.push_back(*m);
        }
    }
  }
}

std::vector<size_t> unused(const std::vector<bool>& used) {
  std::vector<size_t> out;
  for (size_t i = 0; i < used.size(); ++i)
    if (!used[i]) out.push_back(i);
  return out;
}

}  // namespace

std::string call_site(const Finding& f) {
  std::string s;
  for (const auto& fr : f.stack.frames) {
    if (!s.empty()) s += " < ";
    s += frame_name(fr);
  }
  return s;
}

std::string site_label(const Finding& f) { return program_frame(f.stack); }

Diff diff_reports(const ReportView& before, const ReportView& after, const DiffOptions& opts) {
  Diff d;
  std::vector<bool> used_b(before.processes.size()), used_a(after.processes.size());
  for (auto [ib, ia] : pair_processes(before, after, used_b, used_a)) {
    const auto& b = before.processes[ib];
    const auto& a = after.processes[ia];
    ProcessPair pair{a.comm, b.pid, a.pid};
    d.matched.push_back(pair);
    if (b.model != a.model || b.trigger != a.trigger)
      d.model_changes.push_back({pair, b.model, a.model, b.trigger, a.trigger});
    diff_findings(&b, &a, pair, d);
    diff_metrics(b, a, pair, opts, d);
  }
  for (size_t i : unused(used_b)) {
    const auto& b = before.processes[i];
    d.only_before.push_back({b.comm, b.pid, 0});
    diff_findings(&b, nullptr, d.only_before.back(), d);
  }
  for (size_t i : unused(used_a)) {
    const auto& a = after.processes[i];
    d.only_after.push_back({a.comm, 0, a.pid});
    diff_findings(nullptr, &a, d.only_after.back(), d);
  }
  return d;
}

std::vector<RuleResult> evaluate_new_findings(const Diff& d, const Policy& policy) {
  Policy rules;
  rules.fail_on = policy.fail_on;
  rules.suppressions = policy.suppressions;
  Report r;
  for (const auto& n : d.new_findings) {
    if (r.processes.empty() || r.processes.back().process.pid != n.pid) {
      r.processes.emplace_back();
      r.processes.back().process.pid = n.pid;
      r.processes.back().process.comm = n.comm;
    }
    r.processes.back().findings.push_back(n.finding);
  }
  return evaluate_policy(r, rules);
}

ReportView view_of(const Report& r) {
  ReportView v;
  for (const auto& p : r.processes) {
    ProcessView pv;
    pv.pid = p.process.pid;
    pv.comm = p.process.comm;
    pv.exe = p.process.exe;
    pv.calls = p.total.calls;
    pv.model = p.model.model;
    pv.trigger = p.model.trigger;
    pv.findings = p.findings;
    for (const auto& m : p.metrics.values)
      if (m.tid == 0) pv.metrics.push_back(m);
    for (const auto& s : p.syscalls)
      pv.syscalls.push_back({syscall_name(p.arch, s.nr), std::string(fd_kind_name(s.fd_kind)), s.stats.calls,
                             s.stats.p50_ns(), s.stats.p99_ns()});
    v.processes.push_back(std::move(pv));
  }
  return v;
}

}  // namespace iotrace
