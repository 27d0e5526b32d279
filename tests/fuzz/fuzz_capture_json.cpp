// Capture files (--save-capture output, fixtures, anything a user hands to iotrace) into
// capture_from_text(). A capture that loads must survive a JSON round trip unchanged.
#include <string>

#include "src/capture/capture_json.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto r = iotrace::capture_from_text(text);
  if (!r) {
    FUZZ_CHECK(!r.error().empty());
    return 0;
  }
  nlohmann::json j1 = iotrace::capture_to_json(r.value());
  std::string saved = j1.dump();
  auto r2 = iotrace::capture_from_text(saved);
  if (!r2) std::fprintf(stderr, "reload failed: %s\n", r2.error().c_str());
  FUZZ_CHECK(r2.ok());
  FUZZ_CHECK(iotrace::capture_to_json(r2.value()) == j1);
  return 0;
}
