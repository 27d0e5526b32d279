// Validation of option values shared by the subcommands.
#pragma once
#include <cstdint>
#include <string>

#include "src/util/duration.hpp"

namespace iotrace::cli {

uint32_t parse_pid(const std::string& text);
uint64_t parse_duration_option(const std::string& flag, const std::string& text);
std::string read_text_file(const std::string& path);

}  // namespace iotrace::cli
