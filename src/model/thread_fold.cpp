#include "src/model/thread_fold.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace iotrace {

uint64_t thread_lifetime_ns(const ThreadRecord& t, uint64_t capture_ns) {
  uint64_t end = t.exited ? t.last_ns : std::max(capture_ns, t.last_ns);
  return end > t.first_ns ? end - t.first_ns : 0;
}

std::string fold_name(std::string_view comm) {
  std::string out;
  for (size_t i = 0; i < comm.size(); ++i) {
    bool digit = comm[i] >= '0' && comm[i] <= '9';
    if (!digit) out += comm[i];
    else if (i == 0 || comm[i - 1] < '0' || comm[i - 1] > '9') out += '*';
  }
  return out;
}

namespace {

ThreadGroup make_group(const std::string& role, const std::vector<const ThreadLine*>& members,
                       uint64_t capture_ns) {
  ThreadGroup g;
  g.role = role;
  g.threads = static_cast<uint32_t>(members.size());
  std::set<std::string> names;
  std::map<std::string, uint32_t> models;
  std::map<std::pair<int, FdKind>, CallStats> calls;
  std::vector<uint64_t> lives;
  for (const ThreadLine* m : members) {
    const ThreadRecord& t = m->thread;
    names.insert(t.comm);
    ++models[m->model.model];
    g.exited += t.exited ? 1 : 0;
    g.total.add(m->total);
    for (const auto& s : m->syscalls) calls[{s.nr, s.fd_kind}].add(s.stats);
    lives.push_back(thread_lifetime_ns(t, capture_ns));
    g.oncpu_ns += t.oncpu_ns;
    g.sleep_ns += t.sleep_ns;
    g.runq_ns += t.runq_ns;
    g.vol_switches += t.vol_switches;
    g.invol_switches += t.invol_switches;
    g.stalls += t.stalls;
  }
  g.comm = names.size() == 1 ? *names.begin() : fold_name(*names.begin());
  uint32_t most = 0;
  for (const auto& [model, n] : models)  // ties: the first by name
    if (n > most) {
      most = n;
      g.model = model;
    }
  for (auto& [k, s] : calls) g.syscalls.push_back({k.first, k.second, s});
  std::stable_sort(g.syscalls.begin(), g.syscalls.end(), [](const auto& a, const auto& b) {
    return std::tie(b.stats.calls, a.nr) < std::tie(a.stats.calls, b.nr);
  });
  std::sort(lives.begin(), lives.end());
  g.lifetime_min_ns = lives.front();
  g.lifetime_max_ns = lives.back();
  g.lifetime_median_ns = lives[(lives.size() - 1) / 2];  // the lower median
  return g;
}

}  // namespace

void fold_threads(ProcessReport& pr, uint64_t capture_ns, const FoldRule& rule) {
  std::set<uint32_t> named;
  for (const auto& f : pr.findings)
    if (f.tid) named.insert(f.tid);
  uint64_t traced = pr.process.traced_ns ? pr.process.traced_ns : capture_ns;
  // pr.threads is busiest first
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> candidates;
  for (size_t i = 0; i < pr.threads.size(); ++i) {
    const ThreadLine& tl = pr.threads[i];
    if (i < rule.keep_busiest || tl.model.role == "event-loop" || named.count(tl.thread.tid)) continue;
    double lived = static_cast<double>(thread_lifetime_ns(tl.thread, capture_ns));
    if (lived >= rule.short_lived_share * static_cast<double>(traced)) continue;
    candidates[{tl.model.role, fold_name(tl.thread.comm)}].push_back(i);
  }
  std::vector<bool> folded(pr.threads.size(), false);
  std::set<uint32_t> folded_tids;
  for (const auto& [key, idx] : candidates) {
    if (idx.size() < 2) continue;
    std::vector<const ThreadLine*> members;
    for (size_t i : idx) {
      members.push_back(&pr.threads[i]);
      folded[i] = true;
      folded_tids.insert(pr.threads[i].thread.tid);
    }
    pr.thread_groups.push_back(make_group(key.first, members, capture_ns));
  }
  if (folded_tids.empty()) return;
  std::stable_sort(pr.thread_groups.begin(), pr.thread_groups.end(), [](const auto& a, const auto& b) {
    return std::tie(b.total.calls, a.comm, a.role) < std::tie(a.total.calls, b.comm, b.role);
  });
  std::vector<ThreadLine> kept;
  for (size_t i = 0; i < pr.threads.size(); ++i)
    if (!folded[i]) kept.push_back(std::move(pr.threads[i]));
  pr.threads = std::move(kept);
  auto& mv = pr.metrics.values;
  mv.erase(std::remove_if(mv.begin(), mv.end(), [&](const Metric& m) { return m.tid && folded_tids.count(m.tid); }),
           mv.end());
}

}  // namespace iotrace
