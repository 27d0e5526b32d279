// Shared helpers for the fuzz targets: invariant checks that abort with a message, so libFuzzer
// records the input as a crash, and a strict UTF-8 validator.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                   \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);    \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

namespace iotrace::fuzz {

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
inline bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 2, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 3, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return false;  // overlong
    if (cp >= 0xd800 && cp <= 0xdfff) return false;                        // surrogate
    if (cp > 0x10ffff) return false;
    i += n;
  }
  return true;
}

// True when s holds no C0 control byte other than those in `allowed`, no DEL and no C1 control
// (U+0080..U+009F, encoded C2 80..C2 9F).
inline bool no_control(std::string_view s, std::string_view allowed = {}) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 || c == 0x7f) && allowed.find(static_cast<char>(c)) == std::string_view::npos)
      return false;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xa0 &&
        static_cast<unsigned char>(s[i + 1]) >= 0x80)
      return false;
  }
  return true;
}

// The line of s holding the first byte no_control() rejects, bytes outside printable ASCII
// shown as \xNN, for the failure message.
inline std::string line_with_control(std::string_view s, std::string_view allowed = {}) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (no_control(s.substr(i, 2), allowed)) continue;
    size_t b = s.rfind('\n', i), e = s.find('\n', i);
    b = b == std::string_view::npos ? 0 : b + 1;
    std::string out;
    for (char ch : s.substr(b, e == std::string_view::npos ? e : e - b)) {
      auto c = static_cast<unsigned char>(ch);
      char buf[8];
      std::snprintf(buf, sizeof buf, c < 0x20 || c >= 0x7f ? "\\x%02x" : "%c", c);
      out += buf;
    }
    return out;
  }
  return {};
}

}  // namespace iotrace::fuzz
