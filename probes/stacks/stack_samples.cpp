#include "probes/stacks/stack_samples.hpp"

#include <fmt/format.h>

#include <cstring>

#include "probes/stacks/symbolizer.hpp"
#include "src/stacks/python_stack.hpp"

namespace iotrace::probes {
namespace {

std::string frames_key(const Stack& s) {
  std::string k;
  for (const auto& f : s.frames) k += fmt::format("{}:{}:{}:{};", f.module, f.symbol, f.offset, f.line);
  return k;
}

}  // namespace

Stack StackSamples::unwind(const iot_ustack_event& e) {
  StackCopy copy;
  static_assert(sizeof(copy.regs.words) == sizeof(e.regs));
  std::memcpy(copy.regs.words, e.regs, sizeof(e.regs));
  copy.data = e.data;
  copy.len = std::min<size_t>(e.len, sizeof(e.data));
  Unwound u = unwinder_.unwind(sym_.dwfl_of(e.tgid), e.tgid, e.tid, copy);
  Stack s = sym_.symbolize(e.tgid, u.pcs);
  if (s.frames.size() < u.pcs.size() && !refreshed_[e.tgid]) {
    // a frame in no known file: a library loaded after the mappings were read? once per process
    refreshed_[e.tgid] = true;
    sym_.refresh(e.tgid);
    u = unwinder_.unwind(sym_.dwfl_of(e.tgid), e.tgid, e.tid, copy);
    s = sym_.symbolize(e.tgid, u.pcs);
  }
  s.unwinder = "dwarf";
  s.truncated = !u.complete || s.frames.size() < u.pcs.size();
  if (s.frames.size() < u.pcs.size())
    s.cut_reason = "the next frame is in no mapped file (JIT code without a perf map, or a corrupt stack)";
  else
    s.cut_reason = u.cut_reason;
  if (!s.truncated) s.cut_reason.clear();
  if (e.py_status == IOT_PY_OK && e.py_count > 0) {
    size_t n = std::min<size_t>(e.py_count, IOT_PY_FRAMES);
    std::vector<Frame> py = python_.resolve(e.tgid, e.py, n);
    std::vector<bool> entry;
    for (size_t i = 0; i < py.size(); ++i) entry.push_back(e.py[i].code & 1);
    interleave_python(s.frames, py, entry);
  }
  return s;
}

void StackSamples::add(const iot_ustack_event& e) {
  auto t0 = std::chrono::steady_clock::now();
  Stack s = unwind(e);
  unwind_time += std::chrono::steady_clock::now() - t0;
  ++unwound;
  Seen& seen = sites_[site_of(e.key)][frames_key(s)];
  if (!seen.copies) seen.stack = std::move(s);
  ++seen.copies;
}

void StackSamples::retain(const std::set<uint32_t>& tids, const std::set<uint32_t>& pids) {
  std::erase_if(sites_, [&](const auto& kv) { return !tids.count(std::get<0>(kv.first)); });
  std::erase_if(refreshed_, [&](const auto& kv) { return !pids.count(kv.first); });
  python_.retain(pids);
}

void StackSamples::forget_stacks(const std::set<int32_t>& ids) {
  std::erase_if(sites_, [&](const auto& kv) { return ids.count(std::get<1>(kv.first)) > 0; });
}

std::optional<Stack> StackSamples::for_site(const iot_flag_key& k) const {
  auto it = sites_.find(site_of(k));
  if (it == sites_.end()) return std::nullopt;
  const Seen* best = nullptr;
  for (const auto& [key, seen] : it->second)
    if (!best || seen.copies > best->copies) best = &seen;
  return best->stack;
}

std::optional<Stack> StackSamples::for_call(uint32_t tid, int32_t stack_id, int nr) const {
  for (const auto& [site, stacks] : sites_) {
    if (std::get<0>(site) != tid || std::get<1>(site) != stack_id || std::get<2>(site) != nr) continue;
    iot_flag_key k{};
    std::tie(k.tid, k.stack_id, k.nr, k.fd_kind, k.kind) = site;
    return for_site(k);
  }
  return std::nullopt;
}

}  // namespace iotrace::probes
