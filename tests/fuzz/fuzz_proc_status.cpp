// /proc/PID/status text into parse_status().
#include <string_view>

#include "src/capture/proc_parse.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto st = iotrace::parse_status(text)) {
    FUZZ_CHECK(st->name.find('\n') == std::string::npos);
  }
  return 0;
}
