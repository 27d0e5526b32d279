#include "src/stacks/program_frame.hpp"

namespace iotrace {

std::string frame_name(const Frame& f) {
  if (f.kind == FrameKind::interpreted && !f.file.empty()) return f.symbol + " (" + f.file + ")";
  return f.symbol.empty() ? f.module : f.symbol;
}

bool runtime_library(const std::string& module) {
  for (const char* p : {"libc.so", "libc-", "libpthread", "libstdc++", "ld-linux", "libm.so"})
    if (module.rfind(p, 0) == 0) return true;
  return false;
}

std::string program_frame(const Stack& s) {
  for (const auto& fr : s.frames)
    if (!runtime_library(fr.module) && !frame_name(fr).empty()) return frame_name(fr);
  for (const auto& fr : s.frames)
    if (!fr.symbol.empty()) return fr.symbol;
  return {};
}

}  // namespace iotrace
