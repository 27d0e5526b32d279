#include "src/findings/finding_merge.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "src/util/duration.hpp"

namespace iotrace {
namespace {

// A call site as the reader sees it: the symbolized frames (addresses may differ between
// threads only where the symbols do not).
std::string site_key(const Stack& s) {
  std::string key = s.lost ? "lost;" : "";
  for (const auto& fr : s.frames)
    key += fmt::format("{}:{}:{}:{};", fr.module, fr.symbol, fr.symbol.empty() ? fr.offset : fr.sym_offset,
                       fr.line);
  return key;
}

bool worse(const Finding& a, const Finding& b) {
  return std::tuple(a.total_ns, a.count, a.max_ns, b.tid) > std::tuple(b.total_ns, b.count, b.max_ns, a.tid);
}

// "apache2", or "pool-1-thread-1, pool-1-thread-2 and 3 other names"
std::string names_text(const std::vector<std::string>& names) {
  constexpr size_t k_shown = 3;
  if (names.size() <= k_shown) return fmt::format("{}", fmt::join(names, ", "));
  size_t more = names.size() - (k_shown - 1);
  return fmt::format("{} and {} other names",
                     fmt::join(names.begin(), names.begin() + (k_shown - 1), ", "), more);
}

Finding merge_group(std::vector<Finding>& group) {
  auto worst = std::min_element(group.begin(), group.end(), worse);
  Finding m = *worst;
  std::map<std::string, size_t> name_count;
  m.count = m.total_ns = m.sleep_ns = m.runq_ns = 0;
  m.tids.clear();
  for (const auto& f : group) {
    m.count += f.count;
    m.total_ns += f.total_ns;
    m.sleep_ns += f.sleep_ns;
    m.runq_ns += f.runq_ns;
    m.max_ns = std::max(m.max_ns, f.max_ns);
    m.p50_ns = std::max(m.p50_ns, f.p50_ns);
    m.p99_ns = std::max(m.p99_ns, f.p99_ns);
    if (f.stack.truncated && !m.stack.truncated) {
      m.stack.truncated = true;
      m.stack.cut_reason = f.stack.cut_reason;
    }
    m.tids.push_back(f.tid);
    ++name_count[f.thread];
  }
  std::sort(m.tids.begin(), m.tids.end());
  m.tids.erase(std::unique(m.tids.begin(), m.tids.end()), m.tids.end());
  std::vector<std::pair<std::string, size_t>> names(name_count.begin(), name_count.end());
  std::stable_sort(names.begin(), names.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  m.thread_names.clear();
  for (auto& [n, k] : names) m.thread_names.push_back(n);
  if (m.tids.size() > 1) {
    std::string all = m.count ? fmt::format("count {} in all", m.count) : std::string("alike");
    if (m.total_ns) all += fmt::format(", {} in total", format_duration(m.total_ns));
    m.evidence = fmt::format("{} threads ({}): {}; the worst, thread {}: {}", m.tids.size(),
                             names_text(m.thread_names), all, m.tid, worst->evidence);
  }
  return m;
}

}  // namespace

void rank_findings(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return std::tuple(static_cast<int>(b.severity), b.total_ns, b.count, a.id, a.tid) <
           std::tuple(static_cast<int>(a.severity), a.total_ns, a.count, b.id, b.tid);
  });
}

std::vector<Finding> merge_findings(std::vector<Finding> findings) {
  using Key = std::tuple<std::string, std::string, FdKind, std::string>;
  std::map<Key, std::vector<Finding>> groups;
  std::vector<Key> order;  // first appearance: keeps ties stable
  std::vector<Finding> out;
  for (auto& f : findings) {
    if (f.tid == 0) {
      out.push_back(std::move(f));
      continue;
    }
    Key k{f.id, f.syscall, f.fd_kind, site_key(f.stack)};
    auto [it, fresh] = groups.try_emplace(k);
    if (fresh) order.push_back(k);
    it->second.push_back(std::move(f));
  }
  for (const auto& k : order) out.push_back(merge_group(groups[k]));
  rank_findings(out);
  return out;
}

}  // namespace iotrace
