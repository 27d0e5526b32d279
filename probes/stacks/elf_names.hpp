// Small helpers shared by the symbolizer (live processes) and the debug-file resolver
// (saved captures): C++ demangling and GNU build-ids as hex.
#pragma once
#include <cstddef>
#include <string>

namespace iotrace::probes {

// The demangled name (C++, or Rust legacy and v0 paths), or name itself when it is neither.
std::string demangle(const char* name);
// Lower-case hex of a build-id's bytes, as in .build-id/xx/rest.debug and `file` output.
std::string hex_build_id(const unsigned char* bits, size_t len);

}  // namespace iotrace::probes
