#include "src/stacks/folded_stacks.hpp"

#include <fmt/format.h>

#include <map>

#include "src/stacks/blocked_samples.hpp"

namespace iotrace {
namespace {

// ';' separates frames and the last space separates the value: neither may appear in a frame.
std::string clean(std::string s) {
  for (char& ch : s)
    if (ch == ';' || ch == '\n' || ch == '\r') ch = ':';
    else if (ch == ' ' || ch == '\t') ch = '_';
  return s.empty() ? "?" : s;
}

}  // namespace

std::string folded_stacks(const Capture& c) {
  std::map<std::string, uint64_t> ns;
  for (const auto& s : blocked_samples(c)) {
    std::string path = clean(s.thread);
    if (s.stack)
      for (auto it = s.stack->frames.rbegin(); it != s.stack->frames.rend(); ++it) path += ";" + clean(frame_label(*it));
    for (const auto& l : s.leaf) path += ";" + clean(l);
    ns[path] += s.ns;
  }
  std::string out;
  for (const auto& [path, v] : ns)
    if (v >= 1000) out += fmt::format("{} {}\n", path, v / 1000);
  return out;
}

}  // namespace iotrace
