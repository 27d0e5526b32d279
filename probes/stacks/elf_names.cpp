#include "probes/stacks/elf_names.hpp"

#include "src/stacks/rust_demangle.hpp"

#include <cxxabi.h>

#include <cstdlib>

namespace iotrace::probes {

std::string demangle(const char* name) {
  if (auto rust = demangle_rust(name)) return *rust;
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || !d) return name;
  std::string out(d);
  std::free(d);
  return out;
}

std::string hex_build_id(const unsigned char* bits, size_t len) {
  static const char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    out += k_hex[bits[i] >> 4];
    out += k_hex[bits[i] & 15];
  }
  return out;
}

}  // namespace iotrace::probes
