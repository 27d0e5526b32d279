#include "src/output/report.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "src/findings/finding_merge.hpp"
#include "src/stacks/jit_frames.hpp"
#include "src/model/thread_fold.hpp"

namespace iotrace {

void CallStats::add(const SyscallRow& r) {
  calls += r.calls;
  errors += r.errors();
  eagain += r.err_eagain;
  eintr += r.err_eintr;
  bytes += r.bytes;
  total_ns += r.total_ns;
  max_ns = std::max(max_ns, r.max_ns);
  hist.merge(r.hist);
}

void CallStats::add(const CallStats& o) {
  calls += o.calls;
  errors += o.errors;
  eagain += o.eagain;
  eintr += o.eintr;
  bytes += o.bytes;
  total_ns += o.total_ns;
  max_ns = std::max(max_ns, o.max_ns);
  hist.merge(o.hist);
}

namespace {

std::vector<SyscallLine> syscall_lines(const std::vector<const SyscallRow*>& rows) {
  std::map<std::pair<int, FdKind>, CallStats> by_key;
  for (const auto* r : rows) by_key[{r->nr, r->fd_kind}].add(*r);
  std::vector<SyscallLine> out;
  for (auto& [k, s] : by_key) out.push_back({k.first, k.second, s});
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(b.stats.calls, a.nr) < std::tie(a.stats.calls, b.nr);
  });
  return out;
}

}  // namespace

Report build_report(const Capture& c, const ReportOptions& opts) {
  Report rep;
  rep.all_threads = opts.all_threads;
  rep.iotrace_version = c.iotrace_version;
  rep.kernel = c.kernel;
  rep.arch = c.arch;
  rep.duration_ns = c.duration_ns;
  rep.settings = c.settings;
  rep.losses = c.losses;
  rep.notes = c.notes;
  if (auto note = unnamed_jit_note(c)) rep.notes.push_back(std::move(*note));
  const bool loop_watch = c.settings.tier == TraceTier::loop_watch;
  if (loop_watch)
    rep.notes.push_back(
        "loop watch: only the multiplexers' waits and event-loop threads' sleeps were traced, so "
        "a thread is a loop when it waits in epoll, poll, select or io_uring on more than one "
        "connection; stalls and blocking calls on loops are as the full tracer finds them (a "
        "call is judged by the time it slept), but the syscall table holds the waits only: "
        "trace without --loop-watch for models of threads without a loop and syscall ratios");

  std::map<uint32_t, std::vector<const SyscallRow*>> rows_by_tid;
  for (const auto& r : c.syscalls) rows_by_tid[r.tid].push_back(&r);

  for (const auto& p : c.processes) {
    ProcessReport pr;
    pr.arch = c.arch;
    pr.process = p;
    std::vector<const SyscallRow*> rows;
    std::array<CallStats, k_category_count> cats;
    for (const auto& t : c.threads) {
      if (t.pid != p.pid) continue;
      ThreadLine tl;
      tl.thread = t;
      const auto& trows = rows_by_tid[t.tid];
      for (const auto* r : trows) {
        tl.total.add(*r);
        cats[static_cast<int>(syscall_category(c.arch, r->nr, r->fd_kind))].add(*r);
        rows.push_back(r);
      }
      tl.syscalls = syscall_lines(trows);
      pr.threads.push_back(std::move(tl));
    }
    pr.threads_seen = static_cast<uint32_t>(pr.threads.size());
    for (int i = 0; i < k_category_count; ++i)
      if (cats[i].calls) {
        pr.categories.push_back({static_cast<Category>(i), cats[i]});
        pr.total.add(cats[i]);
      }
    pr.syscalls = syscall_lines(rows);
    std::stable_sort(pr.threads.begin(), pr.threads.end(), [](const auto& a, const auto& b) {
      return std::tie(b.total.calls, a.thread.tid) < std::tie(a.total.calls, b.thread.tid);
    });
    rep.processes.push_back(std::move(pr));
  }
  for (auto& pr : rep.processes) {
    pr.model = classify_process(c, pr);
    for (auto& tl : pr.threads)
      for (const auto& tm : pr.model.threads)
        if (tm.tid == tl.thread.tid) tl.model = tm;
    if (!loop_watch) pr.metrics = compute_metrics(c, pr);
    pr.findings = merge_findings(find_issues(c, pr));
    pr.recommendation = recommend(pr);
  }
  if (c.settings.follow_children) rep.service = classify_service(rep.processes);
  if (!opts.all_threads)
    for (auto& pr : rep.processes) fold_threads(pr, c.duration_ns);
  return rep;
}

}  // namespace iotrace
