#include "src/util/text_escape.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace iotrace {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid.
size_t utf8_len(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  if (n == 1) return 1;
  auto c1 = static_cast<unsigned char>(s[i + 1]);
  if (n == 2 && c < 0xc2) return 0;                   // overlong
  if (n == 3 && c == 0xe0 && c1 < 0xa0) return 0;     // overlong
  if (n == 3 && c == 0xed && c1 >= 0xa0) return 0;    // UTF-16 surrogate
  if (n == 4 && c == 0xf0 && c1 < 0x90) return 0;     // overlong
  if (n == 4 && (c > 0xf4 || (c == 0xf4 && c1 >= 0x90))) return 0;  // above U+10FFFF
  return n;
}

uint32_t code_point3(std::string_view s, size_t i) {
  return (static_cast<uint32_t>(s[i] & 0x0f) << 12) | (static_cast<uint32_t>(s[i + 1] & 0x3f) << 6) |
         static_cast<uint32_t>(s[i + 2] & 0x3f);
}

// Bidirectional formatting characters: they reorder how a terminal shows what follows them.
bool is_bidi_control(uint32_t cp) {
  return cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string escape_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = utf8_len(s, i);
    if (n == 0) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    } else if (n == 1) {
      if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == '\t') out += "\\t";
      else if (c == '\r') out += "\\r";
      else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
      else out += static_cast<char>(c);
      ++i;
    } else {
      // C1 controls (U+0080..U+009F) act as escape introducers on some terminals
      if (n == 2 && c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0)
        out += fmt::format("\\u{:04x}", static_cast<unsigned char>(s[i + 1]));
      else if (uint32_t cp = n == 3 ? code_point3(s, i) : 0; is_bidi_control(cp))
        out += fmt::format("\\u{:04x}", cp);  // would reorder the rest of the line
      else out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_len(s, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace iotrace
