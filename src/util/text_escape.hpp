// Target-controlled strings (process and thread names, paths, symbols) made safe to print:
// control characters, escape sequences and invalid UTF-8 never reach the terminal raw.
#pragma once
#include <string>
#include <string_view>

namespace iotrace {

// C-style escapes for control bytes (\n, \t, \x1b) and backslashes; invalid UTF-8 bytes as \xNN.
std::string escape_text(std::string_view s);
// Valid UTF-8 for JSON: invalid bytes become U+FFFD.
std::string to_valid_utf8(std::string_view s);

}  // namespace iotrace
