// /proc/PID/maps text into parse_maps().
#include <string_view>

#include "src/capture/proc_parse.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto maps = iotrace::parse_maps(text);
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  FUZZ_CHECK(maps.size() <= lines);
  for (const auto& m : maps) {
    FUZZ_CHECK(m.path.find('\n') == std::string::npos);
    FUZZ_CHECK(m.path.size() <= text.size());
  }
  return 0;
}
