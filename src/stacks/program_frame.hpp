// The frame that names a call site in one line: the innermost one in the program itself, not
// in the C and C++ runtime libraries the call went through (diff's site labels, the exporter's
// frame label).
#pragma once
#include <string>

#include "src/capture/capture.hpp"

namespace iotrace {

// A frame's name: its symbol (interpreted frames with their file), else its module.
std::string frame_name(const Frame& f);
// libc, libpthread, libstdc++, ld-linux, libm.
bool runtime_library(const std::string& module);
// The innermost named frame outside the runtime libraries; failing that the innermost symbol;
// "" for a stack with neither.
std::string program_frame(const Stack& s);

}  // namespace iotrace
