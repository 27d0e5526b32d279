// /proc/PID/limits text into parse_stack_limit().
#include <string_view>

#include "src/capture/proc_parse.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto v = iotrace::parse_stack_limit(text))
    FUZZ_CHECK(text.find("Max stack size") != std::string_view::npos);
  return 0;
}
