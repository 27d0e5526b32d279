// Target-controlled names and paths through escape_text() and to_valid_utf8().
#include <string_view>

#include <nlohmann/json.hpp>

#include "src/util/text_escape.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using iotrace::fuzz::no_control;
using iotrace::fuzz::valid_utf8;

namespace {

// U+200E, U+200F, U+202A..U+202E, U+2066..U+2069: they reorder how a terminal shows the line.
bool has_bidi_control(std::string_view s) {
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    auto b0 = static_cast<unsigned char>(s[i]), b1 = static_cast<unsigned char>(s[i + 1]),
         b2 = static_cast<unsigned char>(s[i + 2]);
    if (b0 != 0xe2) continue;
    if (b1 == 0x80 && (b2 == 0x8e || b2 == 0x8f || (b2 >= 0xaa && b2 <= 0xae))) return true;
    if (b1 == 0x81 && b2 >= 0xa6 && b2 <= 0xa9) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);

  // Text output: no control byte (C0, DEL or C1) reaches the terminal, and what is left is UTF-8.
  std::string esc = iotrace::escape_text(s);
  FUZZ_CHECK(no_control(esc));
  FUZZ_CHECK(valid_utf8(esc));
  FUZZ_CHECK(esc.size() >= s.size());
  FUZZ_CHECK(!has_bidi_control(esc));
  if (valid_utf8(s) && no_control(s) && !has_bidi_control(s) &&
      s.find('\\') == std::string_view::npos)
    FUZZ_CHECK(esc == s);

  // JSON output: always valid UTF-8, unchanged when it already was, and accepted by the writer.
  std::string u = iotrace::to_valid_utf8(s);
  FUZZ_CHECK(valid_utf8(u));
  if (valid_utf8(s)) FUZZ_CHECK(u == s);
  std::string dumped = nlohmann::json(u).dump();  // throws on invalid UTF-8
  FUZZ_CHECK(nlohmann::json::parse(dumped).get<std::string>() == u);
  FUZZ_CHECK(iotrace::to_valid_utf8(u) == u);
  return 0;
}
