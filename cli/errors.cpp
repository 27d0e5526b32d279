#include "cli/errors.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace iotrace::cli {

void print_error(const std::string& what, const std::string& hint) {
  fmt::print(stderr, "iotrace: error: {}\n", what);
  if (!hint.empty()) fmt::print(stderr, "iotrace: hint: {}\n", hint);
}

void print_warning(const std::string& what, const std::string& hint) {
  fmt::print(stderr, "iotrace: warning: {}\n", what);
  if (!hint.empty()) fmt::print(stderr, "iotrace: hint: {}\n", hint);
}

void print_info(const std::string& what) { fmt::print(stderr, "iotrace: {}\n", what); }

}  // namespace iotrace::cli
