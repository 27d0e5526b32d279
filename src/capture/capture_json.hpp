// Captures to and from JSON: the format of --save-capture files and test fixtures.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "src/capture/capture.hpp"
#include "src/util/result.hpp"

namespace iotrace {

nlohmann::json capture_to_json(const Capture& c);
Result<Capture> capture_from_json(const nlohmann::json& j);
Result<Capture> capture_from_text(const std::string& text);
// "slow", "risk", "et-undrained" or "dns", as captures and reports name them.
const char* flag_kind_name(FlagKind k);

}  // namespace iotrace
